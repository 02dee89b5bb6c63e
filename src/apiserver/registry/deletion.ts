/**
 * Deletion with finalizers and grace periods (k8s rest.BeforeDelete and the store's graceful-deletion
 * path): an object that still has finalizers is only marked with a deletionTimestamp, no finalizer
 * may be added after that, and the update that removes the last one deletes it. A kind with
 * graceful deletion (pods on a node) is marked with a deletionTimestamp in the future and a
 * `deletionGracePeriodSeconds`, and goes only with a delete of grace period 0 (its kubelet's). These rules span the
 * store's delete and update paths, so they live here together rather than split across both.
 */
import type { FieldError } from '../../api/errors.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from '../../api/finalizers.js';
import { deepCopy, type KubeObject, nowTimestamp } from '../../api/meta.js';
import type { ResourceDefinition } from '../types.js';

/** How the dependents of a deleted object go (k8s `DeletionPropagation`); only a garbage-collected server honours it. */
export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';
export const PROPAGATION_POLICIES: readonly PropagationPolicy[] = Object.freeze(['Orphan', 'Background', 'Foreground']);

/** The finalizer a propagation policy asks the garbage collector for; none for Background. */
export function propagationFinalizer(policy: PropagationPolicy | undefined): string | undefined {
  if (policy === 'Orphan') return ORPHAN_FINALIZER;
  if (policy === 'Foreground') return FOREGROUND_FINALIZER;
  return undefined;
}

/** The finalizers still holding the object: its own, and those the kind adds (e.g. namespace content). */
export function pendingFinalizers(def: ResourceDefinition, obj: KubeObject): readonly string[] {
  return [...(obj.metadata.finalizers ?? []), ...(def.extraFinalizers?.(obj) ?? [])];
}

/** Whether the object is marked and waits out a grace period (a pod its node has yet to stop). */
export function inGracePeriod(obj: KubeObject): boolean {
  return Boolean(obj.metadata.deletionTimestamp) && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
}

/** The grace period a delete asks for, as the kind allows it (k8s BeforeDelete); 0 without graceful deletion. */
export function deletionGracePeriod(def: ResourceDefinition, obj: KubeObject, requested: number | undefined): number {
  return def.strategy.gracePeriodSeconds?.(obj, requested) ?? 0;
}

/**
 * The object marked for graceful deletion in `seconds`, or null when it is already marked with
 * a grace period no longer than that (a repeated delete changes nothing; a shorter one shortens it).
 */
export function markedForGracefulDeletion(
  def: ResourceDefinition,
  latest: KubeObject,
  seconds: number,
): KubeObject | null {
  const current = latest.metadata.deletionGracePeriodSeconds;
  if (latest.metadata.deletionTimestamp && current !== undefined && current <= seconds) return null;
  const next = deepCopy(latest);
  next.metadata.deletionTimestamp = nowTimestamp(new Date(Date.now() + seconds * 1000));
  next.metadata.deletionGracePeriodSeconds = seconds;
  def.strategy.prepareForDelete?.(next);
  return next;
}

/**
 * The object marked as being deleted, or null when it already is (nothing to write).
 * `finalizers` (the propagation policy's, the kind's own) are added first: whoever owns them
 * finishes the deletion. An object in its grace period has it ended here (a delete with grace
 * period 0).
 */
export function markedForDeletion(
  def: ResourceDefinition,
  latest: KubeObject,
  finalizers: readonly string[] = [],
): KubeObject | null {
  if (latest.metadata.deletionTimestamp && !inGracePeriod(latest)) return null;
  const next = deepCopy(latest);
  for (const finalizer of finalizers) {
    if (!(next.metadata.finalizers ?? []).includes(finalizer)) {
      next.metadata.finalizers = [...(next.metadata.finalizers ?? []), finalizer];
    }
  }
  next.metadata.deletionTimestamp = nowTimestamp();
  next.metadata.deletionGracePeriodSeconds = 0;
  def.strategy.prepareForDelete?.(next);
  return next;
}

/**
 * True when an update leaves an object that is being deleted with no finalizer: it goes now —
 * unless it waits out a grace period, which only its final delete ends (k8s ShouldDeleteDuringUpdate).
 */
export function deletionComplete(def: ResourceDefinition, next: KubeObject): boolean {
  return Boolean(next.metadata.deletionTimestamp) && !inGracePeriod(next) && pendingFinalizers(def, next).length === 0;
}

/**
 * No finalizer may be added to an object being deleted. It runs before the metadata's own
 * validation, so `finalizers` may be anything: what is not a list is left to that validation
 * (a string here was a 500 "filter is not a function", found by the API fuzzer).
 */
export function validateFinalizersOnDeletion(next: KubeObject, current: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const listed = (obj: KubeObject): unknown[] =>
    Array.isArray(obj.metadata.finalizers) ? obj.metadata.finalizers : [];
  if (current.metadata.deletionTimestamp) {
    const added = listed(next).filter((f) => !listed(current).includes(f));
    if (added.length > 0) {
      errors.push({
        type: 'FieldValueForbidden',
        path: 'metadata.finalizers',
        message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
      });
    }
  }
  return errors;
}
