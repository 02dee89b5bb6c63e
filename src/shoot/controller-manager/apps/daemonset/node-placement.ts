/**
 * Where a DaemonSet runs (pkg/controller/daemon, component-helpers scheduling): a node whose
 * labels the pod's nodeSelector and required node affinity match and whose NoSchedule/NoExecute
 * taints its tolerations tolerate — with the tolerations Kubernetes adds to every DaemonSet pod
 * (not-ready and unreachable NoExecute; disk, memory and PID pressure and unschedulable
 * NoSchedule; network-unavailable for host-network pods). Each pod is pinned to its node as
 * Kubernetes does since 1.12: a required node affinity `matchFields metadata.name In [<node>]`,
 * so the scheduler places it.
 */
import type { PodTemplateSpec } from '../../../../api/core/pod-template.js';
import type { KubeObject } from '../../../../api/meta.js';
import { matchesNodeSelectorAndAffinity, type Taint, type Toleration, tolerates } from '../../../node-selection.js';

interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

interface NodeSelectorTerm {
  matchExpressions?: Requirement[];
  matchFields?: Requirement[];
}

interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface Node extends KubeObject {
  spec?: { taints?: Taint[]; unschedulable?: boolean };
}

const daemonTolerations: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
const networkUnavailable: Toleration = {
  key: 'node.kubernetes.io/network-unavailable',
  operator: 'Exists',
  effect: 'NoSchedule',
};

/** The pod spec's tolerations with the DaemonSet defaults added (AddOrUpdateDaemonPodTolerations). */
export function withDaemonTolerations(spec: Record<string, unknown>): Toleration[] {
  const own = (spec.tolerations as Toleration[] | undefined) ?? [];
  const added = [...daemonTolerations, ...(spec.hostNetwork ? [networkUnavailable] : [])];
  const others = own.filter((t) => !added.some((a) => a.key === t.key && a.effect === t.effect));
  return [...others, ...added];
}

/** Whether the DaemonSet's pod should run on `node` (nodeShouldRunDaemonPod). */
export function shouldRunOn(template: PodTemplateSpec | undefined, node: Node): boolean {
  const spec = (template?.spec ?? {}) as Record<string, unknown>;
  if (!matchesNodeSelectorAndAffinity(spec, node)) return false;
  const tolerations = withDaemonTolerations(spec);
  return (node.spec?.taints ?? [])
    .filter((taint) => taint.effect === 'NoSchedule' || taint.effect === 'NoExecute')
    .every((taint) => tolerations.some((t) => tolerates(t, taint)));
}

/** The affinity that pins a pod to `node` (ReplaceDaemonSetPodNodeNameNodeAffinity). */
export function pinnedAffinity(affinity: unknown, node: string): Affinity {
  const current = (affinity as Affinity | undefined) ?? {};
  return {
    ...current,
    nodeAffinity: {
      ...current.nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
      },
    },
  };
}

/** The node a DaemonSet pod is for: where it runs, else the node its affinity pins it to. */
export function nodeOfPod(pod: KubeObject): string | undefined {
  const spec = (pod.spec ?? {}) as { nodeName?: string; affinity?: Affinity };
  if (spec.nodeName) return spec.nodeName;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    const field = term.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In');
    if (field?.values?.length === 1) return field.values[0];
  }
  return undefined;
}
