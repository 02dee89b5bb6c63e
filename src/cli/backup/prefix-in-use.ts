/**
 * Which garden BackupEntries still use a prefix of a bucket, for `transplant backup delete`: an
 * entry `<entry>` (or a Restore's `source-<entry>`) keeps its backups under `<entry>/` in the
 * bucket `spec.bucketName`. Deleting a prefix is refused while it holds, or lies inside, such a
 * prefix: `<entry>`, `<entry>/etcd-main`, and also a parent of `<entry>` (a prefix `a` would take
 * `a/<entry>` with it).
 */
import type { BackupEntry } from '../../api/core-gardener/backup-entry.js';
import { SOURCE_BACKUP_ENTRY_PREFIX } from '../../api/extensions/backup-entry.js';

/** `a/b/` → `a/b`; `./a//b` → `a/b`. */
function normalise(prefix: string): string {
  return prefix
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** `namespace/name` of every entry whose backups in `bucket` overlap `prefix`. */
export function entriesUsingPrefix(entries: readonly BackupEntry[], bucket: string, prefix: string): string[] {
  const wanted = normalise(prefix);
  return entries
    .filter((entry) => {
      if (entry.spec.bucketName !== bucket) return false;
      const name = entry.metadata.name ?? '';
      const own = name.startsWith(SOURCE_BACKUP_ENTRY_PREFIX) ? name.slice(SOURCE_BACKUP_ENTRY_PREFIX.length) : name;
      return wanted === '' || overlaps(wanted, own);
    })
    .map((entry) => `${entry.metadata.namespace}/${entry.metadata.name}`)
    .sort();
}
