/**
 * Which objects a restore uses, as etcd-backup-restore picks them: the latest full snapshot and
 * every delta listed after it. A delta that starts beyond the revision reached so far means a
 * missing object; that is an error, never a restore that silently stops short.
 */
import type { Snapshot, StoredObject } from '../snapstore/snapstore.js';
import { RestoreError } from './restore-error.js';

export interface RestorePlan {
  full: StoredObject;
  deltas: StoredObject[];
}

/** The plan for a listing (sorted as `Snapstore.list` sorts); undefined when there is no snapshot at all. */
export function planRestore(objects: readonly StoredObject[]): RestorePlan | undefined {
  if (objects.length === 0) return undefined;
  let baseIndex = objects.length - 1;
  while (baseIndex >= 0 && objects[baseIndex]!.snapshot.kind !== 'Full') baseIndex--;
  if (baseIndex < 0) {
    throw new RestoreError(
      `the store holds delta snapshots but no full snapshot to apply them to (first: ${objects[0]!.snapshot.name})`,
      { object: objects[0]!.snapshot.name },
    );
  }
  const full = objects[baseIndex]!;
  const deltas = objects.slice(baseIndex + 1).filter((o) => o.snapshot.kind === 'Incr');
  checkContinuity(
    full.snapshot,
    deltas.map((d) => d.snapshot),
  );
  return { full, deltas };
}

/** Each delta must start at most one revision after what the snapshots before it reached. */
function checkContinuity(full: Snapshot, deltas: readonly Snapshot[]): void {
  let reached = full;
  for (const delta of deltas) {
    if (delta.startRevision > reached.lastRevision + 1) throw gapError(reached, delta, delta.startRevision);
    if (delta.lastRevision > reached.lastRevision) reached = delta;
  }
}

/** A hole in the revisions between `before` (reached through its last revision) and `after`. */
export function gapError(before: Snapshot, after: Snapshot, firstRevisionAfter: number): RestoreError {
  const missing = `${before.lastRevision + 1}..${firstRevisionAfter - 1}`;
  return new RestoreError(
    `gap in the backups: ${after.name} starts at revision ${firstRevisionAfter} but ${before.name} ends at ${before.lastRevision}; revisions ${missing} are in no snapshot (a delta snapshot is missing)`,
    { object: after.name },
  );
}
