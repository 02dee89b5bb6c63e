/**
 * What the Job controller reads of a Job and its pods, as k8s pkg/controller/job does: the spec's
 * numbers, the status with its conditions (Kubernetes 1.31 delays a terminal condition: first
 * SuccessCriteriaMet or FailureTarget, then — once no pod of the Job is left running or
 * uncounted — Complete or Failed), which pods are active, finished, or being deleted, and how
 * long a replacement for failed pods waits (10 s doubling per failure since the last success, at
 * most 10 minutes).
 */
import { isPodReady, isPodTerminal, podPhase } from '../../api/core/pod.js';
import { type Condition, isRecord, type KubeObject, nowTimestamp } from '../../api/meta.js';
import { recordAt, recordsAt, specOf, statusOf } from './object-views.js';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export interface JobSpecView {
  parallelism: number;
  /** undefined: the Job is done once any pod succeeded. */
  completions: number | undefined;
  backoffLimit: number;
  activeDeadlineSeconds: number | undefined;
  ttlSecondsAfterFinished: number | undefined;
  suspend: boolean;
  /** TerminatingOrFailed (the default): a replacement is made as soon as a pod is being deleted. */
  replaceOnlyFailed: boolean;
  restartPolicy: string;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

export function jobSpec(job: KubeObject): JobSpecView {
  const spec = specOf(job);
  return {
    parallelism: num(spec.parallelism) ?? 1,
    completions: num(spec.completions),
    backoffLimit: num(spec.backoffLimit) ?? 6,
    activeDeadlineSeconds: num(spec.activeDeadlineSeconds),
    ttlSecondsAfterFinished: num(spec.ttlSecondsAfterFinished),
    suspend: spec.suspend === true,
    replaceOnlyFailed: spec.podReplacementPolicy === 'Failed',
    restartPolicy: String(recordAt(recordAt(spec, 'template'), 'spec').restartPolicy ?? 'Never'),
  };
}

export interface JobStatus {
  active?: number;
  ready?: number;
  terminating?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: Condition[];
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
  [field: string]: unknown;
}

/** A copy of the Job's status to change. */
export function jobStatus(job: KubeObject): JobStatus {
  return structuredClone(statusOf(job)) as JobStatus;
}

export function conditionTrue(status: JobStatus, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** Complete or Failed: the Job is done and the controller leaves it be. */
export function isJobFinished(job: KubeObject): boolean {
  const status = statusOf(job) as JobStatus;
  return Boolean(conditionTrue(status, 'Complete') ?? conditionTrue(status, 'Failed'));
}

/** When the Job finished (its terminal condition's time), if it did. */
export function jobFinishTime(job: KubeObject): string | undefined {
  const status = statusOf(job) as JobStatus;
  return (conditionTrue(status, 'Complete') ?? conditionTrue(status, 'Failed'))?.lastTransitionTime;
}

/**
 * Sets a condition (ensureJobConditionStatus): a new one only when True; an existing one keeps its
 * transition time unless its status changes. Returns whether anything changed.
 */
export function setCondition(
  status: JobStatus,
  type: string,
  state: 'True' | 'False',
  reason: string,
  message: string,
) {
  const conditions = status.conditions ?? [];
  const now = nowTimestamp();
  const existing = conditions.find((c) => c.type === type);
  if (!existing) {
    if (state === 'False') return false;
    status.conditions = [
      ...conditions,
      { type, status: state, lastProbeTime: now, lastTransitionTime: now, reason, message } as Condition,
    ];
    return true;
  }
  if (existing.status === state && existing.reason === reason && existing.message === message) return false;
  if (existing.status !== state) existing.lastTransitionTime = now;
  Object.assign(existing, { status: state, reason, message, lastProbeTime: now });
  return true;
}

/** Pods that run and are not being deleted. */
export function isActive(pod: KubeObject): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

/** Being deleted but not yet finished (status.terminating). */
export function isTerminating(pod: KubeObject): boolean {
  return !isPodTerminal(pod) && Boolean(pod.metadata.deletionTimestamp);
}

/** A failure of the Job's: the pod failed, or — unless only failed pods are replaced — was deleted before it succeeded. */
export function isPodFailed(pod: KubeObject, spec: JobSpecView): boolean {
  if (podPhase(pod) === 'Failed') return true;
  if (spec.replaceOnlyFailed) return false;
  return Boolean(pod.metadata.deletionTimestamp) && podPhase(pod) !== 'Succeeded';
}

export function hasTrackingFinalizer(pod: KubeObject): boolean {
  return pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

export function readyCount(pods: readonly KubeObject[]): number {
  return pods.filter(isPodReady).length;
}

/** With restartPolicy OnFailure, failures are container restarts: their sum counts against the backoff limit. */
export function pastBackoffLimitOnFailure(spec: JobSpecView, active: readonly KubeObject[]): boolean {
  if (spec.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const pod of active) {
    for (const field of ['initContainerStatuses', 'containerStatuses']) {
      for (const status of recordsAt(statusOf(pod), field)) restarts += num(status.restartCount) ?? 0;
    }
  }
  return spec.backoffLimit === 0 ? restarts > 0 : restarts >= spec.backoffLimit;
}

/** When the pod finished: its containers' latest end, else its latest condition change, else its deletion. */
function finishTime(pod: KubeObject): number {
  const times: string[] = [];
  for (const status of recordsAt(statusOf(pod), 'containerStatuses')) {
    const finishedAt = recordAt(recordAt(status, 'state'), 'terminated').finishedAt;
    if (typeof finishedAt === 'string') times.push(finishedAt);
  }
  if (times.length === 0) {
    for (const condition of recordsAt(statusOf(pod), 'conditions')) {
      if (typeof condition.lastTransitionTime === 'string') times.push(condition.lastTransitionTime);
    }
  }
  if (times.length === 0 && pod.metadata.deletionTimestamp) times.push(pod.metadata.deletionTimestamp);
  return Math.max(0, ...times.map((t) => Date.parse(t)).filter(Number.isFinite));
}

export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

/** How long new pods must still wait after the failures since the last success (0: none). */
export function remainingBackoffMs(pods: readonly KubeObject[], spec: JobSpecView, now = Date.now()): number {
  const lastSuccess = Math.max(0, ...pods.filter((p) => podPhase(p) === 'Succeeded').map(finishTime));
  const failures = pods
    .filter((p) => isPodFailed(p, spec))
    .map(finishTime)
    .filter((t) => t > lastSuccess);
  if (failures.length === 0) return 0;
  const delay = Math.min(POD_FAILURE_BACKOFF_MS * 2 ** (failures.length - 1), MAX_POD_FAILURE_BACKOFF_MS);
  return Math.max(0, Math.max(...failures) + delay - now);
}

/** The uids recorded in `status.uncountedTerminatedPods`. */
export function uncounted(status: JobStatus): { succeeded: string[]; failed: string[] } {
  const pods = isRecord(status.uncountedTerminatedPods) ? status.uncountedTerminatedPods : {};
  return { succeeded: [...(pods.succeeded ?? [])], failed: [...(pods.failed ?? [])] };
}
