/**
 * Restores an etcd data dir from a backup store as etcd-backup-restore does: the latest full
 * snapshot through `etcdctl snapshot restore`, then every later delta replayed through a
 * temporary etcd, one transaction per revision.
 *
 * Its progress comes as text (`onProgress`) and in numbers (`onRestoreProgress`, restore-progress.ts).
 *
 * Nothing touches the data dir until everything checked out: all objects are fetched and
 * verified first (SHA-256s, revisions without holes), the data dir is built as `<dataDir>.part`,
 * and only the rename of `.part` over the data dir commits the restore. Any failure removes
 * `.part` and leaves the data dir as it was.
 */
import { execFile } from 'node:child_process';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { Snapshot, Snapstore, StoredObject } from '../snapstore/snapstore.js';
import { type FetchedDelta, replayDeltas } from './delta-replay.js';
import { type FetchedBytesObserver, fetchDeltaSnapshot, fetchFullSnapshot } from './fetch-snapshots.js';
import { RestoreError } from './restore-error.js';
import { gapError, planRestore } from './restore-plan.js';
import { type RestoreProgressObserver, RestoreProgressTracker, snapshotKeyCount } from './restore-progress.js';
import {
  copyTreeDurably,
  estimateWorkBytes,
  fsyncPath,
  fsyncTree,
  makeWorkDir,
  TMPFS_DIR,
  tmpfsHasRoom,
} from './work-area.js';

const execFileAsync = promisify(execFile);

export interface RestoreOptions {
  store: Snapstore;
  /** Restored into `${dataDir}.part`, then renamed over dataDir. */
  dataDir: string;
  /** The member etcd will run as (`etcdctl snapshot restore --name`, `--initial-cluster`, `--initial-advertise-peer-urls`). */
  memberName: string;
  peerUrl: string;
  /** Default `etcd-cluster`, etcd's and etcd-backup-restore's default. */
  initialClusterToken?: string;
  /** Where fetched snapshots are spooled when tmpfs has no room; default the system temp dir. */
  tempDir?: string;
  logger?: Logger;
  /** Default `/usr/bin/etcdctl` (etcd 3.4's, which still restores snapshots). */
  etcdctl?: string;
  /** Default `/usr/bin/etcd`; runs the temporary server that replays deltas. */
  etcdBinary?: string;
  onProgress?: (message: string) => void;
  /** The same progress in numbers: bytes fetched, keys restored (restore-progress.ts). */
  onRestoreProgress?: RestoreProgressObserver;
}

export type RestoreResult =
  | { restored: false; reason: 'no-backups' }
  | {
      restored: true;
      /** The revision the data dir holds: the last delta's, or the full snapshot's when no delta applied. */
      revision: number;
      full: Snapshot;
      deltas: Snapshot[];
    };

const DEFAULTS = Object.freeze({
  initialClusterToken: 'etcd-cluster',
  etcdctl: '/usr/bin/etcdctl',
});
/** Deltas fetched at once (each is held in memory while it is checked). */
const DELTA_FETCHERS = 3;

/**
 * Restores `dataDir` from the store's latest full snapshot and the deltas after it.
 * `{restored: false, reason: 'no-backups'}` (data dir untouched) when the store holds no snapshot.
 * Throws SnapshotIntegrityError for an object whose bytes do not check out, RestoreError for
 * everything else that prevents a complete restore; the data dir is then unchanged.
 */
export async function restoreFromStore(options: RestoreOptions): Promise<RestoreResult> {
  const { store, logger } = options;
  const progress = (message: string) => {
    logger?.info(message);
    options.onProgress?.(message);
  };
  const plan = planRestore(await store.list());
  if (!plan) {
    progress(`no snapshots in ${store.location}`);
    return { restored: false, reason: 'no-backups' };
  }
  const dataDir = path.resolve(options.dataDir);
  const partDir = `${dataDir}.part`;
  const numbers = new RestoreProgressTracker(
    plan.full.size + plan.deltas.reduce((sum, d) => sum + d.size, 0),
    options.onRestoreProgress,
  );
  const fetched = (bytes: number) => numbers.fetched(bytes);
  const workOnTmpfs = await tmpfsHasRoom(
    estimateWorkBytes({
      full: { size: plan.full.size, compressed: plan.full.snapshot.compression === 'gzip' },
      deltas: {
        size: plan.deltas.reduce((sum, d) => sum + d.size, 0),
        compressed: plan.deltas.some((d) => d.snapshot.compression === 'gzip'),
      },
    }),
  );
  const workDir = await makeWorkDir(workOnTmpfs ? TMPFS_DIR : (options.tempDir ?? tmpdir()));
  logger?.info(
    { full: plan.full.snapshot.name, deltas: plan.deltas.length, workDir },
    'restoring etcd data dir from backups',
  );
  try {
    await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o700 });
    await rm(partDir, { recursive: true, force: true });

    const snapshotFile = path.join(workDir, 'full-snapshot.db');
    const [, deltas] = await settleAll([
      (async () => {
        progress(`fetching ${plan.full.snapshot.name}`);
        await fetchFullSnapshot(store, plan.full.snapshot, snapshotFile, fetched);
      })(),
      fetchDeltas(store, plan.deltas, workDir, progress, fetched),
    ]);
    checkDeltaContinuity(plan.full.snapshot, deltas);
    const snapshotKeys = numbers.observed
      ? await snapshotKeyCount(options.etcdctl ?? DEFAULTS.etcdctl, snapshotFile)
      : undefined;
    if (numbers.observed && snapshotKeys === undefined) {
      logger?.warn({ snapshot: plan.full.snapshot.name }, 'etcdctl could not count the keys of the full snapshot');
    }
    numbers.restoring(
      snapshotKeys,
      deltas.reduce((sum, d) => sum + d.summary.events, 0),
    );

    // Without deltas etcdctl writes the data dir once, so it may as well write it in place.
    const replayDir = workOnTmpfs && deltas.length > 0 ? path.join(workDir, 'data') : partDir;
    progress(`restoring ${plan.full.snapshot.name} with etcdctl`);
    await etcdctlSnapshotRestore(options, plan.full.snapshot, snapshotFile, replayDir);
    await rm(snapshotFile, { force: true });
    numbers.snapshotRestored();

    let revision = plan.full.snapshot.lastRevision;
    if (deltas.length > 0) {
      revision = await replayDeltas({
        dataDir: replayDir,
        confDir: path.join(workDir, 'etcd'),
        memberName: options.memberName,
        deltas,
        ...(options.etcdBinary ? { etcdBinary: options.etcdBinary } : {}),
        ...(logger ? { logger } : {}),
        onDelta: (index, delta) => progress(`applying delta ${index + 1}/${deltas.length} ${delta.snapshot.name}`),
        onEvents: (events) => numbers.eventsReplayed(events),
      });
    }
    if (replayDir !== partDir) {
      progress(`copying the restored data dir to ${partDir}`);
      await copyTreeDurably(replayDir, partDir);
    } else {
      await fsyncTree(partDir);
    }
    // The commit point: until this rename the data dir is the old one.
    await rm(dataDir, { recursive: true, force: true });
    await rename(partDir, dataDir);
    await fsyncPath(path.dirname(dataDir));
    progress(`restored ${dataDir} to revision ${revision}`);
    numbers.done();
    return { restored: true, revision, full: plan.full.snapshot, deltas: deltas.map((d) => d.snapshot) };
  } catch (err) {
    await rm(partDir, { recursive: true, force: true }).catch(() => {});
    throw err;
  } finally {
    await rm(workDir, { recursive: true, force: true }).catch(() => {});
  }
}

/** Fetches and checks every delta, a few at a time; stops starting new fetches after a failure. */
async function fetchDeltas(
  store: Snapstore,
  objects: readonly StoredObject[],
  workDir: string,
  progress: (message: string) => void,
  onFetched: FetchedBytesObserver,
): Promise<FetchedDelta[]> {
  const fetched: FetchedDelta[] = new Array(objects.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < objects.length) {
      const index = next++;
      const snapshot = objects[index]!.snapshot;
      progress(`fetching delta ${index + 1}/${objects.length} ${snapshot.name}`);
      const file = path.join(workDir, `delta-${index}.json`);
      try {
        fetched[index] = { snapshot, file, summary: await fetchDeltaSnapshot(store, snapshot, file, onFetched) };
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await settleAll(Array.from({ length: Math.min(DELTA_FETCHERS, objects.length) }, worker));
  return fetched;
}

/** Like Promise.all, but waits until every promise settled (no work left running) before throwing the first error. */
async function settleAll<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** The deltas' events must continue the revisions without a hole, whatever their names say. */
function checkDeltaContinuity(full: Snapshot, deltas: readonly FetchedDelta[]): void {
  let reached = full;
  for (const delta of deltas) {
    if (delta.summary.firstRevision > reached.lastRevision + 1) {
      throw gapError(reached, delta.snapshot, delta.summary.firstRevision);
    }
    if (delta.snapshot.lastRevision > reached.lastRevision) reached = delta.snapshot;
  }
}

async function etcdctlSnapshotRestore(
  options: RestoreOptions,
  full: Snapshot,
  snapshotFile: string,
  dataDir: string,
): Promise<void> {
  const args = [
    'snapshot',
    'restore',
    snapshotFile,
    '--name',
    options.memberName,
    '--initial-cluster',
    `${options.memberName}=${options.peerUrl}`,
    '--initial-advertise-peer-urls',
    options.peerUrl,
    '--initial-cluster-token',
    options.initialClusterToken ?? DEFAULTS.initialClusterToken,
    '--data-dir',
    dataDir,
    // fetchFullSnapshot checked etcd's hash as it wrote this file into the restore's private work
    // dir; hashing a large database twice would only make the restore slower.
    '--skip-hash-check',
  ];
  try {
    await execFileAsync(options.etcdctl ?? DEFAULTS.etcdctl, args, {
      env: { ...process.env, ETCDCTL_API: '3' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    const detail = stderr.split('\n').slice(-5).join('\n') || (err as Error).message;
    throw new RestoreError(`etcdctl snapshot restore of ${full.name} failed: ${detail}`, {
      object: full.name,
      cause: err,
    });
  }
}
