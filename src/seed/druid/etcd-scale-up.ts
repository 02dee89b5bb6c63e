/**
 * Scaling a single-member Etcd to three members (etcd-druid's scale-up): the single member's data
 * dir becomes member 0's, on the same ports (so `status.endpoint` and the backup endpoint stay),
 * and the other two join it as learners through the re-join path of etcd-members.ts. The single
 * member's peer URL in the membership is plain HTTP; the re-join path updates it to the peer TLS
 * URL member 0 now listens on before anyone joins.
 *
 * Crash-safe through the order of its steps, each found again from the files: the single server
 * is stopped; member 0's state file (the single member's ports) and `cluster-bootstrapped` are
 * written; the data dir moves with one rename; the single member's state file goes last. A crash
 * before the rename repeats the steps; after it only the state file is left to remove. Nothing
 * is deleted that holds data.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { writeBackupSidecarState } from './backup-sidecar-state.js';
import { EtcdClusterMarker, memberHasData, pathExists, writeMarker } from './etcd-cluster-markers.js';
import { stopEtcdAt } from './etcd-processes.js';
import { type EtcdPaths, readEtcdState, writeEtcdState } from './etcd-state.js';

export interface SingleMemberAdoption {
  /** The Etcd's directory (`etcdPaths`): its single member's files are there. */
  paths: EtcdPaths;
  /** Member 0's files (`etcdMemberPaths(paths, '<name>-0')`). */
  memberPaths: EtcdPaths;
  memberName: string;
  /** Called before the single server is stopped: its backup sidecar flushes and stops. */
  beforeStop: () => Promise<void>;
  logger: Logger;
  stopGraceMs?: number;
}

/**
 * Turns the single member of the Etcd's directory, if there is one, into member 0. Resolves
 * whether there was one; throws (keeping every file) when member 0 has data of its own already.
 */
export async function adoptSingleMember(options: SingleMemberAdoption): Promise<boolean> {
  const { paths, memberPaths, logger: log } = options;
  const single = await readEtcdState(paths);
  const hasDataDir = await pathExists(paths.dataDir);
  if (!single && !hasDataDir) return false;
  if (hasDataDir && (await memberHasData(memberPaths.dataDir))) {
    throw new Error(
      `cannot scale up: both ${paths.dataDir} (the single member's) and ${memberPaths.dataDir} (member 0's) hold data; keep one and move the other away`,
    );
  }
  await options.beforeStop();
  const stopped = await stopEtcdAt(paths, options.stopGraceMs);
  if (hasDataDir) {
    if (single && !(await readEtcdState(memberPaths))) {
      await writeEtcdState(memberPaths, { ...single, pid: null, dataDir: memberPaths.dataDir, configHash: '' });
      if (single.backupPort) {
        await writeBackupSidecarState(paths, { port: single.backupPort, member: options.memberName });
      }
    }
    await writeMarker(paths, EtcdClusterMarker.Bootstrapped);
    await mkdir(dirname(memberPaths.dataDir), { recursive: true, mode: 0o700 });
    await rename(paths.dataDir, memberPaths.dataDir);
    log.info(
      { from: paths.dataDir, to: memberPaths.dataDir, stopped },
      'etcd scale-up: the single member is member 0 now',
    );
  }
  await rm(paths.stateFile, { force: true });
  return true;
}
