/**
 * A StatefulSet's pods and claims by identity (pkg/controller/statefulset stateful_set_utils.go):
 * pod `<set>-<ordinal>` with hostname and subdomain (the governing Service), the labels
 * `statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index` and
 * `controller-revision-hash`, and a PersistentVolumeClaim `<claim>-<set>-<ordinal>` per
 * volumeClaimTemplate mounted in place of the template's volume of that name.
 */

import { type StatefulSet, statefulSetResource } from '../../../../api/apps/workloads.js';
import type { Pod } from '../../../../api/core/pod.js';
import type { PodTemplateSpec } from '../../../../api/core/pod-template.js';
import type { KubeObject } from '../../../../api/meta.js';
import { ownerRefTo } from '../claim.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../history.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** The ordinal of `pod` when its name is `<set>-<ordinal>`, else undefined. */
export function ordinalOf(set: StatefulSet, pod: KubeObject): number | undefined {
  const prefix = `${set.metadata.name}-`;
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function claimName(claim: KubeObject, set: StatefulSet, ordinal: number): string {
  return `${claim.metadata.name}-${podName(set, ordinal)}`;
}

/**
 * The claims the pod of `ordinal` needs, as new objects; owned by the set when its
 * persistentVolumeClaimRetentionPolicy deletes them with it (whenDeleted: Delete), so the garbage
 * collector does.
 */
export function claimsFor(set: StatefulSet, ordinal: number): KubeObject[] {
  const deletedWithSet = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
  return (set.spec?.volumeClaimTemplates ?? []).map((template) => ({
    metadata: {
      name: claimName(template, set, ordinal),
      namespace: set.metadata.namespace,
      labels: { ...template.metadata.labels, ...set.spec?.selector?.matchLabels },
      ...(template.metadata.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ...(deletedWithSet ? { ownerReferences: [claimOwnerRef(set, 'apps/v1', 'StatefulSet')] } : {}),
    },
    spec: structuredClone(template.spec),
  }));
}

/** A plain (not controller) owner reference: the claim goes when its owner goes. */
export function claimOwnerRef(owner: KubeObject, apiVersion: string, kind: string) {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '' };
}

/** The pod of `ordinal` from `template` (of the revision named `revision`). */
export function newStatefulPod(set: StatefulSet, template: PodTemplateSpec, revision: string, ordinal: number): Pod {
  const name = podName(set, ordinal);
  const spec = structuredClone(template.spec ?? {});
  const claimed = new Map((set.spec?.volumeClaimTemplates ?? []).map((c) => [c.metadata.name ?? '', c] as const));
  const volumes = ((spec.volumes ?? []) as { name?: string }[]).filter((v) => !claimed.has(v.name ?? ''));
  for (const [volume, claim] of claimed) {
    volumes.push({ name: volume, persistentVolumeClaim: { claimName: claimName(claim, set, ordinal) } } as never);
  }
  if (volumes.length) spec.volumes = volumes as never;
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  return {
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: {
        ...template.metadata?.labels,
        [POD_NAME_LABEL]: name,
        [POD_INDEX_LABEL]: String(ordinal),
        [CONTROLLER_REVISION_HASH_LABEL]: revision,
      },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [ownerRefTo(set, statefulSetResource)],
    },
    spec,
  };
}
