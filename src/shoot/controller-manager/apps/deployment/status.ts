/**
 * A Deployment's status from its ReplicaSets (pkg/controller/deployment sync.go calculateStatus,
 * progress.go syncRolloutStatus), as pure functions: the counts, the Available condition
 * (MinimumReplicasAvailable / MinimumReplicasUnavailable) and the Progressing condition
 * (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable,
 * ProgressDeadlineExceeded, DeploymentPaused, DeploymentResumed) that `kubectl rollout status`
 * reads.
 */
import type { Deployment, ReplicaSet } from '../../../../api/apps/workloads.js';
import { type Condition, nowTimestamp } from '../../../../api/meta.js';
import { maxUnavailable, replicasOf, sumSpecReplicas, sumStatus } from './replicas.js';

export type DeploymentStatus = NonNullable<Deployment['status']>;

/** Progressing's reason when the deadline passed (TimedOutReason). */
export const TIMED_OUT = 'ProgressDeadlineExceeded';
export const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const PAUSED = 'DeploymentPaused';
export const RESUMED = 'DeploymentResumed';

export function condition(
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  now = new Date(),
): Condition {
  const at = nowTimestamp(now);
  return { type, status, lastUpdateTime: at, lastTransitionTime: at, reason, message };
}

export function getCondition(status: DeploymentStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * `status` with `next` in place of the condition of its type; one of the same status and reason
 * stays as it is, one of the same status keeps its lastTransitionTime (SetDeploymentCondition).
 */
export function setCondition(status: DeploymentStatus, next: Condition): DeploymentStatus {
  const current = getCondition(status, next.type);
  if (current && current.status === next.status && current.reason === next.reason) return status;
  const placed =
    current && current.status === next.status ? { ...next, lastTransitionTime: current.lastTransitionTime } : next;
  return { ...status, conditions: [...(status.conditions ?? []).filter((c) => c.type !== next.type), placed] };
}

export function removeCondition(status: DeploymentStatus, type: string): DeploymentStatus {
  const conditions = (status.conditions ?? []).filter((c) => c.type !== type);
  return { ...status, conditions };
}

/** The counts and the Available condition (calculateStatus). */
export function calculateStatus(all: readonly ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment) {
  const availableReplicas = sumStatus(all, 'availableReplicas');
  let status: DeploymentStatus = {
    ...(d.status?.conditions ? { conditions: d.status.conditions } : {}),
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sumStatus(all, 'replicas'),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sumStatus(all, 'readyReplicas'),
    availableReplicas,
    unavailableReplicas: Math.max(0, sumSpecReplicas(all) - availableReplicas),
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
  };
  status =
    availableReplicas >= replicasOf(d) - maxUnavailable(d)
      ? setCondition(
          status,
          condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
        )
      : setCondition(
          status,
          condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          ),
        );
  return status;
}

/** Every replica updated and available, and the latest spec observed (DeploymentComplete). */
export function isComplete(d: Deployment, status: DeploymentStatus | undefined): boolean {
  const replicas = replicasOf(d);
  // Counts of 0 are left out of a stored status (omitempty).
  return (
    (status?.updatedReplicas ?? 0) === replicas &&
    (status?.replicas ?? 0) === replicas &&
    (status?.availableReplicas ?? 0) === replicas &&
    (status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** The new status shows progress over the stored one (DeploymentProgressing). */
function isProgressing(d: Deployment, next: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

function deadlineMs(d: Deployment): number | undefined {
  const seconds = d.spec?.progressDeadlineSeconds;
  return seconds === undefined || seconds === 2147483647 ? undefined : seconds * 1000;
}

/** When the deadline of the Progressing condition passes, in ms from `now` (negative: passed). */
function untilDeadlineMs(d: Deployment, status: DeploymentStatus, now: Date): number | undefined {
  const deadline = deadlineMs(d);
  const progressing = getCondition(status, 'Progressing');
  if (deadline === undefined || !progressing?.lastUpdateTime) return undefined;
  if (progressing.reason === TIMED_OUT || progressing.reason === NEW_RS_AVAILABLE) return undefined;
  return Date.parse(progressing.lastUpdateTime) + deadline - now.getTime();
}

/**
 * The status after a rollout step (syncRolloutStatus), and when to look again for the deadline
 * of a rollout that is neither complete nor timed out.
 */
export function rolloutStatus(
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  now = new Date(),
): { status: DeploymentStatus; requeueAfterMs?: number } {
  let status = calculateStatus(all, newRS, d);
  if (deadlineMs(d) === undefined) status = removeCondition(status, 'Progressing');
  const current = getCondition(status, 'Progressing');
  const complete = isComplete(d, status);
  const rsName = newRS?.metadata.name ?? '';
  if (deadlineMs(d) !== undefined && current?.reason !== TIMED_OUT) {
    if (complete) {
      const message = newRS
        ? `ReplicaSet "${rsName}" has successfully progressed.`
        : `Deployment "${d.metadata.name}" has successfully progressed.`;
      status = setCondition(status, condition('Progressing', 'True', NEW_RS_AVAILABLE, message, now));
    } else if (isProgressing(d, status)) {
      const message = newRS
        ? `ReplicaSet "${rsName}" is progressing.`
        : `Deployment "${d.metadata.name}" is progressing.`;
      const next = condition('Progressing', 'True', 'ReplicaSetUpdated', message, now);
      // Progress refreshes lastUpdateTime (the deadline counts from it) but not the transition.
      if (current?.status === 'True') next.lastTransitionTime = current.lastTransitionTime;
      status = { ...removeCondition(status, 'Progressing') };
      status = setCondition(status, next);
    } else if ((untilDeadlineMs(d, status, now) ?? 1) <= 0) {
      const message = newRS
        ? `ReplicaSet "${rsName}" has timed out progressing.`
        : `Deployment "${d.metadata.name}" has timed out progressing.`;
      status = setCondition(status, condition('Progressing', 'False', TIMED_OUT, message, now));
    }
  }
  const failure = all.flatMap((rs) => rs.status?.conditions ?? []).find((c) => c.type === 'ReplicaFailure');
  status = failure
    ? setCondition(
        status,
        condition('ReplicaFailure', failure.status, failure.reason ?? '', failure.message ?? '', now),
      )
    : removeCondition(status, 'ReplicaFailure');
  if (!status.conditions?.length) delete status.conditions;
  const wait = complete ? undefined : untilDeadlineMs(d, status, now);
  return wait !== undefined && wait > 0 ? { status, requeueAfterMs: wait + 100 } : { status };
}
