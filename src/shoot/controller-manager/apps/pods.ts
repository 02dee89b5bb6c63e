/**
 * What the workload controllers ask of a pod (k8s.io/kubernetes pkg/api/v1/pod, pkg/controller
 * controller_utils.go): whether it is active, ready, available after minReadySeconds, and which
 * pods to delete first when there are too many.
 */
import { isPodReady, type Pod } from '../../../api/core/pod.js';

/** Not finished (Succeeded/Failed) and not being deleted: it counts toward the replicas. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Ready for at least `minReadySeconds` at `now`. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const ready = readyCondition(pod);
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now.getTime();
}

/**
 * When a ready pod that is not yet available becomes available, in ms from `now`; undefined when
 * none waits. A controller looks again then (Kubernetes' `AddAfter(key, minReadySeconds)`).
 */
export function nextAvailableInMs(pods: readonly Pod[], minReadySeconds: number, now: Date): number | undefined {
  let next: number | undefined;
  for (const pod of pods) {
    const ready = readyCondition(pod);
    if (ready?.status !== 'True' || isPodAvailable(pod, minReadySeconds, now)) continue;
    const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : now.getTime();
    const wait = Math.max(since + minReadySeconds * 1000 - now.getTime(), 0) + 50;
    next = next === undefined ? wait : Math.min(next, wait);
  }
  return next;
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

function deletionCost(pod: Pod): number {
  const cost = Number(pod.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'] ?? 0);
  return Number.isFinite(cost) ? cost : 0;
}

function readySince(pod: Pod): number {
  const since = readyCondition(pod)?.lastTransitionTime;
  return since ? Date.parse(since) : 0;
}

/**
 * Orders pods the way Kubernetes deletes them when scaling down (ActivePodsWithRanks): unscheduled
 * before scheduled; Pending before Unknown before Running; not ready before ready; lower
 * pod-deletion-cost first; pods sharing their node with more of the same owner's pods first;
 * ready for less time first; more restarts first; newer first.
 */
export function podsToDeleteFirst(pods: readonly Pod[], related: readonly Pod[] = pods): Pod[] {
  const perNode = new Map<string, number>();
  for (const pod of related) {
    const node = pod.spec?.nodeName;
    if (node && isPodActive(pod)) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const key = (pod: Pod) => [
    pod.spec?.nodeName ? 1 : 0,
    phaseRank[pod.status?.phase ?? 'Pending'] ?? 0,
    isPodReady(pod) ? 1 : 0,
    deletionCost(pod),
    -(perNode.get(pod.spec?.nodeName ?? '') ?? 0),
    isPodReady(pod) ? -readySince(pod) : 0,
    -restarts(pod),
    -Date.parse(pod.metadata.creationTimestamp ?? '1970-01-01T00:00:00Z'),
  ];
  return [...pods].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    return 0;
  });
}
