/**
 * The steps of a Deployment's rollout (pkg/controller/deployment rolling.go, recreate.go and
 * sync.go `scale`): a RollingUpdate surges the new ReplicaSet up to maxSurge and takes old pods
 * away while at least replicas − maxUnavailable stay available (unhealthy old pods first); a
 * Recreate scales every old ReplicaSet to 0, waits until their pods are gone, then scales the new
 * one up; a scaling event (or a paused Deployment) resizes the ReplicaSets proportionally.
 */

import type { ReplicaSet } from '../../../../api/apps/workloads.js';
import type { Pod } from '../../../../api/core/pod.js';
import type { DeploymentSync } from './deployment-sync.js';
import {
  activeReplicaSets,
  byCreation,
  DESIRED_REPLICAS_ANNOTATION,
  isRollingUpdate,
  MAX_REPLICAS_ANNOTATION,
  maxSurge,
  maxUnavailable,
  newReplicaSetReplicas,
  replicasOf,
  sumSpecReplicas,
  sumStatus,
} from './replicas.js';
import { isComplete } from './status.js';

export async function rolloutRolling(sync: DeploymentSync): Promise<void> {
  const { newRS, oldRSs } = await sync.newAndOld(true);
  const all = () => sync.replicaSets;
  if (newRS && (await reconcileNewReplicaSet(sync, all(), newRS))) return sync.syncRolloutStatus(newRS);
  const current = (rs: ReplicaSet) => sync.replicaSets.find((r) => r.metadata.uid === rs.metadata.uid) ?? rs;
  const scaledDown = await reconcileOldReplicaSets(
    sync,
    activeReplicaSets(oldRSs.map(current)),
    newRS && current(newRS),
  );
  if (scaledDown) return sync.syncRolloutStatus(newRS);
  if (isComplete(sync.d, sync.d.status)) await sync.cleanup(oldRSs);
  return sync.syncRolloutStatus(newRS);
}

async function reconcileNewReplicaSet(sync: DeploymentSync, all: readonly ReplicaSet[], newRS: ReplicaSet) {
  const desired = replicasOf(sync.d);
  if (replicasOf(newRS) === desired) return false;
  if (replicasOf(newRS) > desired) return (await sync.scale(newRS, desired)).scaled;
  return (await sync.scale(newRS, newReplicaSetReplicas(sync.d, all, newRS))).scaled;
}

async function reconcileOldReplicaSets(
  sync: DeploymentSync,
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet | undefined,
): Promise<boolean> {
  if (sumSpecReplicas(oldRSs) === 0) return false;
  const all = [...oldRSs, ...(newRS ? [newRS] : [])];
  const minAvailable = replicasOf(sync.d) - maxUnavailable(sync.d);
  const newUnavailable = newRS ? replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = sumSpecReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // Old pods that are not available go first: they count for nothing.
  let cleaned = 0;
  const remaining: ReplicaSet[] = [];
  for (const rs of [...oldRSs].sort(byCreation)) {
    const available = rs.status?.availableReplicas ?? 0;
    if (cleaned >= maxScaledDown || replicasOf(rs) === 0 || available >= replicasOf(rs)) {
      remaining.push(rs);
      continue;
    }
    const count = Math.min(maxScaledDown - cleaned, replicasOf(rs) - available);
    const { rs: scaled } = await sync.scale(rs, replicasOf(rs) - count);
    cleaned += count;
    remaining.push(scaled);
  }
  const scaledDown = await scaleDownOldForRollingUpdate(sync, remaining, newRS, minAvailable);
  return cleaned + scaledDown > 0;
}

async function scaleDownOldForRollingUpdate(
  sync: DeploymentSync,
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet | undefined,
  minAvailable: number,
): Promise<number> {
  const available = sumStatus([...oldRSs, ...(newRS ? [newRS] : [])], 'availableReplicas');
  if (available <= minAvailable) return 0;
  const total = available - minAvailable;
  let done = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (done >= total) break;
    if (replicasOf(rs) === 0) continue;
    const count = Math.min(replicasOf(rs), total - done);
    await sync.scale(rs, replicasOf(rs) - count);
    done += count;
  }
  return done;
}

export async function rolloutRecreate(sync: DeploymentSync, pods: readonly Pod[]): Promise<void> {
  let { newRS, oldRSs } = await sync.newAndOld(false);
  let scaledDown = false;
  for (const rs of activeReplicaSets(oldRSs)) if ((await sync.scale(rs, 0)).scaled) scaledDown = true;
  if (scaledDown) return sync.syncRolloutStatus(newRS);
  if (oldPodsRunning(sync, oldRSs, pods)) return sync.syncRolloutStatus(newRS);
  if (!newRS) ({ newRS, oldRSs } = await sync.newAndOld(true));
  if (newRS) await sync.scale(newRS, replicasOf(sync.d));
  if (isComplete(sync.d, sync.d.status)) await sync.cleanup(oldRSs);
  return sync.syncRolloutStatus(newRS);
}

/** Whether pods of the old ReplicaSets still run (or may): Recreate waits for them to be gone. */
function oldPodsRunning(sync: DeploymentSync, oldRSs: readonly ReplicaSet[], pods: readonly Pod[]): boolean {
  const current = oldRSs.map((rs) => sync.replicaSets.find((r) => r.metadata.uid === rs.metadata.uid) ?? rs);
  if (sumStatus(current, 'replicas') > 0) return true;
  const uids = new Set(oldRSs.map((rs) => rs.metadata.uid));
  return pods.some((pod) => {
    const owner = pod.metadata.ownerReferences?.find((ref) => ref.controller);
    const phase = pod.status?.phase;
    return owner !== undefined && uids.has(owner.uid) && phase !== 'Failed' && phase !== 'Succeeded';
  });
}

/** Whether some active ReplicaSet was sized for other replicas than the Deployment's (isScalingEvent). */
export function isScalingEvent(sync: DeploymentSync): boolean {
  return activeReplicaSets(sync.replicaSets).some((rs) => {
    const desired = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
    return desired !== undefined && Number(desired) !== replicasOf(sync.d);
  });
}

/** Resizes the ReplicaSets for a scaling event or a paused Deployment (sync). */
export async function syncScaling(sync: DeploymentSync): Promise<void> {
  const { newRS, oldRSs } = await sync.newAndOld(false);
  await scale(sync, newRS, oldRSs);
  if (sync.d.spec?.paused) await sync.cleanup(oldRSs);
  await sync.syncStatus(newRS);
}

async function scale(sync: DeploymentSync, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
  const d = sync.d;
  const desired = replicasOf(d);
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (replicasOf(activeOrLatest) !== desired) await sync.scale(activeOrLatest, desired);
    return;
  }
  if (newRS && isSaturated(desired, newRS)) {
    for (const rs of activeReplicaSets(oldRSs)) await sync.scale(rs, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = activeReplicaSets([...oldRSs, ...(newRS ? [newRS] : [])]);
  const allowed = desired > 0 ? desired + maxSurge(d) : 0;
  const toAdd = allowed - sumSpecReplicas(all);
  const newerFirst = (a: ReplicaSet, b: ReplicaSet) => replicasOf(b) - replicasOf(a) || byCreation(b, a);
  const olderFirst = (a: ReplicaSet, b: ReplicaSet) => replicasOf(b) - replicasOf(a) || byCreation(a, b);
  all.sort(toAdd > 0 ? newerFirst : olderFirst);
  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return replicasOf(rs);
    const share = proportion(sync, rs, toAdd, added);
    added += share;
    return replicasOf(rs) + share;
  });
  for (const [i, rs] of all.entries()) {
    let size = sizes[i] ?? replicasOf(rs);
    if (i === 0 && toAdd !== 0) size = Math.max(size + (toAdd - added), 0);
    await sync.scale(rs, size, toAdd > 0 ? 'up' : 'down');
  }
}

function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...oldRSs, ...(newRS ? [newRS] : [])]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

function isSaturated(desired: number, rs: ReplicaSet): boolean {
  return (
    rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] === String(desired) &&
    (rs.status?.availableReplicas ?? 0) === desired &&
    replicasOf(rs) === desired
  );
}

/** `rs`'s share of `toAdd` replicas, by the size it was given for the Deployment before (GetProportion). */
function proportion(sync: DeploymentSync, rs: ReplicaSet, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const d = sync.d;
  let fraction: number;
  if (replicasOf(d) === 0) fraction = -replicasOf(rs);
  else {
    const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION] ?? Number.NaN);
    const before = Number.isNaN(annotated) ? (d.status?.replicas ?? 0) : annotated;
    const target = before > 0 ? (replicasOf(rs) * (replicasOf(d) + maxSurge(d))) / before : replicasOf(rs);
    fraction = Math.round(target) - replicasOf(rs);
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}
