/**
 * kube-scheduler's filters, in its order (NodeUnschedulable, TaintToleration, NodeAffinity,
 * NodeResourcesFit): each says why a node cannot take a pod, in the words `kubectl describe pod`
 * shows, or nothing when it can. The first filter that refuses a node decides its reasons, as in
 * the scheduling framework. A refusal is "unresolvable" when evicting other pods could not help
 * (the preemption part of the message tells them apart).
 */
import { isRecord, type KubeObject } from '../../api/meta.js';
import { matchesNodeSelectorAndAffinity, type Taint, type Toleration, tolerates } from '../node-selection.js';
import type { ResourceAmounts } from './resources.js';

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

/** NodeAffinity: nodeSelector and required node affinity. */
export function nodeAffinity(pod: KubeObject, node: KubeObject): Refusal | undefined {
  if (matchesNodeSelectorAndAffinity(podSpec(pod), node)) return undefined;
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
