/**
 * Which objects a controller owns (client-go's ControllerRefManager): those whose controller
 * reference names it and that its selector still matches; it adopts orphans its selector matches
 * and releases the ones that no longer match. Adoption and release are merge patches carrying the
 * object's resourceVersion, so a concurrent change makes them fail and the next reconcile decides
 * again from fresher state.
 */
import type { WorkloadSpec } from '../../../api/core/pod-template.js';
import { type LabelSelector, selectorMatches } from '../../../api/label-selector.js';
import { controllerReference, type KubeObject, type OwnerReference } from '../../../api/meta.js';
import type { ResourceRef } from '../../../api/resource-ref.js';
import { semanticEqual } from '../../../api/validation.js';
import { type Client, ignoreNotFound } from '../../../client/client.js';
import type { ObjectKey } from '../../../controller/controller.js';
import type { Lister } from '../../../controller/shared-informers.js';

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** The controller reference a workload puts on what it creates and adopts (blockOwnerDeletion). */
export function ownerRefTo(owner: KubeObject, ref: ResourceRef): OwnerReference {
  const apiVersion = ref.group ? `${ref.group}/${ref.version}` : ref.version;
  return controllerReference({ apiVersion, kind: ref.kind, metadata: owner.metadata }, true);
}

export interface ClaimOptions<T extends KubeObject> {
  client: Client;
  /** The owner's resource (its kind goes into the reference). */
  ownerResource: ResourceRef;
  owner: KubeObject & { spec?: WorkloadSpec };
  /** The resource of the objects claimed. */
  resource: ResourceRef<T>;
  /** The candidates: the objects in the owner's namespace, as cached. */
  candidates: readonly T[];
}

/**
 * The objects `owner` controls after adopting and releasing. Adoption first checks, with a live
 * read, that the owner is still the one cached and not being deleted (Kubernetes' canAdopt):
 * a deleted and recreated owner must not take over its predecessor's pods.
 */
export async function claimObjects<T extends KubeObject>(options: ClaimOptions<T>): Promise<T[]> {
  const { client, owner, resource, candidates } = options;
  const selector = owner.spec?.selector ?? {};
  const uid = owner.metadata.uid;
  const namespace = owner.metadata.namespace ?? '';
  const objects = client.resource(resource);
  const claimed: T[] = [];
  let canAdopt: boolean | undefined;
  for (const obj of candidates) {
    const matches = selectorMatches(selector, obj.metadata.labels);
    const ref = controllerRefOf(obj);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (owner.metadata.deletionTimestamp) continue;
      const others = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      await objects
        .patch(namespace, obj.metadata.name ?? '', {
          metadata: { ownerReferences: others.length ? others : null, resourceVersion: obj.metadata.resourceVersion },
        })
        .catch(ignoreNotFound);
      continue;
    }
    if (!matches || owner.metadata.deletionTimestamp || obj.metadata.deletionTimestamp) continue;
    canAdopt ??= await stillTheOwner(client, options.ownerResource, owner);
    if (!canAdopt) continue;
    const adopted = await objects
      .patch(namespace, obj.metadata.name ?? '', {
        metadata: {
          ownerReferences: [...(obj.metadata.ownerReferences ?? []), ownerRefTo(owner, options.ownerResource)],
          resourceVersion: obj.metadata.resourceVersion,
        },
      })
      .catch(ignoreNotFound);
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

async function stillTheOwner(client: Client, ref: ResourceRef, owner: KubeObject): Promise<boolean> {
  const fresh = await client.resource(ref).find(owner.metadata.namespace ?? '', owner.metadata.name ?? '');
  return fresh !== null && fresh.metadata.uid === owner.metadata.uid && !fresh.metadata.deletionTimestamp;
}

/**
 * A watch's map from an owned object to its owner's key: the `kind` owner its controller
 * reference names (when that owner is still the one cached), or, for an orphan, every owner in its
 * namespace whose selector matches it — each may adopt it.
 */
export function ownerKeys<O extends KubeObject>(
  kind: string,
  owners: Lister<O>,
  selectorOf: (owner: O) => LabelSelector,
): (obj: KubeObject) => ObjectKey[] {
  return (obj) => {
    const namespace = obj.metadata.namespace ?? '';
    const ref = controllerRefOf(obj);
    if (ref) {
      const owner = ref.kind === kind ? owners.get(namespace, ref.name) : undefined;
      return owner && owner.metadata.uid === ref.uid ? [{ namespace, name: ref.name }] : [];
    }
    return owners
      .list(namespace)
      .filter((owner) => selectorMatches(selectorOf(owner), obj.metadata.labels))
      .map((owner) => ({ namespace, name: owner.metadata.name ?? '' }));
  };
}

/**
 * Writes `status` through the status subresource unless the object has it already; the stored
 * object, or undefined when gone. Fields named in `omitEmpty` are left out when 0, as the Go
 * types' `omitempty` leaves them out of what Kubernetes serves.
 */
export async function writeStatus<T extends KubeObject>(
  client: Client,
  ref: ResourceRef<T>,
  obj: T,
  status: object,
  omitEmpty: readonly string[] = [],
): Promise<T | undefined> {
  const next: Record<string, unknown> = { ...status };
  for (const field of omitEmpty) if (next[field] === 0) delete next[field];
  if (semanticEqual(obj.status ?? {}, next)) return obj;
  const updated = await client
    .resource(ref)
    .update(obj.metadata.namespace ?? '', { ...obj, status: next }, { subresource: 'status' })
    .catch(ignoreNotFound);
  return updated ?? undefined;
}
