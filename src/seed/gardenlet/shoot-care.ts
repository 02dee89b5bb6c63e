/**
 * The shoot's health conditions (Gardener's care controller): APIServerAvailable,
 * ControlPlaneHealthy, EveryNodeReady and SystemComponentsHealthy (the VPN tunnel to every node,
 * as Gardener's tunnel check), from what the hosting seed observes. kubectl's STATUS column and
 * `-o wide`'s APISERVER, CONTROL, NODES and SYSTEM columns read them.
 *
 * They are written with an operation's Succeeded status and later only when one of them changes
 * (status, reason or message): a shoot in a steady state is not rewritten, so the seed
 * document's `kubectl get | jq | kubectl replace` trigger does not race a periodic status update
 * for the resourceVersion it carries.
 */
import {
  type ConditionStatus,
  getCondition,
  ShootConditionType,
  setCondition,
} from '../../api/core-gardener/conditions.js';
import { SHOOT_HEALTH_CONDITIONS } from '../../api/core-gardener/shoot.js';
import type { Condition } from '../../api/meta.js';

/** What the seed hosting the control plane observed of it. */
export interface ShootHealthFacts {
  /** Undefined when `/healthz` answered ok, else why not. */
  apiServerProblem: string | undefined;
  /** The control-plane components that are not running here (etcd-main, kube-apiserver, kube-controller-manager, kube-scheduler, vpn-seed-server). */
  controlPlaneProblems: string[];
  /** How many nodes the worker pools ask for (the sum of their minimums). */
  nodesWanted: number;
  /** The registered nodes, with why each is not Ready (undefined when it is). */
  nodes: { name: string; notReady: string | undefined }[];
  /** Nodes the API server cannot reach through the VPN tunnel, with why. */
  tunnelProblems: string[];
}

interface ConditionValue {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

function apiServerAvailable(facts: ShootHealthFacts): ConditionValue {
  const type = ShootConditionType.APIServerAvailable;
  return facts.apiServerProblem === undefined
    ? {
        type,
        status: 'True',
        reason: 'HealthzRequestSucceeded',
        message: 'API server /healthz endpoint responded with success status code.',
      }
    : {
        type,
        status: 'False',
        reason: 'HealthzRequestFailed',
        message: `API server /healthz endpoint check failed: ${facts.apiServerProblem}`,
      };
}

function controlPlaneHealthy(facts: ShootHealthFacts): ConditionValue {
  const type = ShootConditionType.ControlPlaneHealthy;
  return facts.controlPlaneProblems.length === 0
    ? { type, status: 'True', reason: 'ControlPlaneRunning', message: 'All control plane components are healthy.' }
    : { type, status: 'False', reason: 'ControlPlaneUnhealthy', message: `${facts.controlPlaneProblems.join('; ')}.` };
}

function everyNodeReady(facts: ShootHealthFacts): ConditionValue {
  const type = ShootConditionType.EveryNodeReady;
  const notReady = facts.nodes.filter((n) => n.notReady !== undefined);
  if (notReady.length > 0) {
    const message = notReady.map((n) => `Node ${JSON.stringify(n.name)} is not ready: ${n.notReady}`).join('; ');
    return { type, status: 'False', reason: 'NodesUnhealthy', message: `${message}.` };
  }
  if (facts.nodes.length < facts.nodesWanted) {
    const message = `Not enough worker nodes registered in the cluster (${facts.nodes.length}/${facts.nodesWanted}).`;
    return { type, status: 'False', reason: 'MissingNodes', message };
  }
  return { type, status: 'True', reason: 'EveryNodeReady', message: 'All nodes are ready.' };
}

function systemComponentsHealthy(facts: ShootHealthFacts): ConditionValue {
  const type = ShootConditionType.SystemComponentsHealthy;
  return facts.tunnelProblems.length === 0
    ? { type, status: 'True', reason: 'SystemComponentsRunning', message: 'All system components are healthy.' }
    : { type, status: 'False', reason: 'TunnelConnectionBroken', message: `${facts.tunnelProblems.join('; ')}.` };
}

/** The four conditions over `current` (other types are kept); lastTransitionTime moves only with the status. */
export function shootHealthConditions(
  current: readonly Condition[],
  facts: ShootHealthFacts,
  now = new Date(),
): Condition[] {
  let conditions = [...current];
  for (const c of [
    apiServerAvailable(facts),
    controlPlaneHealthy(facts),
    everyNodeReady(facts),
    systemComponentsHealthy(facts),
  ]) {
    const existing = getCondition(conditions, c.type);
    const same = existing?.status === c.status && existing.reason === c.reason && existing.message === c.message;
    if (!same) conditions = setCondition(conditions, c.type, c.status, c.reason, c.message, now);
  }
  return conditions;
}

/** Whether `next` says something `current` does not (a type, a status, a reason or a message). */
export function conditionsChanged(current: readonly Condition[], next: readonly Condition[]): boolean {
  if (current.length !== next.length) return true;
  return next.some((c) => {
    const old = getCondition(current, c.type);
    return old?.status !== c.status || old.reason !== c.reason || old.message !== c.message;
  });
}

/**
 * While a Migrate or Restore runs, the health conditions say Progressing (with why) instead of the
 * health of a control plane being moved. As Gardener's status update after an operation, a
 * condition that is False stays False: a known problem is not hidden. `shootHealthConditions`
 * judges them again once the Restore succeeded.
 */
export function progressingConditions(
  current: readonly Condition[],
  reason: string,
  message: string,
  now = new Date(),
): Condition[] {
  let conditions = [...current];
  for (const type of SHOOT_HEALTH_CONDITIONS) {
    const existing = getCondition(conditions, type);
    if (!existing || existing.status === 'False') continue;
    if (existing.status === 'Progressing' && existing.reason === reason && existing.message === message) continue;
    conditions = setCondition(conditions, type, 'Progressing', reason, message, now);
  }
  return conditions;
}
