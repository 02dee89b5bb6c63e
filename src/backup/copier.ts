/**
 * Copies backups from one snapstore to another, as `etcdbrctl copy` does
 * (pkg/snapshot/copier/copier.go), with two differences that make it safe to re-run:
 *
 * - Idempotent by content: an object is skipped only when the target holds it with the same size
 *   and SHA-256; a same-named object with other content is replaced (saves are atomic).
 * - Every copy is verified: the target's size and SHA-256 after the save must equal those of the
 *   bytes read from the source.
 *
 * As etcdbrctl: a backup is a full snapshot with the deltas up to the next full; deltas older
 * than the oldest full are dropped; the newest backup goes first; `.final` is stripped from the
 * target's name; bytes are copied verbatim (compressed stays compressed), streaming, several
 * objects at a time. A killed copy leaves nothing partial behind, so a re-run copies what is
 * missing.
 *
 * This file runs a copy; its parts live beside it: which objects (`copy-selection.ts`), one
 * verified object copy (`copy-object.ts`), the wait for a final snapshot
 * (`final-snapshot-wait.ts`) and the progress counters (`copy-progress.ts`).
 */
import { type Logger, pino } from 'pino';
import { raceAbort } from '../api/race-abort.js';
import { BackupStoreError } from './backup-store-error.js';
import { copyObject, sameContent } from './copy-object.js';
import { type CopyProgress, ProgressTracker } from './copy-progress.js';
import { selectBackups, uniqueTargets } from './copy-selection.js';
import { waitForFinalSnapshot } from './final-snapshot-wait.js';
import type { Snapshot, Snapstore, StoredObject } from './snapstore/snapstore.js';

export { BackupStoreError } from './backup-store-error.js';
export type { CopyProgress } from './copy-progress.js';
export { selectBackups } from './copy-selection.js';

/** etcdbrctl's `finalSnapshotCheckInterval`. */
export const FINAL_SNAPSHOT_CHECK_INTERVAL_MS = 15_000;
/** etcdbrctl's `--max-parallel-copy-operations` default. */
export const DEFAULT_MAX_PARALLEL_COPY_OPERATIONS = 10;

export interface CopyOptions {
  source: Snapstore;
  target: Snapstore;
  /** Newest backups (a full and its deltas) to copy; -1 (default) copies all, 0 none. */
  maxBackupsToCopy?: number;
  /** Only backups whose full snapshot is younger than this many days; -1 (default) any age. */
  maxBackupAgeDays?: number;
  /** Objects copied at the same time; default 10. */
  maxParallelCopyOperations?: number;
  /** Wait until one of the source's newest full snapshots is final before copying. */
  waitForFinalSnapshot?: boolean;
  /** How long to wait for the final snapshot before copying anyway; 0 (default) waits forever. */
  waitForFinalSnapshotTimeoutMs?: number;
  /** How often the source is checked for a final snapshot; default 15 s. */
  finalSnapshotCheckIntervalMs?: number;
  /** Stops waiting and copying; `copyBackups` then rejects with the signal's reason. */
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
  /** Called once per object when it is copied, skipped or has failed. */
  onObject?: (event: CopyObjectEvent) => void;
  /** Default: silent. */
  logger?: Logger;
  /** For the age filter; default now. */
  now?: () => Date;
}

export interface CopyObjectEvent {
  /** The object as named in the source. */
  source: Snapshot;
  /** The object as named in the target (without `.final`). */
  target: Snapshot;
  /** `replaced`: the target held a different object under this name. */
  action: 'copied' | 'replaced' | 'skipped' | 'failed';
  /** Bytes copied (0 when skipped). */
  bytes: number;
  durationMs: number;
  error?: Error;
}

export interface CopyResult {
  /** Source snapshots copied (including replaced ones), in the order they finished. */
  copied: Snapshot[];
  /** Source snapshots already complete in the target. */
  skipped: Snapshot[];
  /** Bytes copied. */
  bytes: number;
  finalSnapshot: 'found' | 'timed-out' | 'not-requested';
}

/** Some objects could not be copied; the others were. */
export class CopyFailedError extends Error {
  override readonly name = 'CopyFailedError';
  readonly failures: ReadonlyArray<{ snapshot: string; error: Error }>;
  /** What was copied and skipped despite the failures. */
  readonly result: CopyResult;

  constructor(failures: Array<{ snapshot: string; error: Error }>, result: CopyResult) {
    const total = failures.length + result.copied.length + result.skipped.length;
    super(
      `copying ${failures.length} of ${total} snapshot(s) failed:\n` +
        failures.map((f) => `  ${f.snapshot}: ${f.error.message}`).join('\n'),
    );
    this.failures = failures;
    this.result = result;
  }
}

/** Copies the source's backups into the target; see the file comment. */
export async function copyBackups(options: CopyOptions): Promise<CopyResult> {
  const { source, target, signal } = options;
  const log = options.logger ?? pino({ enabled: false });
  const parallel = options.maxParallelCopyOperations ?? DEFAULT_MAX_PARALLEL_COPY_OPERATIONS;
  checkOptions(options, parallel);
  const progress = new ProgressTracker(options.onProgress);

  progress.phase('listing');
  // Both stores are checked up front, so bad credentials fail now, not after waiting for a final snapshot.
  // A listing takes no signal: the abort (a cancelled task) must not wait out its connect timeouts.
  let sourceObjects = await listStore('source', source, signal);
  let targetObjects = await listStore('target', target, signal);

  let finalSnapshot: CopyResult['finalSnapshot'] = 'not-requested';
  if (options.waitForFinalSnapshot) {
    progress.phase('waiting-for-final');
    finalSnapshot = await waitForFinalSnapshot(source, sourceObjects, {
      timeoutMs: options.waitForFinalSnapshotTimeoutMs ?? 0,
      intervalMs: options.finalSnapshotCheckIntervalMs ?? FINAL_SNAPSHOT_CHECK_INTERVAL_MS,
      signal,
      log,
    });
    progress.finalSnapshot(finalSnapshot);
    progress.phase('listing');
    sourceObjects = await listStore('source', source, signal);
    targetObjects = await listStore('target', target, signal);
  }

  const selected = selectBackups(sourceObjects, {
    ...(options.maxBackupsToCopy !== undefined ? { maxBackupsToCopy: options.maxBackupsToCopy } : {}),
    ...(options.maxBackupAgeDays !== undefined ? { maxBackupAgeDays: options.maxBackupAgeDays } : {}),
    now: options.now?.() ?? new Date(),
  });
  const items = uniqueTargets(selected);
  if (sourceObjects.length === 0) log.warn({ source: source.location }, 'the source store holds no snapshots');
  const targetSizes = new Map(targetObjects.map((o) => [o.snapshot.name, o.size]));
  log.info(
    { source: source.location, target: target.location, objects: items.length, available: sourceObjects.length },
    'copying backups',
  );

  progress.start(items);
  const result: CopyResult = { copied: [], skipped: [], bytes: 0, finalSnapshot };
  const failures: Array<{ snapshot: string; error: Error }> = [];
  await runPool(items, parallel, signal, async (item) => {
    const started = Date.now();
    progress.current(item.object.snapshot.name);
    const report = (action: CopyObjectEvent['action'], bytes: number, error?: Error) =>
      options.onObject?.({
        source: item.object.snapshot,
        target: item.target,
        action,
        bytes,
        durationMs: Date.now() - started,
        ...(error ? { error } : {}),
      });
    try {
      const existingSize = targetSizes.get(item.target.name);
      if (existingSize === item.object.size && (await sameContent(source, target, item))) {
        log.info({ snapshot: item.object.snapshot.name }, 'skipping snapshot: the target holds it already');
        result.skipped.push(item.object.snapshot);
        progress.skipped(item.object.size);
        report('skipped', 0);
        return;
      }
      if (existingSize !== undefined) {
        log.warn(
          { snapshot: item.target.name, targetSize: existingSize, sourceSize: item.object.size },
          'replacing a different object of the same name in the target',
        );
      }
      const bytes = await copyObject(source, target, item, signal, (n) => progress.bytes(n));
      log.info({ snapshot: item.object.snapshot.name, target: item.target.name, bytes }, 'copied snapshot');
      result.copied.push(item.object.snapshot);
      result.bytes += bytes;
      progress.finished();
      report(existingSize === undefined ? 'copied' : 'replaced', bytes);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (!signal?.aborted) log.error({ snapshot: item.object.snapshot.name, err: error }, 'copying snapshot failed');
      failures.push({ snapshot: item.object.snapshot.name, error });
      progress.finished();
      report('failed', 0, error);
    }
  });
  signal?.throwIfAborted();
  progress.phase('done');
  if (failures.length > 0) throw new CopyFailedError(failures, result);
  log.info({ copied: result.copied.length, skipped: result.skipped.length, bytes: result.bytes }, 'copied backups');
  return result;
}

/**
 * The source snapshots a copy of everything (no age or count limit) would put into the target
 * that the target does not hold with the same size and SHA-256: empty once such a copy is
 * complete. A store that cannot be read is a `BackupStoreError`. `hashTarget` reads every target
 * object rather than trusting a recorded SHA-256 (before the source copy is deleted).
 */
export async function findMissingCopies(
  source: Snapstore,
  target: Snapstore,
  options: { hashTarget?: boolean } = {},
): Promise<Snapshot[]> {
  const items = uniqueTargets(selectBackups(await listStore('source', source)));
  const missing: Snapshot[] = [];
  for (const item of items) {
    if (!(await sameContent(source, target, item, options))) missing.push(item.object.snapshot);
  }
  return missing;
}

function checkOptions(options: CopyOptions, parallel: number): void {
  const atLeast = (what: string, value: number | undefined, min: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) {
      throw new RangeError(`${what} must be an integer >= ${min}, got ${value}`);
    }
  };
  atLeast('maxBackupsToCopy', options.maxBackupsToCopy, -1);
  atLeast('maxBackupAgeDays', options.maxBackupAgeDays, -1);
  atLeast('maxParallelCopyOperations', parallel, 1);
  const timeout = options.waitForFinalSnapshotTimeoutMs;
  if (timeout !== undefined && !(timeout >= 0)) {
    throw new RangeError(`waitForFinalSnapshotTimeoutMs must be >= 0, got ${timeout}`);
  }
  const interval = options.finalSnapshotCheckIntervalMs;
  if (interval !== undefined && !(interval > 0)) {
    throw new RangeError(`finalSnapshotCheckIntervalMs must be > 0, got ${interval}`);
  }
}

async function listStore(role: 'source' | 'target', store: Snapstore, signal?: AbortSignal): Promise<StoredObject[]> {
  const listing = store.list().catch((err: unknown) => {
    throw new BackupStoreError(role, store, err);
  });
  return signal ? raceAbort(listing, signal) : listing;
}

/** Runs `work` over `items`, `parallel` at a time, in order; stops starting new items once `signal` aborts. */
async function runPool<T>(
  items: readonly T[],
  parallel: number,
  signal: AbortSignal | undefined,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
}
