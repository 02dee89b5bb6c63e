/**
 * What a multi-member Etcd's backup sidecar must remember across seed restarts, in
 * `<runtimeDir>/<namespace>/<name>/backup-sidecar.json` (a single member keeps its sidecar's port
 * in its own state file): the HTTPS port `status.backupEndpoint` names, so the URL survives
 * restarts and leader changes, and the member whose etcd the sidecar followed last, so a sidecar
 * started on another member (a new leader) begins with a full snapshot.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../apiserver/pki/atomic-file.js';
import type { EtcdPaths } from './etcd-state.js';

export const BACKUP_SIDECAR_STATE_FILE = 'backup-sidecar.json';

export interface BackupSidecarState {
  port?: number;
  /** The member (`<name>-<i>`) the sidecar snapshotted last. */
  member?: string;
}

export async function readBackupSidecarState(paths: EtcdPaths): Promise<BackupSidecarState> {
  try {
    const value: unknown = JSON.parse(await readFile(join(paths.dir, BACKUP_SIDECAR_STATE_FILE), 'utf8'));
    if (typeof value !== 'object' || value === null) return {};
    const { port, member } = value as Record<string, unknown>;
    return {
      ...(typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? { port } : {}),
      ...(typeof member === 'string' ? { member } : {}),
    };
  } catch {
    return {};
  }
}

export async function writeBackupSidecarState(paths: EtcdPaths, state: BackupSidecarState): Promise<void> {
  await writeFileAtomic(join(paths.dir, BACKUP_SIDECAR_STATE_FILE), `${JSON.stringify(state)}\n`);
}
