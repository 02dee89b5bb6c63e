/**
 * kube-scheduler's filters, in its order (NodeUnschedulable, TaintToleration, NodeAffinity,
 * NodeResourcesFit): each says why a node cannot take a pod, in the words `kubectl describe pod`
 * shows, or nothing when it can. The first filter that refuses a node decides its reasons, as in
 * the scheduling framework. A refusal is "unresolvable" when evicting other pods could not help
 * (the preemption part of the message tells them apart).
 */
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { ResourceAmounts } from './resources.js';

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
}

/** Why a node cannot take the pod. */
export interface Refusal {
  reasons: string[];
  /** Preemption cannot help (NodeAffinity, taints, unschedulable); only a lack of resources can be helped. */
  unresolvable: boolean;
}

/** What the filters look at of a node: the node, and what the pods already on it request. */
export interface NodeState {
  node: KubeObject;
  allocatable: ResourceAmounts;
  requested: ResourceAmounts;
}

export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

function podSpec(pod: KubeObject): Record<string, unknown> {
  return isRecord(pod.spec) ? pod.spec : {};
}

function nodeSpec(node: KubeObject): Record<string, unknown> {
  return isRecord(node.spec) ? node.spec : {};
}

export function tolerationsOf(pod: KubeObject): Toleration[] {
  const list = podSpec(pod).tolerations;
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

/** Whether `toleration` tolerates `taint` (k8s `Toleration.ToleratesTaint`). */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (!toleration.key && toleration.operator !== 'Exists') return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

function readyStatus(node: KubeObject): string | undefined {
  const status = isRecord(node.status) ? node.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : [];
  const ready = conditions.find((c) => c.type === 'Ready');
  return typeof ready?.status === 'string' ? ready.status : undefined;
}

/**
 * The node's taints, with those the node lifecycle controller puts on a node that is not Ready
 * (TaintNodesByCondition: not-ready, or unreachable while its status is Unknown) where missing.
 */
export function taintsOf(node: KubeObject): Taint[] {
  const listed = nodeSpec(node).taints;
  const taints: Taint[] = Array.isArray(listed)
    ? listed.filter(
        (t): t is Taint & Record<string, unknown> =>
          isRecord(t) && typeof t.key === 'string' && typeof t.effect === 'string',
      )
    : [];
  const ready = readyStatus(node);
  if (ready !== 'True') {
    const key = ready === 'False' ? NOT_READY_TAINT : UNREACHABLE_TAINT;
    if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
  }
  return taints;
}

/** NodeUnschedulable: a cordoned node takes only pods tolerating its unschedulable taint. */
export function nodeUnschedulable(pod: KubeObject, node: KubeObject): Refusal | undefined {
  if (nodeSpec(node).unschedulable !== true) return undefined;
  const taint = { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' };
  if (tolerationsOf(pod).some((t) => tolerates(t, taint))) return undefined;
  return { reasons: ['node(s) were unschedulable'], unresolvable: true };
}

/** TaintToleration: every NoSchedule and NoExecute taint of the node must be tolerated (PreferNoSchedule only scores). */
export function taintToleration(pod: KubeObject, node: KubeObject): Refusal | undefined {
  const tolerations = tolerationsOf(pod);
  const untolerated = taintsOf(node).find(
    (taint) => taint.effect !== 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint)),
  );
  if (!untolerated) return undefined;
  return {
    reasons: [`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`],
    unresolvable: true,
  };
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

/** Whether the node satisfies the pod's nodeSelector and required node affinity (any of its terms). */
export function matchesNodeSelectorAndAffinity(pod: KubeObject, node: KubeObject): boolean {
  const spec = podSpec(pod);
  const labels = node.metadata.labels ?? {};
  const selector = isRecord(spec.nodeSelector) ? spec.nodeSelector : {};
  if (!Object.entries(selector).every(([key, value]) => labels[key] === value)) return false;
  const affinity = isRecord(spec.affinity) && isRecord(spec.affinity.nodeAffinity) ? spec.affinity.nodeAffinity : {};
  const required = affinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (!isRecord(required)) return true;
  const terms = Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms.filter(isRecord) : [];
  return terms.some((term) => termMatches(term, node));
}

/** NodeAffinity: nodeSelector and required node affinity. */
export function nodeAffinity(pod: KubeObject, node: KubeObject): Refusal | undefined {
  if (matchesNodeSelectorAndAffinity(pod, node)) return undefined;
  return { reasons: ["node(s) didn't match Pod's node affinity/selector"], unresolvable: true };
}

/** NodeResourcesFit: the pod's requests within what the node has left, and room for one more pod. */
export function nodeResourcesFit(podRequests: ResourceAmounts, state: NodeState): Refusal | undefined {
  const reasons: string[] = [];
  const allowedPods = state.allocatable.pods ?? 0;
  if ((state.requested.pods ?? 0) + 1 > allowedPods) reasons.push('Too many pods');
  for (const [name, wanted] of Object.entries(podRequests)) {
    if (name === 'pods' || wanted <= 0) continue;
    const free = (state.allocatable[name] ?? 0) - (state.requested[name] ?? 0);
    if (wanted > free) reasons.push(`Insufficient ${name}`);
  }
  return reasons.length > 0 ? { reasons, unresolvable: false } : undefined;
}

/** The filters in kube-scheduler's order; the first refusal is the node's. */
export function filterNode(pod: KubeObject, podRequests: ResourceAmounts, state: NodeState): Refusal | undefined {
  return (
    nodeUnschedulable(pod, state.node) ??
    taintToleration(pod, state.node) ??
    nodeAffinity(pod, state.node) ??
    nodeResourcesFit(podRequests, state)
  );
}
