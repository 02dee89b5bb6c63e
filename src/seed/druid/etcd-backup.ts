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
import { pathValue } from '../../api/core-gardener/common.js';
import { etcdBackupStore, etcdDeltaSnapshotPeriodMs, etcdFullSnapshotSchedule } from '../../api/druid/etcd.js';
import { parseDuration } from '../../api/extensions/field-validation.js';
import type { KubeObject } from '../../api/meta.js';
import { dataDirStatus, type RestoreResult, restoreFromStore } from '../../backup/restorer/index.js';
import type { SnapshotterOptions } from '../../backup/snapshotter/snapshotter.js';
import type { ResourceClient } from '../../client/client.js';
import { openStoreOf, type ResolvedStore } from './backup-store.js';
import { parseBytes } from './etcd-config.js';

/** The snapshotter settings `spec.backup` decides; the etcd connection and the store come from elsewhere. */
export type SnapshotterSettings = Omit<SnapshotterOptions, 'logger' | 'etcd' | 'store'>;

export type EtcdBackupConfig =
  | { kind: 'off' }
  | { kind: 'unavailable'; message: string }
  | { kind: 'on'; store: ResolvedStore; snapshotter: SnapshotterSettings; key: string };

/** The backup configuration of `etcd`: off without `spec.backup.store`, unavailable when its store cannot be opened. */
export async function etcdBackupConfig(etcd: KubeObject, secrets: ResourceClient): Promise<EtcdBackupConfig> {
  const spec = etcdBackupStore(etcd);
  if (!spec) return { kind: 'off' };
  let store: ResolvedStore;
  try {
    store = await openStoreOf(spec, etcd.metadata.namespace ?? '', secrets);
  } catch (err) {
    return { kind: 'unavailable', message: (err as Error).message };
  }
  const snapshotter: SnapshotterSettings = {};
  const schedule = etcdFullSnapshotSchedule(etcd);
  if (schedule) snapshotter.fullSnapshotSchedule = schedule;
  const deltaPeriod = etcdDeltaSnapshotPeriodMs(etcd);
  if (deltaPeriod !== undefined) snapshotter.deltaSnapshotPeriodMs = deltaPeriod;
  const memoryLimit = pathValue(etcd, 'spec.backup.deltaSnapshotMemoryLimit');
  const limitBytes = typeof memoryLimit === 'string' ? parseBytes(memoryLimit) : undefined;
  if (limitBytes !== undefined) snapshotter.deltaSnapshotMemoryLimit = limitBytes;
  snapshotter.compression = pathValue(etcd, 'spec.backup.compression.enabled') === true ? 'gzip' : 'none';
  const policy = pathValue(etcd, 'spec.backup.garbageCollectionPolicy');
  const maxBackups = pathValue(etcd, 'spec.backup.maxBackupsLimitBasedGC');
  const gcPeriod = pathValue(etcd, 'spec.backup.garbageCollectionPeriod');
  const retention = pathValue(etcd, 'spec.backup.deltaSnapshotRetentionPeriod');
  const gcPeriodMs = typeof gcPeriod === 'string' ? parseDuration(gcPeriod) : undefined;
  const retentionMs = typeof retention === 'string' ? parseDuration(retention) : undefined;
  snapshotter.garbageCollection = {
    policy: policy === 'LimitBased' ? 'LimitBased' : 'Exponential',
    ...(typeof maxBackups === 'number' ? { maxBackups } : {}),
    ...(gcPeriodMs !== undefined ? { periodMs: gcPeriodMs } : {}),
    ...(retentionMs !== undefined ? { deltaRetentionMs: retentionMs } : {}),
  };
  const timeout = pathValue(etcd, 'spec.backup.etcdSnapshotTimeout');
  const timeoutMs = typeof timeout === 'string' ? parseDuration(timeout) : undefined;
  if (timeoutMs) snapshotter.snapshotTimeoutMs = timeoutMs;
  return { kind: 'on', store, snapshotter, key: JSON.stringify([store.key, snapshotter]) };
}

export interface PrepareDataDirOptions {
  store: ResolvedStore;
  dataDir: string;
  /** Where temporary files of the restore go (the etcd's own directory, same file system). */
  tempDir: string;
  memberName: string;
  /** The peer URL the server will run with; the restored membership names it. */
  peerUrl: string;
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
  const result = await restoreFromStore({
    store: options.store.store,
    dataDir,
    memberName: options.memberName,
    peerUrl: options.peerUrl,
    tempDir: options.tempDir,
    logger,
    onProgress: (message) => logger.info(message),
  });
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
