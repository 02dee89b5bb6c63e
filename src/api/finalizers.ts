/**
 * JSON merge patches that add or remove one finalizer, guarded by the object's resourceVersion so
 * a concurrent change to the list is never overwritten (the writer gets a conflict and retries).
 * undefined when there is nothing to do. src/client/finalizers.ts sends them through a `Client`.
 */
import type { KubeObject } from './meta.js';

export function addFinalizerPatch(obj: KubeObject, finalizer: string): Record<string, unknown> | undefined {
  const finalizers = obj.metadata.finalizers ?? [];
  if (finalizers.includes(finalizer)) return undefined;
  return { metadata: { finalizers: [...finalizers, finalizer], resourceVersion: obj.metadata.resourceVersion } };
}

export function removeFinalizerPatch(obj: KubeObject, finalizer: string): Record<string, unknown> | undefined {
  const finalizers = obj.metadata.finalizers ?? [];
  if (!finalizers.includes(finalizer)) return undefined;
  const rest = finalizers.filter((f) => f !== finalizer);
  return { metadata: { finalizers: rest.length > 0 ? rest : null, resourceVersion: obj.metadata.resourceVersion } };
}

/** The garbage collector's finalizers (metav1): removed once an owner's dependents are orphaned, or gone. */
export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
