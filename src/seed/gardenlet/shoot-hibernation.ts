/**
 * What hibernation means for a shoot's status, in the words of Gardener's care controller
 * (`pkg/gardenlet/controller/shoot/care`): while a shoot is hibernated or being hibernated,
 * nothing of its control plane is probed, and every health condition says so, True with the
 * reason `ConditionNotChecked`; its constraint `HibernationPossible` likewise (reason
 * `ConstraintNotChecked`). Awake again, the constraint says what holds in Transplant's shoots:
 * no admission webhook is ever called, so none can block a hibernation.
 */
import { getCondition, ShootConditionType, setCondition } from '../../api/core-gardener/conditions.js';
import { type Shoot, shootHibernationEnabled } from '../../api/core-gardener/shoot.js';
import type { Condition } from '../../api/meta.js';

const HIBERNATED_MESSAGE = 'Shoot cluster has been hibernated.';

/** The health conditions the care controller writes. */
const HEALTH_CONDITIONS = [
  ShootConditionType.APIServerAvailable,
  ShootConditionType.ControlPlaneHealthy,
  ShootConditionType.EveryNodeReady,
  ShootConditionType.SystemComponentsHealthy,
] as const;

/** Gardener's `HibernationEnabled || IsHibernated`: hibernated, or on the way into or out of it. */
export function hibernationInEffect(shoot: Shoot): boolean {
  return shootHibernationEnabled(shoot) || shoot.status?.hibernated === true;
}

/** Gardener's `shootHibernatedConditions`: every health condition True, not checked (other types kept). */
export function hibernatedConditions(current: readonly Condition[], now = new Date()): Condition[] {
  return HEALTH_CONDITIONS.reduce(
    (conditions, type) => keepOrSet(conditions, type, 'ConditionNotChecked', HIBERNATED_MESSAGE, now),
    [...current],
  );
}

/** `status.constraints` with `HibernationPossible` for a hibernated or an awake shoot. */
export function hibernationConstraints(
  current: readonly Condition[],
  hibernated: boolean,
  now = new Date(),
): Condition[] {
  const type = ShootConditionType.HibernationPossible;
  return hibernated
    ? keepOrSet([...current], type, 'ConstraintNotChecked', HIBERNATED_MESSAGE, now)
    : keepOrSet([...current], type, 'NoProblematicWebhooks', 'All webhooks are properly configured.', now);
}

/** `conditions` with `type` True for `reason`, unchanged when it says so already. */
function keepOrSet(conditions: Condition[], type: string, reason: string, message: string, now: Date): Condition[] {
  const existing = getCondition(conditions, type);
  const same = existing?.status === 'True' && existing.reason === reason && existing.message === message;
  return same ? conditions : setCondition(conditions, type, 'True', reason, message, now);
}
