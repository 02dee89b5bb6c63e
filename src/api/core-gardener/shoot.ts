/**
 * Shoot (core.gardener.cloud/v1beta1, namespaced): a Kubernetes cluster whose control plane runs
 * on the seed named in `spec.seedName`. `status.seedName` is where it last ran; while the two
 * differ the source seed migrates it away (see docs/migration.md §Who acts when). Besides the
 * main resource the kind serves `status` and `binding` (a full Shoot whose only allowed change is
 * `spec.seedName`; the rules live in the ShootValidator admission plugin,
 * src/garden/admission/shoot-validator.ts).
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import {
  immutableOnceSet,
  optionalArray,
  optionalObject,
  optionalString,
  validateObjectMetaName,
} from '../validation.js';
import {
  GARDENER_GROUP,
  GARDENER_VERSION,
  type LastOperation,
  lastOperationOf,
  pathString,
  pathValue,
  specOf,
  statusOf,
} from './common.js';
import { conditionsOf, getCondition, ShootConditionType } from './conditions.js';

export const shootResource = resourceRef({
  group: GARDENER_GROUP,
  version: GARDENER_VERSION,
  kind: 'Shoot',
  plural: 'shoots',
  namespaced: true,
});

/** The label Gardener keeps the computed shoot health in (healthy, progressing, unhealthy, unknown). */
export const SHOOT_STATUS_LABEL = 'shoot.gardener.cloud/status';
/** One-off annotation: skip every "Waiting until …" step of the next reconcile or restore. */
export const SKIP_READINESS_ANNOTATION = 'shoot.gardener.cloud/skip-readiness';

/** The health conditions the STATUS column summarises. */
const HEALTH_CONDITIONS = [
  ShootConditionType.APIServerAvailable,
  ShootConditionType.ControlPlaneHealthy,
  ShootConditionType.ObservabilityComponentsHealthy,
  ShootConditionType.EveryNodeReady,
  ShootConditionType.SystemComponentsHealthy,
] as const;

// ---------------------------------------------------------------------------------------------
// Readers

/** `spec.seedName`, undefined when unset or null. */
export function shootSpecSeedName(shoot: KubeObject): string | undefined {
  return pathString(shoot, 'spec.seedName') || undefined;
}

/** `status.seedName`, undefined when unset or null. */
export function shootStatusSeedName(shoot: KubeObject): string | undefined {
  return pathString(shoot, 'status.seedName') || undefined;
}

/** `status.lastOperation` when it has a type and a state. */
export function shootLastOperation(shoot: KubeObject): LastOperation | undefined {
  return lastOperationOf(shoot);
}

/** `spec.cloudProfileName`, else `spec.cloudProfile.name` (`<namespace>/<name>` for a NamespacedCloudProfile). */
export function shootCloudProfileName(shoot: KubeObject): string | undefined {
  const byName = pathString(shoot, 'spec.cloudProfileName');
  if (byName) return byName;
  const name = pathString(shoot, 'spec.cloudProfile.name');
  if (!name) return undefined;
  return pathString(shoot, 'spec.cloudProfile.kind') === 'NamespacedCloudProfile'
    ? `${shoot.metadata.namespace ?? ''}/${name}`
    : name;
}

/** `spec.hibernation.enabled === true`. */
export function shootHibernationEnabled(shoot: KubeObject): boolean {
  return pathValue(shoot, 'spec.hibernation.enabled') === true;
}

/**
 * Gardener's `isShootInMigrationOrRestorePhase`: the last operation is a Migrate (in any state,
 * including Succeeded until the Restore starts) or a Restore that has not succeeded. Spec changes
 * through the main resource and deletion are rejected then.
 */
export function isShootInMigrationOrRestorePhase(shoot: KubeObject): boolean {
  const op = lastOperationOf(shoot);
  if (!op) return false;
  return op.type === 'Migrate' || (op.type === 'Restore' && op.state !== 'Succeeded');
}

/**
 * A Migrate that has not finished (neither Succeeded nor Aborted) or a Restore that has not
 * succeeded: the binding subresource is closed then. After a finished Migrate a new destination
 * may still be chosen before the Restore starts.
 */
export function isShootMigrationOrRestoreRunning(shoot: KubeObject): boolean {
  const op = lastOperationOf(shoot);
  if (!op) return false;
  if (op.type === 'Migrate') return op.state !== 'Succeeded' && op.state !== 'Aborted';
  return op.type === 'Restore' && op.state !== 'Succeeded';
}

/**
 * Gardener's `wasShootRescheduledToNewSeed`: `spec.seedName` was changed through the binding but
 * the source has not started the Migrate yet (the last operation is not a Migrate).
 */
export function wasShootRescheduledToNewSeed(shoot: KubeObject): boolean {
  const op = lastOperationOf(shoot);
  const spec = shootSpecSeedName(shoot);
  const status = shootStatusSeedName(shoot);
  return op !== undefined && op.type !== 'Migrate' && !!spec && !!status && spec !== status;
}

/** Both seed names set and different: the source seed (status) has to prepare the migration. */
export function shouldPrepareShootForMigration(shoot: KubeObject): boolean {
  const spec = shootSpecSeedName(shoot);
  const status = shootStatusSeedName(shoot);
  return !!spec && !!status && spec !== status;
}

/**
 * The seed whose gardenlet acts on the shoot now (Gardener's `GetResponsibleSeedName`): nobody
 * without `spec.seedName`; the spec seed when `status.seedName` is null (first reconcile, or
 * Restore after a Migrate); the status seed (the source) while the two differ; else the spec seed.
 */
export function responsibleSeedName(shoot: KubeObject): string | undefined {
  const spec = shootSpecSeedName(shoot);
  const status = shootStatusSeedName(shoot);
  if (!spec) return undefined;
  if (!status) return spec;
  return spec !== status ? status : spec;
}

/** The STATUS cell: the `shoot.gardener.cloud/status` label, else computed from the health conditions. */
export function shootHealthStatus(shoot: KubeObject): string {
  const label = shoot.metadata.labels?.[SHOOT_STATUS_LABEL];
  if (label) return label;
  const conditions = conditionsOf(shoot);
  const health = HEALTH_CONDITIONS.map((type) => getCondition(conditions, type)).filter((c) => c !== undefined);
  if (health.length === 0) return lastOperationOf(shoot)?.state === 'Failed' ? 'unhealthy' : '<pending>';
  if (lastOperationOf(shoot)?.state === 'Failed' || health.some((c) => c.status === 'False')) return 'unhealthy';
  if (health.some((c) => c.status === 'Unknown')) return 'unknown';
  if (health.some((c) => c.status === 'Progressing')) return 'progressing';
  return 'healthy';
}

/** The HIBERNATION cell, as Gardener's table: Hibernated, Hibernating, Waking Up or Awake. */
export function shootHibernationColumn(shoot: KubeObject): string {
  const wanted = shootHibernationEnabled(shoot);
  const actual = pathValue(shoot, 'status.isHibernated') === true;
  if (wanted && actual) return 'Hibernated';
  if (wanted) return 'Hibernating';
  if (actual) return 'Waking Up';
  return 'Awake';
}

// ---------------------------------------------------------------------------------------------
// Validation

/** Validates the spec fields Transplant models; unknown fields are left alone. */
export function validateShootSpec(spec: unknown): FieldError[] {
  if (!isRecord(spec)) return [FieldError.required('spec')];
  const errs: FieldError[] = [];
  if (spec.seedName !== undefined && spec.seedName !== null) {
    errs.push(...validateObjectMetaName(spec.seedName, 'label', 'spec.seedName'));
  }
  errs.push(...optionalString(spec.cloudProfileName, 'spec.cloudProfileName'));
  errs.push(...optionalObject(spec.cloudProfile, 'spec.cloudProfile'));
  errs.push(...optionalString(spec.region, 'spec.region'));
  errs.push(...optionalObject(spec.provider, 'spec.provider'));
  if (isRecord(spec.provider)) {
    errs.push(...optionalString(spec.provider.type, 'spec.provider.type'));
    errs.push(...optionalArray(spec.provider.workers, 'spec.provider.workers'));
    if (Array.isArray(spec.provider.workers)) errs.push(...validateWorkerPools(spec.provider.workers));
  }
  errs.push(...optionalObject(spec.kubernetes, 'spec.kubernetes'));
  if (isRecord(spec.kubernetes)) errs.push(...optionalString(spec.kubernetes.version, 'spec.kubernetes.version'));
  errs.push(...optionalObject(spec.networking, 'spec.networking'));
  errs.push(...optionalObject(spec.hibernation, 'spec.hibernation'));
  if (isRecord(spec.hibernation)) {
    const enabled = spec.hibernation.enabled;
    if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') {
      errs.push(FieldError.typeInvalid('spec.hibernation.enabled', enabled, 'must be a boolean'));
    }
  }
  return errs;
}

/** Each worker pool needs a unique name that is a DNS label (it names machines and nodes). */
function validateWorkerPools(workers: unknown[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  workers.forEach((pool, i) => {
    const path = `spec.provider.workers[${i}]`;
    if (!isRecord(pool)) {
      errs.push(FieldError.typeInvalid(path, pool, 'must be an object'));
      return;
    }
    if (pool.name === undefined || pool.name === null || pool.name === '') {
      errs.push(FieldError.required(`${path}.name`, 'a worker pool needs a name'));
      return;
    }
    errs.push(...validateObjectMetaName(pool.name, 'label', `${path}.name`));
    if (typeof pool.name === 'string') {
      if (seen.has(pool.name)) errs.push(FieldError.duplicate(`${path}.name`, pool.name));
      seen.add(pool.name);
    }
  });
  return errs;
}

/** Validates what status writers send (the fields the API and the controllers rely on). */
export function validateShootStatus(shoot: KubeObject): FieldError[] {
  const status = shoot.status;
  if (status === undefined || status === null) return [];
  if (!isRecord(status)) return [FieldError.typeInvalid('status', status, 'must be an object')];
  const errs: FieldError[] = [];
  if (status.seedName !== undefined && status.seedName !== null) {
    errs.push(...validateObjectMetaName(status.seedName, 'label', 'status.seedName'));
  }
  errs.push(...optionalObject(status.lastOperation, 'status.lastOperation'));
  if (isRecord(status.lastOperation)) {
    const op = status.lastOperation;
    if (typeof op.type !== 'string' || op.type === '') errs.push(FieldError.required('status.lastOperation.type'));
    if (typeof op.state !== 'string' || op.state === '') errs.push(FieldError.required('status.lastOperation.state'));
    const progress = op.progress;
    if (progress !== undefined && (typeof progress !== 'number' || progress < 0 || progress > 100)) {
      errs.push(FieldError.invalid('status.lastOperation.progress', progress, 'must be a number between 0 and 100'));
    }
  }
  errs.push(...optionalArray(status.lastErrors, 'status.lastErrors'));
  errs.push(...optionalArray(status.conditions, 'status.conditions'));
  errs.push(...optionalArray(status.constraints, 'status.constraints'));
  return errs;
}

/** A Shoot's validation on create. */
export function validateShoot(obj: KubeObject): FieldError[] {
  return validateShootSpec(obj.spec);
}

/** `validateShootSpec`, and the region and provider type never change once set. */
export function validateShootUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [
    ...validateShootSpec(obj.spec),
    ...immutableOnceSet(pathValue(obj, 'spec.region'), pathValue(old, 'spec.region'), 'spec.region'),
    ...immutableOnceSet(
      pathValue(obj, 'spec.provider.type'),
      pathValue(old, 'spec.provider.type'),
      'spec.provider.type',
    ),
  ];
}

/** The spec with `spec.seedName` removed, to compare everything else. */
export function shootSpecWithoutSeedName(shoot: KubeObject): Record<string, unknown> {
  const { seedName: _seedName, ...rest } = specOf(shoot) ?? {};
  return rest;
}

/** `status.technicalID` (the control-plane namespace, `shoot--<project>--<name>`), when set. */
export function shootTechnicalID(shoot: KubeObject): string | undefined {
  const id = statusOf(shoot)?.technicalID;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
