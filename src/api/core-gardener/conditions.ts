/**
 * Conditions of Gardener objects (`status.conditions`, `status.constraints`): the type names the
 * code relies on, readers, and a pure setter that keeps `lastTransitionTime` when the status
 * does not change (as Gardener's `v1beta1helper.UpdatedConditionWithClock`).
 */
import { aString, type Check, conforms, listOf, oneOf, optional, shape } from '../kind-guard.js';
import { CONDITION_STATUSES, type Condition, isRecord, type KubeObject, nowTimestamp } from '../meta.js';

export type ConditionStatus = Condition['status'];

/** One condition: a `type`, a `status` (True, False, Unknown, Progressing), strings for the rest. */
export const aCondition: Check = shape<Condition>({
  type: aString,
  status: oneOf(CONDITION_STATUSES),
  lastTransitionTime: optional(aString),
  lastUpdateTime: optional(aString),
  reason: optional(aString),
  message: optional(aString),
  codes: optional(listOf(aString)),
});

/** `status.conditions` (or `status.constraints`) of a typed kind: absent, or a list of conditions. */
export const someConditions: Check = optional(listOf(aCondition));

/** Seed condition types (`pkg/apis/core/v1beta1/types_seed.go`). */
export const SeedConditionType = Object.freeze({
  GardenletReady: 'GardenletReady',
  BackupBucketsReady: 'BackupBucketsReady',
  ExtensionsReady: 'ExtensionsReady',
  SeedSystemComponentsHealthy: 'SeedSystemComponentsHealthy',
  EmergencyStopShootReconciliations: 'EmergencyStopShootReconciliations',
} as const);

/** Shoot condition and constraint types (`pkg/apis/core/v1beta1/types_shoot.go`). */
export const ShootConditionType = Object.freeze({
  APIServerAvailable: 'APIServerAvailable',
  ControlPlaneHealthy: 'ControlPlaneHealthy',
  ObservabilityComponentsHealthy: 'ObservabilityComponentsHealthy',
  EveryNodeReady: 'EveryNodeReady',
  SystemComponentsHealthy: 'SystemComponentsHealthy',
  HibernationPossible: 'HibernationPossible',
  MaintenancePreconditionsSatisfied: 'MaintenancePreconditionsSatisfied',
  ReadyForMigration: 'ReadyForMigration',
} as const);

/**
 * The conditions at `status.conditions` of an object no guard has checked (a Node), skipping
 * malformed entries. Typed kinds read `obj.status?.conditions` instead.
 */
export function conditionsOf(obj: KubeObject): Condition[] {
  const list = isRecord(obj.status) ? obj.status.conditions : undefined;
  return Array.isArray(list) ? list.filter((c): c is Condition => conforms<Condition>(aCondition, c)) : [];
}

/** The condition of `type` in `conditions`, or undefined. */
export function getCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

/** The condition of `type` at `obj.status.conditions`, or undefined. */
export function conditionOf(obj: KubeObject, type: string): Condition | undefined {
  return getCondition(conditionsOf(obj), type);
}

/**
 * `conditions` with `type` set to the given status, reason and message. `lastUpdateTime` is
 * always `now`; `lastTransitionTime` only changes when the status does. Returns a new list.
 */
export function setCondition(
  conditions: readonly Condition[],
  type: string,
  status: ConditionStatus,
  reason: string,
  message: string,
  now: Date = new Date(),
  codes?: string[],
): Condition[] {
  const timestamp = nowTimestamp(now);
  const existing = getCondition(conditions, type);
  const updated: Condition = {
    type,
    status,
    lastTransitionTime:
      existing && existing.status === status && existing.lastTransitionTime ? existing.lastTransitionTime : timestamp,
    lastUpdateTime: timestamp,
    reason,
    message,
  };
  if (codes && codes.length > 0) updated.codes = [...codes];
  if (!existing) return [...conditions, updated];
  return conditions.map((c) => (c.type === type ? updated : c));
}
