/**
 * The marker files of a multi-member Etcd's directory (etcd-members.ts): what the druid must
 * remember about the cluster as a whole, beyond each member's state file. Their presence is the
 * whole meaning; their content says when they were written.
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nowTimestamp } from '../../api/meta.js';
import type { EtcdPaths } from './etcd-state.js';

export const EtcdClusterMarker = Object.freeze({
  /**
   * The cluster exists: written once all members were healthy together, or before member 0 is
   * restored from the backups. From then on a member without data is never bootstrapped anew
   * (that would make a second cluster); it joins the running one as a learner.
   */
  Bootstrapped: 'cluster-bootstrapped',
  /** Written before member 0 is restored from the backups, removed once every member has joined. */
  Restoring: 'restoring-from-backups',
} as const);

export type EtcdClusterMarker = (typeof EtcdClusterMarker)[keyof typeof EtcdClusterMarker];

export function hasMarker(paths: EtcdPaths, marker: EtcdClusterMarker): Promise<boolean> {
  return pathExists(join(paths.dir, marker));
}

export async function writeMarker(paths: EtcdPaths, marker: EtcdClusterMarker): Promise<void> {
  await writeFile(join(paths.dir, marker), `${nowTimestamp()}\n`, { mode: 0o600 });
}

export async function removeMarker(paths: EtcdPaths, marker: EtcdClusterMarker): Promise<void> {
  await rm(join(paths.dir, marker), { force: true });
}

/** Whether a member's data dir holds a member (etcd's `member/`), whatever its shape. */
export function memberHasData(dataDir: string): Promise<boolean> {
  return pathExists(join(dataDir, 'member'));
}

/** Whether anything exists at `path`. */
export function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
