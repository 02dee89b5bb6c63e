/**
 * Reading a garden object the gardenlet follows, under the garden's SeedAuthorizer: an object
 * that has moved to another seed (a Migrate handed it over) is refused with 403 from then on.
 * For this seed it is gone, just as a deleted one: Gardener's gardenlet sees the same through its
 * seed-scoped cache, where such an object simply drops out.
 */
import { isForbidden, isNotFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceClient } from '../../client/client.js';

/** The object, or null when it is gone or no longer this seed's to read. */
export async function findForThisSeed<T extends KubeObject>(
  resource: ResourceClient<T>,
  namespace: string,
  name: string,
): Promise<T | null> {
  try {
    return await resource.get(namespace, name);
  } catch (err) {
    if (isNotFound(err) || isForbidden(err)) return null;
    throw err;
  }
}
