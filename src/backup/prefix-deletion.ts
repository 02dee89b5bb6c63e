/**
 * Deleting everything under a store's prefix: a BackupEntry's `<entry>/` when the entry goes, and
 * `transplant backup delete` (the seed document's manual clean-up). The prefix itself must be
 * non-empty (the stores refuse a whole container).
 *
 * The order is chosen for a deletion that stops half-way (a crash, a lost connection) and is run
 * again: in each directory the oldest backups go first, and within a backup (a full snapshot and
 * the deltas after it) the deltas go before their full snapshot. What is left is therefore always
 * whole backups plus at most one full snapshot with some of its deltas — every remaining snapshot
 * still follows a full one, so a check that compares backups (`findMissingCopies`, which drops
 * deltas that follow no full snapshot) still compares every one of them on the re-run. Objects
 * that are not snapshots (temp files, chunks, other layouts) go last.
 */
import { compareSnapshots, parseSnapshotName } from './snapstore/snapshot-name.js';
import type { PrefixObject, Snapshot, Snapstore } from './snapstore/snapstore.js';

export interface PrefixDeletionResult {
  /** Objects deleted (or, in a dry run, that would be). */
  count: number;
  bytes: number;
}

export interface PrefixDeletionOptions {
  /** Lists and counts only. */
  dryRun?: boolean;
  /** Called after each object is deleted (before it, in a dry run). */
  onObject?: (object: PrefixObject) => void;
}

/** The objects in the order they are deleted (see the module comment). */
export function deletionOrder(objects: readonly PrefixObject[]): PrefixObject[] {
  const directories = new Map<string, { object: PrefixObject; snapshot: Snapshot }[]>();
  const others: PrefixObject[] = [];
  for (const object of objects) {
    const cut = object.key.lastIndexOf('/');
    const snapshot = parseSnapshotName(object.key.slice(cut + 1));
    if (!snapshot) {
      others.push(object);
      continue;
    }
    const directory = object.key.slice(0, Math.max(cut, 0));
    const list = directories.get(directory) ?? [];
    list.push({ object, snapshot });
    directories.set(directory, list);
  }
  const ordered: PrefixObject[] = [];
  for (const snapshots of directories.values()) {
    snapshots.sort((a, b) => compareSnapshots(a.snapshot, b.snapshot));
    // Deltas before the first full snapshot belong to no backup; then one group per full snapshot.
    const orphans: PrefixObject[] = [];
    const backups: { full: PrefixObject; deltas: PrefixObject[] }[] = [];
    for (const { object, snapshot } of snapshots) {
      if (snapshot.kind === 'Full') backups.push({ full: object, deltas: [] });
      else (backups.at(-1)?.deltas ?? orphans).push(object);
    }
    ordered.push(...orphans);
    for (const backup of backups) ordered.push(...backup.deltas.reverse(), backup.full);
  }
  return [...ordered, ...others.sort((a, b) => a.key.localeCompare(b.key))];
}

/** Deletes (or with `dryRun` counts) every object under the store's prefix. */
export async function deletePrefix(
  store: Snapstore,
  options: PrefixDeletionOptions = {},
): Promise<PrefixDeletionResult> {
  const objects = deletionOrder(await store.listPrefix());
  let bytes = 0;
  for (const object of objects) {
    if (!options.dryRun) await store.deleteFromPrefix(object.key);
    bytes += object.size;
    options.onObject?.(object);
  }
  return { count: objects.length, bytes };
}
