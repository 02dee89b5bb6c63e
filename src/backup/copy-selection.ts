/**
 * Which source objects a copy takes and the names they get in the target: whole backups (a full
 * snapshot and its deltas), newest first, limited by count and age as etcdbrctl's flags say, one
 * object per target name.
 */
import { withFinal } from './snapstore/snapshot-name.js';
import type { Snapshot, StoredObject } from './snapstore/snapstore.js';

const SECONDS_PER_DAY = 86_400;

/** One object to copy: a source snapshot and the name it gets in the target. */
export interface CopyItem {
  object: StoredObject;
  target: Snapshot;
}

/**
 * The source objects to copy, newest backup first: each full snapshot followed by its deltas
 * (etcd-backup-restore's `GetFilteredBackups`). Deltas before the oldest full are dropped.
 */
export function selectBackups(
  objects: readonly StoredObject[],
  options: { maxBackupsToCopy?: number; maxBackupAgeDays?: number; now?: Date } = {},
): StoredObject[] {
  const maxBackups = options.maxBackupsToCopy ?? -1;
  const maxAgeDays = options.maxBackupAgeDays ?? -1;
  const now = (options.now ?? new Date()).getTime() / 1000;
  const backups: StoredObject[][] = [];
  for (const object of objects) {
    if (object.snapshot.kind === 'Full') backups.push([object]);
    else backups.at(-1)?.push(object);
  }
  backups.sort((a, b) => b[0]!.snapshot.createdOn - a[0]!.snapshot.createdOn);
  const selected: StoredObject[] = [];
  let count = 0;
  for (const backup of backups) {
    if (maxBackups >= 0 && count === maxBackups) break;
    if (maxAgeDays >= 0 && backup[0]!.snapshot.createdOn <= now - maxAgeDays * SECONDS_PER_DAY) continue;
    selected.push(...backup);
    count++;
  }
  return selected;
}

/** One item per target name: a snapshot and its `.final` twin would otherwise race for the same object. */
export function uniqueTargets(objects: StoredObject[]): CopyItem[] {
  const seen = new Set<string>();
  const items: CopyItem[] = [];
  for (const object of objects) {
    const target = withFinal(object.snapshot, false);
    if (seen.has(target.name)) continue;
    seen.add(target.name);
    items.push({ object, target });
  }
  return items;
}
