/**
 * Whether a pod may go to a node, as Kubernetes' component-helpers (scheduling/corev1) decide it
 * for both kube-scheduler and the DaemonSet controller: a toleration tolerating a taint, and a
 * node matching the pod's nodeSelector and required node affinity. The scheduler's filters
 * (scheduler/filters.ts) and the DaemonSet's node placement
 * (controller-manager/apps/daemonset/node-placement.ts) both judge with these.
 */
import { isRecord, type KubeObject } from '../api/meta.js';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** Whether `toleration` tolerates `taint` (k8s `Toleration.ToleratesTaint`). */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (!toleration.key && toleration.operator !== 'Exists') return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

interface Requirement {
  key?: string;
  operator?: string;
  values?: string[];
}

/** One node selector requirement against a value (a label, or a field) that may be absent. */
function requirementMatches(req: Requirement, value: string | undefined): boolean {
  const values = Array.isArray(req.values) ? req.values : [];
  switch (req.operator) {
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
      if (value === undefined || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0] ?? '')) return false;
      const [have, bound] = [BigInt(value), BigInt(values[0]!)];
      return req.operator === 'Gt' ? have > bound : have < bound;
    }
    default:
      return false;
  }
}

function requirements(term: Record<string, unknown>, field: string): Requirement[] {
  const list = term[field];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

/** A node selector term: all its label expressions and field expressions (only `metadata.name`) hold; an empty term matches nothing. */
function termMatches(term: Record<string, unknown>, node: KubeObject): boolean {
  const expressions = requirements(term, 'matchExpressions');
  const fields = requirements(term, 'matchFields');
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return (
    expressions.every((req) => requirementMatches(req, req.key === undefined ? undefined : labels[req.key])) &&
    fields.every((req) => requirementMatches(req, req.key === 'metadata.name' ? node.metadata.name : undefined))
  );
}

/** Whether the node satisfies the pod spec's nodeSelector and required node affinity (any of its terms). */
export function matchesNodeSelectorAndAffinity(podSpec: Record<string, unknown>, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  const selector = isRecord(podSpec.nodeSelector) ? podSpec.nodeSelector : {};
  if (!Object.entries(selector).every(([key, value]) => labels[key] === value)) return false;
  const affinity =
    isRecord(podSpec.affinity) && isRecord(podSpec.affinity.nodeAffinity) ? podSpec.affinity.nodeAffinity : {};
  const required = affinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (!isRecord(required)) return true;
  const terms = Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms.filter(isRecord) : [];
  return terms.some((term) => termMatches(term, node));
}
