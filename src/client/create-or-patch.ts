/**
 * controller-runtime's `CreateOrPatch` for writers that own some fields of an object others may
 * edit too (a Seed's spec.provider, a Secret's data): an existing object gets only `patch`, so
 * the other fields stay as they are; a missing one is created whole.
 */
import type { KubeObject } from '../api/meta.js';
import type { NewObject, ResourceClient } from './client.js';

/** Patches the object `obj` names with `patch` when it exists, else creates `obj`; the stored object. */
export async function createOrPatch<T extends KubeObject>(
  resource: ResourceClient<T>,
  namespace: string,
  obj: NewObject<T>,
  patch: unknown,
): Promise<T> {
  const name = obj.metadata.name ?? '';
  const current = await resource.find(namespace, name);
  return current ? resource.patch(namespace, name, patch) : resource.create(namespace, obj);
}
