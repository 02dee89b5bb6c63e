/**
 * The status a kubelet reports for a pod on its node, computed without running anything (as
 * kubernetes-sigs/kwok's pod stages do): a pod it starts is Running with every container running
 * and ready and its init containers Completed; a run-to-completion pod (restartPolicy Never or
 * OnFailure, as every Job's) is Succeeded once its time is up; a pod being deleted has its
 * containers stopped (exit code 0) before its node deletes it for good.
 *
 * Pure and stable: what the pod already reports (startTime, containers' startedAt and ids, the pod
 * IP, conditions' lastTransitionTime) is kept, so computing again from a status this node wrote
 * gives the same status — after the API server moved to another seed, or the node agent itself
 * restarted, nothing is re-timed, restarted or re-addressed, and nothing needs writing.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { isRecord, type KubeObject } from '../../api/meta.js';

type Json = Record<string, unknown>;

/** What the node gives a pod it runs. */
export interface PodPlacement {
  /** The node's InternalIP. */
  hostIP: string;
  /** The pod's address from the node's pod CIDR (the host's for hostNetwork pods). */
  podIP: string;
  now: string;
}

/** What happens to a pod next on this node. */
export type PodStage = 'start' | 'running' | 'complete' | 'terminate' | 'done';

function spec(pod: KubeObject): Json {
  return isRecord(pod.spec) ? pod.spec : {};
}

export function statusOf(pod: KubeObject): Json {
  return isRecord(pod.status) ? pod.status : {};
}

function containers(pod: KubeObject, field: 'containers' | 'initContainers'): Json[] {
  const list = spec(pod)[field];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

function statuses(pod: KubeObject, field: 'containerStatuses' | 'initContainerStatuses'): Json[] {
  const list = statusOf(pod)[field];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

function conditions(pod: KubeObject): Json[] {
  const list = statusOf(pod).conditions;
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

/** A run-to-completion pod: its containers exit and it ends Succeeded (a Job's pods are all such). */
export function runsToCompletion(pod: KubeObject): boolean {
  const policy = spec(pod).restartPolicy;
  return policy === 'Never' || policy === 'OnFailure';
}

/** Whether this node already started the pod (it reports it Running, or finished). */
export function started(pod: KubeObject): boolean {
  const phase = statusOf(pod).phase;
  return phase === 'Running' || phase === 'Succeeded' || phase === 'Failed';
}

export function podStage(pod: KubeObject, nowMs: number, completeAfterMs: number): PodStage {
  const phase = statusOf(pod).phase;
  if (pod.metadata.deletionTimestamp) return 'terminate';
  if (phase === 'Succeeded' || phase === 'Failed') return 'done';
  if (!started(pod)) return 'start';
  if (runsToCompletion(pod) && nowMs >= completionDue(pod, completeAfterMs)) return 'complete';
  return 'running';
}

/** When a run-to-completion pod finishes: `completeAfterMs` after it started. */
export function completionDue(pod: KubeObject, completeAfterMs: number): number {
  const startTime = statusOf(pod).startTime;
  return (typeof startTime === 'string' ? Date.parse(startTime) : 0) + completeAfterMs;
}

/** `containerd://<64 hex>`, the same for the same pod and container every time it is computed. */
export function containerId(pod: KubeObject, name: string): string {
  return `containerd://${createHash('sha256').update(`${pod.metadata.uid}/${name}`).digest('hex')}`;
}

/** What a container runtime reports as the image's digest reference, derived from the image name. */
export function imageId(image: string): string {
  const repository = image.replace(/@sha256:[0-9a-f]+$/, '').replace(/:[^:/]+$/, '');
  const qualified = repository.includes('/') ? repository : `docker.io/library/${repository}`;
  return `${qualified}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

function previous(pod: KubeObject, field: 'containerStatuses' | 'initContainerStatuses', name: unknown): Json {
  return statuses(pod, field).find((s) => s.name === name) ?? {};
}

/** When the container started, as reported before; else `fallback`. */
function startedAt(prev: Json, fallback: string): string {
  const state = isRecord(prev.state) ? prev.state : {};
  for (const key of ['running', 'terminated'] as const) {
    const s = state[key];
    if (isRecord(s) && typeof s.startedAt === 'string') return s.startedAt;
  }
  return fallback;
}

function condition(
  pod: KubeObject,
  type: string,
  status: string,
  now: string,
  reason?: string,
  message?: string,
): Json {
  const prev = conditions(pod).find((c) => c.type === type);
  const since = prev?.status === status && typeof prev.lastTransitionTime === 'string' ? prev.lastTransitionTime : now;
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: since,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

/** PodScheduled as the binding wrote it (True once on a node). */
function scheduled(pod: KubeObject, now: string): Json {
  return conditions(pod).find((c) => c.type === 'PodScheduled') ?? condition(pod, 'PodScheduled', 'True', now);
}

function terminated(pod: KubeObject, name: string, startedTime: string, finishedAt: string): Json {
  return { exitCode: 0, reason: 'Completed', startedAt: startedTime, finishedAt, containerID: containerId(pod, name) };
}

/** Init containers ran to completion before the others started. */
function initStatuses(pod: KubeObject, now: string): Json[] {
  return containers(pod, 'initContainers').map((c) => {
    const prev = previous(pod, 'initContainerStatuses', c.name);
    const prevState = isRecord(prev.state) && isRecord(prev.state.terminated) ? prev.state.terminated : {};
    const since = startedAt(prev, now);
    const finished = typeof prevState.finishedAt === 'string' ? prevState.finishedAt : since;
    // An init container that exited 0 is ready (it did its part) and no longer started.
    return containerStatus(pod, c, { terminated: terminated(pod, String(c.name), since, finished) }, true, false);
  });
}

function containerStatus(pod: KubeObject, c: Json, state: Json, ready: boolean, started = ready): Json {
  return {
    name: c.name,
    image: c.image,
    imageID: imageId(String(c.image ?? '')),
    containerID: containerId(pod, String(c.name)),
    ready,
    started,
    restartCount: 0,
    state,
    lastState: {},
  };
}

function addresses(pod: KubeObject, placement: PodPlacement): Json {
  const current = statusOf(pod);
  const podIP = typeof current.podIP === 'string' && current.podIP ? current.podIP : placement.podIP;
  return {
    hostIP: placement.hostIP,
    hostIPs: [{ ip: placement.hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
  };
}

/** The kubelet's four pod conditions (PodReadyToStartContainers, Initialized, Ready, ContainersReady): type, status, reason, message. */
type ConditionStates = readonly [type: string, status: string, reason?: string, message?: string][];

/** The conditions a kubelet writes; others (readiness gates', DisruptionTarget) belong to other writers and stay. */
const KUBELET_CONDITIONS = new Set([
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
]);

/**
 * Ready follows the containers and the pod's readiness gates (k8s `GeneratePodReadyCondition`):
 * every gate's condition, written by whoever owns it, must be True.
 */
function readyState(pod: KubeObject): ConditionStates[number] {
  const gates = Array.isArray(spec(pod).readinessGates) ? (spec(pod).readinessGates as unknown[]).filter(isRecord) : [];
  for (const gate of gates) {
    const found = conditions(pod).find((c) => c.type === gate.conditionType);
    if (!found) {
      const message = `corresponding condition of pod readiness gate "${String(gate.conditionType)}" does not exist.`;
      return ['Ready', 'False', 'ReadinessGatesNotReady', message];
    }
    if (found.status !== 'True') {
      const message = `the status of pod readiness gate "${String(gate.conditionType)}" is not "True", but ${String(found.status)}`;
      return ['Ready', 'False', 'ReadinessGatesNotReady', message];
    }
  }
  return ['Ready', 'True'];
}

/**
 * A status in `phase` with the conditions, the addresses, the start time and the init containers'
 * statuses kept or set, and each container's state from `containerState(container, its previous
 * status, startTime)`.
 */
function podStatus(
  pod: KubeObject,
  placement: PodPlacement,
  phase: string,
  states: ConditionStates,
  containerState: (container: Json, prev: Json, startTime: string) => { state: Json; running: boolean },
): Json {
  const { now } = placement;
  const current = statusOf(pod);
  const startTime = typeof current.startTime === 'string' ? current.startTime : now;
  return {
    ...current,
    phase,
    conditions: [
      ...states.map(([type, status, reason, message]) => condition(pod, type, status, now, reason, message)),
      scheduled(pod, now),
      ...conditions(pod).filter((c) => typeof c.type === 'string' && !KUBELET_CONDITIONS.has(c.type)),
    ],
    ...addresses(pod, placement),
    startTime,
    ...(containers(pod, 'initContainers').length > 0 ? { initContainerStatuses: initStatuses(pod, startTime) } : {}),
    containerStatuses: containers(pod, 'containers').map((c) => {
      const { state, running } = containerState(c, previous(pod, 'containerStatuses', c.name), startTime);
      return containerStatus(pod, c, state, running);
    }),
  };
}

/** The status of a pod this node runs: every container running and ready. */
export function runningStatus(pod: KubeObject, placement: PodPlacement): Json {
  const states: ConditionStates = [
    ['PodReadyToStartContainers', 'True'],
    ['Initialized', 'True'],
    readyState(pod),
    ['ContainersReady', 'True'],
  ];
  return podStatus(pod, placement, 'Running', states, (_container, prev) => ({
    state: { running: { startedAt: startedAt(prev, placement.now) } },
    running: true,
  }));
}

/**
 * The status of a pod whose containers have all exited 0: Succeeded (a finished run-to-completion
 * pod, or one stopped for its deletion), with the conditions a kubelet reports for it.
 */
export function completedStatus(pod: KubeObject, placement: PodPlacement): Json {
  const states: ConditionStates = [
    ['PodReadyToStartContainers', 'False'],
    ['Initialized', 'True', 'PodCompleted'],
    ['Ready', 'False', 'PodCompleted'],
    ['ContainersReady', 'False', 'PodCompleted'],
  ];
  return podStatus(pod, placement, 'Succeeded', states, (container, prev, startTime) => {
    const prevTerminated = isRecord(prev.state) && isRecord(prev.state.terminated) ? prev.state.terminated : {};
    const finishedAt = typeof prevTerminated.finishedAt === 'string' ? prevTerminated.finishedAt : placement.now;
    const name = String(container.name ?? '');
    return { state: { terminated: terminated(pod, name, startedAt(prev, startTime), finishedAt) }, running: false };
  });
}

/** Whether writing `status` would change what the pod reports. */
export function statusChanged(pod: KubeObject, status: Json): boolean {
  return !isDeepStrictEqual(statusOf(pod), status);
}

/** The containers (`spec.containers{name}` paths) a pod runs now: what its deletion stops. */
export function runningContainers(pod: KubeObject): string[] {
  return statuses(pod, 'containerStatuses')
    .filter((s) => isRecord(s.state) && isRecord(s.state.running))
    .map((s) => String(s.name));
}
