/**
 * What `spec.backup` of an Etcd means to the druid: the store (opened with its secret), the
 * snapshotter settings, and the restore that runs before a server starts on a data dir that is
 * missing, empty or broken.
 *
 * The one rule that keeps backups from ever losing data: an etcd with a backup store never
 * starts on a non-valid data dir unless the store was read and found empty. Were it started
 * empty while the store was unreachable, its sidecar would take a full snapshot of nothing, and
 * that snapshot — the newest — is what the next restore would use.
 */
import { rename } from 'node:fs/promises';
import type { Logger } from 'pino';
import { type Etcd, etcdDeltaSnapshotPeriodMs } from '../../api/druid/etcd.js';
import { parseDuration } from '../../api/extensions/field-validation.js';
import {
  dataDirStatus,
  type RestoreProgressObserver,
  type RestoreResult,
  restoreFromStore,
} from '../../backup/restorer/index.js';
import type { SnapshotterOptions } from '../../backup/snapshotter/snapshotter.js';
import type { ResourceClient } from '../../client/client.js';
import { openStoreOf, type ResolvedStore } from './backup-store.js';
import { parseBytes } from './etcd-config.js';

/** The snapshotter settings `spec.backup` decides; the etcd connection and the store come from elsewhere. */
export type SnapshotterSettings = Omit<SnapshotterOptions, 'logger' | 'etcd' | 'store'>;

/** Told how a restore from the store ended and how long it took (etcd-backup-restore's restoration metric). */
export type RestorationObserver = (succeeded: boolean, seconds: number) => void;

/**
 * Who is told of the restores from an Etcd's store: how each ended and how long it took (not when
 * there was nothing to restore from), and how far one got, in numbers.
 */
export interface RestoreObservers {
  onRestoration?: RestorationObserver | undefined;
  onRestoreProgress?: RestoreProgressObserver | undefined;
}

export type EtcdBackupConfig =
  | { kind: 'off' }
  | { kind: 'unavailable'; message: string }
  /** The observers are told of every restore from `store`; they are not part of `key`. */
  | ({
      kind: 'on';
      store: ResolvedStore;
      snapshotter: SnapshotterSettings;
      key: string;
    } & RestoreObservers);

/**
 * The backup configuration of `etcd`: off without `spec.backup.store`, unavailable when its store
 * cannot be opened; `observers` are told of the restores from it.
 */
export async function etcdBackupConfig(
  etcd: Etcd,
  secrets: ResourceClient,
  observers: RestoreObservers = {},
): Promise<EtcdBackupConfig> {
  const backup = etcd.spec.backup;
  const spec = backup.store;
  if (!spec) return { kind: 'off' };
  let store: ResolvedStore;
  try {
    store = await openStoreOf(spec, etcd.metadata.namespace ?? '', secrets);
  } catch (err) {
    return { kind: 'unavailable', message: (err as Error).message };
  }
  const snapshotter: SnapshotterSettings = {};
  if (backup.fullSnapshotSchedule) snapshotter.fullSnapshotSchedule = backup.fullSnapshotSchedule;
  const deltaPeriod = etcdDeltaSnapshotPeriodMs(etcd);
  if (deltaPeriod !== undefined) snapshotter.deltaSnapshotPeriodMs = deltaPeriod;
  const memoryLimit = backup.deltaSnapshotMemoryLimit;
  const limitBytes = typeof memoryLimit === 'string' ? parseBytes(memoryLimit) : undefined;
  if (limitBytes !== undefined) snapshotter.deltaSnapshotMemoryLimit = limitBytes;
  snapshotter.compression = backup.compression?.enabled === true ? 'gzip' : 'none';
  const duration = (value: string | undefined) => (value === undefined ? undefined : parseDuration(value));
  const gcPeriodMs = duration(backup.garbageCollectionPeriod);
  const retentionMs = duration(backup.deltaSnapshotRetentionPeriod);
  const { maxBackupsLimitBasedGC: maxBackups } = backup;
  snapshotter.garbageCollection = {
    policy: backup.garbageCollectionPolicy === 'LimitBased' ? 'LimitBased' : 'Exponential',
    ...(maxBackups !== undefined ? { maxBackups } : {}),
    ...(gcPeriodMs !== undefined ? { periodMs: gcPeriodMs } : {}),
    ...(retentionMs !== undefined ? { deltaRetentionMs: retentionMs } : {}),
  };
  const timeoutMs = duration(backup.etcdSnapshotTimeout);
  if (timeoutMs) snapshotter.snapshotTimeoutMs = timeoutMs;
  return {
    kind: 'on',
    store,
    snapshotter,
    key: JSON.stringify([store.key, snapshotter]),
    ...(observers.onRestoration ? { onRestoration: observers.onRestoration } : {}),
    ...(observers.onRestoreProgress ? { onRestoreProgress: observers.onRestoreProgress } : {}),
  };
}

export interface PrepareDataDirOptions extends RestoreObservers {
  store: ResolvedStore;
  dataDir: string;
  /** Where temporary files of the restore go (the etcd's own directory, same file system). */
  tempDir: string;
  memberName: string;
  /** The peer URL the server will run with; the restored membership names it. */
  peerUrl: string;
  /** `--initial-cluster-token` of the restored membership; default etcd's. */
  clusterToken?: string;
  logger: Logger;
}

/**
 * Makes the data dir fit to start on: kept when valid; otherwise restored from the store's
 * latest full snapshot and later deltas. A broken data dir with no backups to replace it is
 * moved aside (`<dataDir>.invalid-<time>`), never deleted. Restore errors propagate.
 */
export async function prepareDataDir(
  options: PrepareDataDirOptions,
): Promise<RestoreResult | { restored: false; reason: 'valid' }> {
  const { dataDir, logger } = options;
  const status = await dataDirStatus(dataDir);
  if (status.status === 'valid') return { restored: false, reason: 'valid' };
  logger.info(
    { dataDir, status: status.status, why: status.reason },
    'etcd data dir is not usable; looking for backups',
  );
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let result: RestoreResult;
  try {
    result = await restoreFromStore({
      store: options.store.store,
      dataDir,
      memberName: options.memberName,
      peerUrl: options.peerUrl,
      ...(options.clusterToken ? { initialClusterToken: options.clusterToken } : {}),
      tempDir: options.tempDir,
      logger,
      ...(options.onRestoreProgress ? { onRestoreProgress: options.onRestoreProgress } : {}),
    });
  } catch (err) {
    options.onRestoration?.(false, seconds());
    throw err;
  }
  if (result.restored) options.onRestoration?.(true, seconds());
  if (result.restored) {
    logger.info(
      { revision: result.revision, full: result.full.name, deltas: result.deltas.length },
      'etcd data dir restored from backups',
    );
  } else if (status.status === 'invalid') {
    const aside = `${dataDir}.invalid-${Date.now()}`;
    await rename(dataDir, aside);
    logger.warn(
      { dataDir, movedTo: aside },
      'etcd data dir is broken and there are no backups: moved it aside, starting empty',
    );
  }
  return result;
}
