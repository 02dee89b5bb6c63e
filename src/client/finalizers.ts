/**
 * Adding and removing one finalizer through any `Client`. The patches (src/api/finalizers.ts)
 * carry the object's resourceVersion, so a concurrent change of the list is a conflict that the
 * caller's controller retries, never an overwrite.
 */
import { addFinalizerPatch, removeFinalizerPatch } from '../api/finalizers.js';
import type { KubeObject } from '../api/meta.js';
import { ignoreNotFound, type ResourceClient } from './client.js';

/** Adds `finalizer` to `obj` unless it has it (a conflict when `obj` is stale). */
export async function addFinalizer<T extends KubeObject>(
  resource: ResourceClient<T>,
  obj: T,
  finalizer: string,
): Promise<void> {
  const patch = addFinalizerPatch(obj, finalizer);
  if (patch) await resource.patch(obj.metadata.namespace ?? '', obj.metadata.name ?? '', patch);
}

/**
 * Removes `finalizer` from the current object of `obj`'s name, if it is there (read again: the
 * caller's copy may be stale after long clean-up work); an object that is already gone is fine.
 */
export async function removeFinalizer<T extends KubeObject>(
  resource: ResourceClient<T>,
  obj: T,
  finalizer: string,
): Promise<void> {
  const namespace = obj.metadata.namespace ?? '';
  const name = obj.metadata.name ?? '';
  const current = await resource.find(namespace, name);
  const patch = current && removeFinalizerPatch(current, finalizer);
  if (patch) await resource.patch(namespace, name, patch).catch(ignoreNotFound);
}
