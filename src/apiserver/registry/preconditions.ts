/**
 * Write preconditions as the API states them (k8s metav1.Preconditions). The backend checks them
 * again on write; the store checks a delete's first, against the object it read, so a stale
 * delete fails as a Conflict naming both values before admission runs. An update's come from the
 * body's own uid and resourceVersion.
 */
import { conflict, type GroupResource } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { Preconditions } from '../../storage/interface.js';

export function checkPreconditions(ref: GroupResource, name: string, current: KubeObject, pre: Preconditions): void {
  if (pre.uid && pre.uid !== current.metadata.uid) {
    throw conflict(
      ref,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
    );
  }
  if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw conflict(
      ref,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
    );
  }
}

/** A PUT body that carries a uid or resourceVersion replaces only the object that has them. */
export function preconditionsOfBody(body: KubeObject): Preconditions {
  const preconditions: Preconditions = {};
  if (body.metadata.resourceVersion) preconditions.resourceVersion = body.metadata.resourceVersion;
  if (body.metadata.uid) preconditions.uid = body.metadata.uid;
  return preconditions;
}
