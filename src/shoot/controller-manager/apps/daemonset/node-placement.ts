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

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

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

function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (!toleration.key && toleration.operator !== 'Exists') return false;
  return toleration.operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

function requirementMatches(requirement: Requirement, value: string | undefined): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const [bound] = values;
      if (value === undefined || bound === undefined) return false;
      return requirement.operator === 'Gt' ? Number(value) > Number(bound) : Number(value) < Number(bound);
    }
    default:
      return false;
  }
}

function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  return (
    expressions.every((r) => requirementMatches(r, labels[r.key])) &&
    fields.every((r) => requirementMatches(r, r.key === 'metadata.name' ? node.metadata.name : undefined))
  );
}

/** Whether the DaemonSet's pod should run on `node` (nodeShouldRunDaemonPod). */
export function shouldRunOn(template: PodTemplateSpec | undefined, node: Node): boolean {
  const spec = (template?.spec ?? {}) as Record<string, unknown>;
  const labels = node.metadata.labels ?? {};
  const selector = (spec.nodeSelector as Record<string, string> | undefined) ?? {};
  if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
  const terms = (spec.affinity as Affinity | undefined)?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
    ?.nodeSelectorTerms;
  if (terms && !terms.some((term) => termMatches(term, node))) return false;
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
