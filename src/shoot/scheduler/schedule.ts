/**
 * One scheduling decision (k8s `schedulePod`): filter every node, score those that fit, and pick
 * the best; or, when none fits, the FitError message kube-scheduler writes into the pod's
 * PodScheduled condition and its FailedScheduling event ("0/3 nodes are available: 3 Insufficient
 * cpu. preemption: …"). Pure: the caller gives the nodes and the pods already on each.
 *
 * Scores (higher is better), summed: NodeResourcesFit's LeastAllocated (cpu and memory left after
 * the pod, 0–100, pods without requests counted as 100m/200Mi so they spread too), a spread score
 * (fewer pods of the same owner, or the same labels, on the node; 0–100) and TaintToleration's
 * (fewer untolerated PreferNoSchedule taints; 0–100). Ties go to the node first by name.
 */
import { isRecord, type KubeObject } from '../../api/meta.js';
import { tolerates } from '../node-selection.js';
import { filterNode, type NodeState, type Refusal, taintsOf, tolerationsOf } from './filters.js';
import { nodeAllocatable, nonZeroRequests, podRequests, type ResourceAmounts, requestedOnNode } from './resources.js';

export type ScheduleResult = { node: string } | { unschedulable: string };

/** A node and the (non-terminal) pods on it, bound or assumed. */
export interface NodeWithPods {
  node: KubeObject;
  pods: readonly KubeObject[];
}

interface Candidate {
  name: string;
  state: NodeState;
  pods: readonly KubeObject[];
  nonZeroRequested: ResourceAmounts;
}

const scoredResources = ['cpu', 'memory'] as const;

function leastAllocated(pod: ResourceAmounts, candidate: Candidate): number {
  const scores = scoredResources.map((name) => {
    const allocatable = candidate.state.allocatable[name] ?? 0;
    if (allocatable <= 0) return 0;
    const requested = (candidate.nonZeroRequested[name] ?? 0) + (pod[name] ?? 0);
    return (Math.max(0, allocatable - requested) * 100) / allocatable;
  });
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}

/** The pod's controller owner's uid, else its labels: what makes two pods "the same" for spreading. */
function spreadKey(pod: KubeObject): string {
  const owner = (pod.metadata.ownerReferences ?? []).find((ref) => ref.controller) ?? pod.metadata.ownerReferences?.[0];
  if (owner) return `owner:${owner.uid}`;
  const labels = Object.entries(pod.metadata.labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return `labels:${pod.metadata.namespace ?? ''}:${JSON.stringify(labels)}`;
}

/** 100 for the lowest count, 0 for the highest (all 100 when they are equal). */
function normalizedInverse(counts: readonly number[]): number[] {
  const most = Math.max(0, ...counts);
  return counts.map((count) => (most === 0 ? 100 : (100 * (most - count)) / most));
}

function preferNoScheduleCount(pod: KubeObject, node: KubeObject): number {
  const tolerations = tolerationsOf(pod);
  return taintsOf(node).filter((t) => t.effect === 'PreferNoSchedule' && !tolerations.some((tol) => tolerates(tol, t)))
    .length;
}

/** Kubernetes' FitError message, from each refused node's reasons. */
export function unschedulableMessage(pod: KubeObject, total: number, refusals: readonly Refusal[]): string {
  if (total === 0) return 'no nodes available to schedule pods';
  const histogram = (reasons: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    return [...counts].map(([reason, count]) => `${count} ${reason}`).sort();
  };
  const filterPart = `0/${total} nodes are available: ${histogram(refusals.flatMap((r) => r.reasons)).join(', ')}.`;
  const spec = isRecord(pod.spec) ? pod.spec : {};
  if (spec.preemptionPolicy === 'Never') return `${filterPart} preemption: not eligible due to preemptionPolicy=Never.`;
  const preemption = histogram(
    refusals.map((r) =>
      r.unresolvable ? 'Preemption is not helpful for scheduling' : 'No preemption victims found for incoming pod',
    ),
  );
  return `${filterPart} preemption: 0/${total} nodes are available: ${preemption.join(', ')}.`;
}

/** Where `pod` goes among `nodes`, or why it cannot go anywhere. */
export function schedulePod(pod: KubeObject, nodes: readonly NodeWithPods[]): ScheduleResult {
  const requests = podRequests(pod);
  const refusals: Refusal[] = [];
  const feasible: Candidate[] = [];
  for (const { node, pods } of nodes) {
    const state: NodeState = { node, allocatable: nodeAllocatable(node), requested: requestedOnNode(pods) };
    const refusal = filterNode(pod, requests, state);
    if (refusal) {
      refusals.push(refusal);
      continue;
    }
    const nonZeroRequested = requestedOnNode(pods, (p) => nonZeroRequests(podRequests(p)));
    feasible.push({ name: node.metadata.name ?? '', state, pods, nonZeroRequested });
  }
  if (feasible.length === 0) return { unschedulable: unschedulableMessage(pod, nodes.length, refusals) };
  const podNonZero = nonZeroRequests(requests);
  const mine = spreadKey(pod);
  const spread = normalizedInverse(feasible.map((c) => c.pods.filter((p) => spreadKey(p) === mine).length));
  const taints = normalizedInverse(feasible.map((c) => preferNoScheduleCount(pod, c.state.node)));
  const scored = feasible.map((candidate, i) => ({
    name: candidate.name,
    score: leastAllocated(podNonZero, candidate) + spread[i]! + taints[i]!,
  }));
  scored.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  return { node: scored[0]!.name };
}
