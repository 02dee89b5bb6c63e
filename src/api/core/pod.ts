/**
 * Pod (v1, namespaced): what the API server adds to a new pod (the pod spec's defaults, the
 * service account, priority and not-ready/unreachable tolerations its admission plugins add,
 * status Pending with a QoS class), what it refuses on update (a pod's spec is fixed but for
 * images, activeDeadlineSeconds, added tolerations and terminationGracePeriodSeconds), and the
 * cells of `kubectl get pods` (READY, STATUS, RESTARTS; IP and NODE with -o wide), as
 * printers.go computes them.
 */
import { FieldError } from '../errors.js';
import { deepCopy, isRecord, type KubeObject } from '../meta.js';
import { parseQuantity } from '../quantity.js';
import { resourceRef } from '../resource-ref.js';
import { semanticEqual } from '../validation.js';
import { type Container, defaultPodSpec, type PodSpec, validatePodSpec } from './pod-spec.js';

export const POD_RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; signal?: number; exitCode?: number } };
}

export interface PodStatus {
  phase?: string;
  reason?: string;
  podIP?: string;
  nominatedNodeName?: string;
  qosClass?: string;
  conditions?: { type?: string; status?: string; reason?: string }[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

export interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
  lastTransitionTime?: string;
}

/**
 * A pod as the controllers, the scheduler and the node agents read it. Its reference carries no
 * guard: the API server validated every pod already, and a reader takes only the fields it needs.
 */
export interface Pod extends KubeObject {
  spec?: PodSpec & Record<string, unknown>;
  status?: Omit<PodStatus, 'conditions'> & { startTime?: string; conditions?: PodCondition[] };
}

export const podResource = resourceRef<Pod>({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  namespaced: true,
});

function specOf(pod: KubeObject): PodSpec {
  return (isRecord(pod.spec) ? pod.spec : {}) as PodSpec;
}

function statusOf(pod: KubeObject): PodStatus {
  return (isRecord(pod.status) ? pod.status : {}) as PodStatus;
}

const defaultTolerations = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/**
 * A new pod's defaults: the pod spec's, then what admission adds — the `default` service
 * account, priority 0 without a priority class, and 300 s tolerations of not-ready and
 * unreachable nodes (DefaultTolerationSeconds).
 */
export function defaultPod(pod: KubeObject): void {
  const spec = specOf(pod);
  pod.spec = spec;
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (!spec.priorityClassName) {
    spec.priority ??= 0;
    spec.preemptionPolicy ??= 'PreemptLowerPriority';
  }
  const tolerations = Array.isArray(spec.tolerations) ? (spec.tolerations as Record<string, unknown>[]) : [];
  for (const key of defaultTolerations) {
    const tolerated = tolerations.some(
      (t) => (t.key === key || t.key === undefined) && (t.effect === 'NoExecute' || !t.effect),
    );
    if (!tolerated) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

/** The QoS class of a pod spec: Guaranteed, Burstable or BestEffort (k8s qos.GetPodQOS). */
export function qosClass(spec: PodSpec): string {
  const containers: Container[] = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const container of containers) {
    const requests = container.resources?.requests ?? {};
    const limits = container.resources?.limits ?? {};
    for (const name of ['cpu', 'memory']) {
      const request = requests[name] ?? limits[name];
      if (request !== undefined || limits[name] !== undefined) any = true;
      const limit = parseQuantity(limits[name]);
      if (limit === undefined || parseQuantity(request) !== limit) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/**
 * How long a deleted pod stays, marked, for its node to stop it (k8s podStrategy.CheckGracefulDelete):
 * the grace period asked for, else `spec.terminationGracePeriodSeconds`; 0 (gone at once) for a
 * pod on no node or one that has finished; a negative one becomes 1.
 */
export function podDeletionGracePeriod(pod: KubeObject, requested: number | undefined): number {
  const spec = specOf(pod);
  const phase = statusOf(pod).phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const period = requested ?? spec.terminationGracePeriodSeconds ?? 0;
  return period < 0 ? 1 : period;
}

/** A new pod's status: Pending, with its QoS class. */
export function initialPodStatus(pod: KubeObject): void {
  pod.status = { phase: 'Pending', qosClass: qosClass(specOf(pod)) };
}

export function validatePod(pod: KubeObject): FieldError[] {
  return validatePodSpec(specOf(pod), 'spec', { restartPolicies: POD_RESTART_POLICIES });
}

const podUpdateMessage =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** `validatePod`, and the spec changes only where Kubernetes lets a running pod change. */
export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs = validatePod(pod);
  const next = specOf(pod);
  const mutable = deepCopy(specOf(old));
  for (const field of ['containers', 'initContainers'] as const) {
    (mutable[field] ?? []).forEach((container, i) => {
      const image = next[field]?.[i]?.image;
      if (image !== undefined) container.image = image;
    });
  }
  mutable.activeDeadlineSeconds = next.activeDeadlineSeconds;
  mutable.terminationGracePeriodSeconds = next.terminationGracePeriodSeconds;
  const oldTolerations = Array.isArray(mutable.tolerations) ? mutable.tolerations : [];
  const newTolerations = Array.isArray(next.tolerations) ? next.tolerations : [];
  if (oldTolerations.every((t) => newTolerations.some((n) => semanticEqual(n, t)))) {
    mutable.tolerations = next.tolerations;
  }
  if (!semanticEqual(mutable, next)) errs.push(FieldError.forbidden('spec', podUpdateMessage));
  return errs;
}

/** READY: ready containers / containers. */
export function podReady(pod: KubeObject): string {
  const total = specOf(pod).containers?.length ?? 0;
  const ready = (statusOf(pod).containerStatuses ?? []).filter((c) => c.ready).length;
  return `${ready}/${total}`;
}

/** RESTARTS: the containers' restarts added up. */
export function podRestarts(pod: KubeObject): number {
  return (statusOf(pod).containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
}

/**
 * STATUS as kubectl prints it: the phase or the pod's reason, an init container's progress
 * (`Init:0/1`), a container's waiting or terminated reason, `Terminating` once deleted.
 */
export function podStatusReason(pod: KubeObject): string {
  const status = statusOf(pod);
  let reason = status.reason || status.phase || 'Pending';
  const scheduling = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
  if (scheduling?.status === 'False' && scheduling.reason === 'SchedulingGated') reason = 'SchedulingGated';
  const inits = status.initContainerStatuses ?? [];
  let initializing = false;
  inits.forEach((c, i) => {
    if (initializing) return;
    const terminated = c.state?.terminated;
    if (terminated && terminated.exitCode === 0) return;
    initializing = true;
    if (terminated) reason = `Init:${terminated.reason || `ExitCode:${terminated.exitCode ?? 0}`}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${c.state.waiting.reason}`;
    } else reason = `Init:${i}/${specOf(pod).initContainers?.length ?? inits.length}`;
  });
  if (!initializing) {
    for (const c of [...(status.containerStatuses ?? [])].reverse()) {
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
      else if (c.state?.terminated) {
        reason = c.state.terminated.signal
          ? `Signal:${c.state.terminated.signal}`
          : `ExitCode:${c.state.terminated.exitCode ?? 0}`;
      }
    }
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

export function podIP(pod: KubeObject): string {
  return statusOf(pod).podIP || '<none>';
}

export function podNode(pod: KubeObject): string {
  return specOf(pod).nodeName || '<none>';
}

export function podNominatedNode(pod: KubeObject): string {
  return statusOf(pod).nominatedNodeName || '<none>';
}

/** READINESS GATES: satisfied gates / gates, or <none>. */
export function podReadinessGates(pod: KubeObject): string {
  const gates = Array.isArray(specOf(pod).readinessGates)
    ? (specOf(pod).readinessGates as { conditionType?: string }[])
    : [];
  if (gates.length === 0) return '<none>';
  const conditions = statusOf(pod).conditions ?? [];
  const met = gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length;
  return `${met}/${gates.length}`;
}

/** Whether the pod's `Ready` condition is True (podutil.IsPodReady). */
export function isPodReady(pod: KubeObject): boolean {
  const conditions: unknown = statusOf(pod).conditions;
  return Array.isArray(conditions) && conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True');
}

/** The pod's phase; Pending when it has none yet. */
export function podPhase(pod: KubeObject): string {
  const phase = statusOf(pod).phase;
  return typeof phase === 'string' ? phase : 'Pending';
}

/** Succeeded or Failed: the pod runs no more. */
export function isPodTerminal(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}
