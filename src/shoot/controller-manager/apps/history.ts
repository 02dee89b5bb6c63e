/**
 * ControllerRevisions: the template history of StatefulSets and DaemonSets
 * (pkg/controller/history, statefulset's and daemonset's `getStatefulSetRevisions` /
 * `constructHistory`). A revision holds the template as a patch of its owner, is named
 * `<owner>-<hash>`, and numbers its place in the history; the revision equal to the current
 * template is found by comparing data, so a restarted controller finds it again, whatever hash it
 * would compute, and moving back to an old template renumbers that revision instead of adding one.
 */
import { type ControllerRevision, controllerRevisionResource } from '../../../api/apps/workloads.js';
import { type Pod, podResource } from '../../../api/core/pod.js';
import type { PodTemplateSpec, WorkloadSpec } from '../../../api/core/pod-template.js';
import { isAlreadyExists } from '../../../api/errors.js';
import { isRecord, type KubeObject } from '../../../api/meta.js';
import type { ResourceRef } from '../../../api/resource-ref.js';
import { semanticEqual } from '../../../api/validation.js';
import { type Client, ignoreNotFound } from '../../../client/client.js';
import type { Lister } from '../../../controller/shared-informers.js';
import { claimObjects, ownerRefTo } from './claim.js';
import { computeHash } from './deployment/pod-template-hash.js';

/** The label pods carry with the revision they were made from (its name for StatefulSets, its hash for DaemonSets). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** The label a StatefulSet's revisions carry their hash in. */
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

/** What a revision stores of its owner: the template, as a patch that replaces it (getPatch). */
export function revisionData(template: PodTemplateSpec | undefined): unknown {
  return { spec: { template: { ...structuredClone(template ?? {}), $patch: 'replace' } } };
}

/** The template a revision holds. */
export function templateOf(revision: ControllerRevision): PodTemplateSpec {
  const data = isRecord(revision.data) ? revision.data : {};
  const spec = isRecord(data.spec) ? data.spec : {};
  const { $patch: _, ...template } = (isRecord(spec.template) ? spec.template : {}) as Record<string, unknown>;
  return template as PodTemplateSpec;
}

export function byRevisionNumber(a: ControllerRevision, b: ControllerRevision): number {
  return (a.revision ?? 0) - (b.revision ?? 0) || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1);
}

export interface RevisionOwner {
  client: Client;
  owner: KubeObject & { status?: { collisionCount?: number } };
  ownerResource: ResourceRef;
  labels: Record<string, string>;
  /** The label a new revision carries its hash in (`controller.kubernetes.io/hash`, DaemonSets' `controller-revision-hash`). */
  hashLabel: string;
  /** The owner's revisions, as claimed. */
  revisions: readonly ControllerRevision[];
}

/**
 * The revision of `data`: the latest one when it is equal, an older equal one renumbered to come
 * last, or a new one; and the collision count it took to name it.
 */
export async function ensureRevision(
  { client, owner, ownerResource, labels, hashLabel, revisions }: RevisionOwner,
  data: unknown,
): Promise<{ revision: ControllerRevision; collisionCount: number | undefined }> {
  const sorted = [...revisions].sort(byRevisionNumber);
  const next = (sorted.at(-1)?.revision ?? 0) + 1;
  const equal = sorted.filter((r) => semanticEqual(r.data, data));
  const collisionCount = owner.status?.collisionCount;
  const namespace = owner.metadata.namespace ?? '';
  const api = client.resource(controllerRevisionResource);
  const latestEqual = equal.at(-1);
  if (latestEqual && latestEqual === sorted.at(-1)) return { revision: latestEqual, collisionCount };
  if (latestEqual) return { revision: await api.update(namespace, { ...latestEqual, revision: next }), collisionCount };
  let count = collisionCount;
  for (;;) {
    const hash = computeHash(data, count);
    const name = `${(owner.metadata.name ?? '').slice(0, 223)}-${hash}`;
    try {
      const created = await api.create(namespace, {
        metadata: {
          name,
          namespace,
          labels: { ...labels, [hashLabel]: hash },
          ownerReferences: [ownerRefTo(owner, ownerResource)],
        },
        data,
        revision: next,
      });
      return { revision: created, collisionCount: count };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await api.get(namespace, name);
      // Ours already, not yet in the cache: the same data under the same name.
      if (semanticEqual(existing.data, data)) return { revision: existing, collisionCount: count };
      count = (count ?? 0) + 1;
    }
  }
}

/** Deletes the oldest revisions beyond `limit` that no pod and neither `keep` revision uses (truncateHistory). */
export async function truncateHistory(
  client: Client,
  revisions: readonly ControllerRevision[],
  live: ReadonlySet<string>,
  limit: number,
): Promise<void> {
  const historic = revisions.filter((r) => !live.has(r.metadata.name ?? '')).sort(byRevisionNumber);
  for (const revision of historic.slice(0, Math.max(historic.length - limit, 0))) {
    await client
      .resource(controllerRevisionResource)
      .delete(revision.metadata.namespace ?? '', revision.metadata.name ?? '', {
        preconditions: { uid: revision.metadata.uid ?? '' },
      })
      .catch(ignoreNotFound);
  }
}

export interface PodsAndHistory {
  pods: Pod[];
  revisions: ControllerRevision[];
  /** The revision of the owner's current template. */
  revision: ControllerRevision;
  collisionCount: number | undefined;
}

/**
 * What a StatefulSet or DaemonSet controls, claimed from the caches (adopting and releasing, see
 * ./claim.ts), and the revision of its current template, created when it is new.
 */
export async function claimPodsAndHistory(
  client: Client,
  ownerResource: ResourceRef,
  owner: KubeObject & { spec?: WorkloadSpec; status?: { collisionCount?: number } },
  caches: { pods: Lister<Pod>; revisions: Lister<ControllerRevision> },
  hashLabel: string,
): Promise<PodsAndHistory> {
  const namespace = owner.metadata.namespace ?? '';
  const claim = { client, ownerResource, owner };
  const revisions = await claimObjects({
    ...claim,
    resource: controllerRevisionResource,
    candidates: caches.revisions.list(namespace),
  });
  const pods = await claimObjects({ ...claim, resource: podResource, candidates: caches.pods.list(namespace) });
  const labels = owner.spec?.template?.metadata?.labels ?? {};
  const { revision, collisionCount } = await ensureRevision(
    { ...claim, labels, hashLabel, revisions },
    revisionData(owner.spec?.template),
  );
  return { pods, revisions, revision, collisionCount };
}
