/**
 * Conditions of Gardener objects (`status.conditions`, `status.constraints`): the type names the
 * code relies on, readers, and a pure setter that keeps `lastTransitionTime` when the status
 * does not change (as Gardener's `v1beta1helper.UpdatedConditionWithClock`).
 */
import { type Condition, isRecord, type KubeObject, nowTimestamp } from '../meta.js';
import { statusOf } from './common.js';

export type ConditionStatus = Condition['status'];

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

/** The conditions listed at `status.<field>` (default `conditions`), skipping malformed entries. */
export function conditionsOf(obj: KubeObject, field: 'conditions' | 'constraints' = 'conditions'): Condition[] {
  const list = statusOf(obj)?.[field];
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is Condition => isRecord(c) && typeof c.type === 'string' && typeof c.status === 'string');
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
