/**
 * The restore of a whole multi-member cluster from its backups (docs/ha-control-planes.md, "The
 * classic migration of an HA shoot"): when no member has data and the backup store holds a full
 * snapshot (a migration's destination, or a cluster that lost every member), member 0 is restored
 * as a single member would be (`prepareDataDir`, with member 0's name and peer URL) and started
 * as a one-member cluster; the others then join it as learners, one at a time, through the
 * re-join path of etcd-members.ts, and are promoted once caught up.
 *
 * Crash-safe through the order of the files: both markers are written before the restore, and
 * the restore commits with one rename of the data dir. A crash before that rename finds no member
 * with data and restores again; after it, member 0 has data and the others (no data, the cluster
 * marked bootstrapped) join as learners; they never bootstrap a second cluster among themselves.
 */
import type { Logger } from 'pino';
import type { EtcdBackupConfig } from './etcd-backup.js';
import { prepareDataDir } from './etcd-backup.js';
import { EtcdClusterMarker, memberHasData, writeMarker } from './etcd-cluster-markers.js';
import { isEtcdProcessFor, stopEtcdAt } from './etcd-processes.js';
import type { EtcdPaths, EtcdState } from './etcd-state.js';

export type FirstMemberRestore =
  /** A member has data or runs, there are no backups, or none are configured: nothing to restore. */
  | { kind: 'not-needed' }
  | { kind: 'restored'; revision: number }
  /** No member has data and the backups could not be read or restored: nothing may start. */
  | { kind: 'failed'; message: string };

export interface FirstMemberRestoreOptions {
  paths: EtcdPaths;
  /** Member 0's files: its data dir is restored, its directory holds the restore's temp files. */
  memberPaths: EtcdPaths;
  states: readonly EtcdState[];
  memberName: string;
  clusterToken: string;
  backup: EtcdBackupConfig | undefined;
  logger: Logger;
  stopGraceMs?: number;
}

/** Restores member 0 from the backups when no member has data and there are backups. */
export async function restoreFirstMember(options: FirstMemberRestoreOptions): Promise<FirstMemberRestore> {
  const { backup, states, logger: log } = options;
  if (!backup || backup.kind === 'off') return { kind: 'not-needed' };
  if (states.some((s) => s.pid !== null && isEtcdProcessFor(s.pid, s.dataDir))) return { kind: 'not-needed' };
  if ((await Promise.all(states.map((s) => memberHasData(s.dataDir)))).some(Boolean)) return { kind: 'not-needed' };
  // As for one member: never start on no data unless the store was read and found empty.
  const failed = (why: string): FirstMemberRestore => ({
    kind: 'failed',
    message: `no member has data and the cluster cannot be restored from its backups: ${why}`,
  });
  if (backup.kind === 'unavailable') return failed(backup.message);
  let hasFullSnapshot: boolean;
  try {
    hasFullSnapshot = (await backup.store.store.list()).some((o) => o.snapshot.kind === 'Full');
  } catch (err) {
    return failed((err as Error).message);
  }
  if (!hasFullSnapshot) return { kind: 'not-needed' };

  await stopEtcdAt(options.paths, options.stopGraceMs);
  await writeMarker(options.paths, EtcdClusterMarker.Bootstrapped);
  await writeMarker(options.paths, EtcdClusterMarker.Restoring);
  const first = states[0]!;
  try {
    const result = await prepareDataDir({
      store: backup.store,
      dataDir: first.dataDir,
      tempDir: options.memberPaths.dir,
      memberName: options.memberName,
      peerUrl: `https://127.0.0.1:${first.peerPort}`,
      clusterToken: options.clusterToken,
      logger: log.child({ member: options.memberName }),
      onRestoration: backup.onRestoration,
      onRestoreProgress: backup.onRestoreProgress,
    });
    if (!result.restored) return failed('the store lost its snapshots during the restore');
    log.info({ member: options.memberName, revision: result.revision }, 'etcd cluster: member 0 restored from backups');
    return { kind: 'restored', revision: result.revision };
  } catch (err) {
    return failed((err as Error).message.split('\n')[0] ?? String(err));
  }
}
