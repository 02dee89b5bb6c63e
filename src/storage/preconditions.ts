/** Checks write preconditions against the stored object; a mismatch is a `Conflict`. */
import type { KubeObject } from '../api/meta.js';
import { type Preconditions, StorageError } from './interface.js';

export function checkPreconditions(key: string, current: KubeObject, preconditions: Preconditions | undefined): void {
  if (!preconditions) return;
  const { uid, resourceVersion } = current.metadata;
  if (preconditions.uid !== undefined && preconditions.uid !== uid) {
    throw new StorageError(
      'Conflict',
      key,
      `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${uid ?? ''}`,
    );
  }
  if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== resourceVersion) {
    throw new StorageError(
      'Conflict',
      key,
      `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${resourceVersion ?? ''}`,
    );
  }
}
