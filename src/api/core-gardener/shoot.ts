/**
 * Shoot (core.gardener.cloud/v1beta1, namespaced): a Kubernetes cluster whose control plane runs
 * on the seed named in `spec.seedName`. `status.seedName` is where it last ran; while the two
 * differ the source seed migrates it away (see docs/migration.md §Who acts when). Besides the
 * main resource the kind serves `status` and `binding` (a full Shoot whose only allowed change is
 * `spec.seedName`; the rules live in the ShootValidator admission plugin,
 * src/garden/admission/shoot-validator.ts).
 *
 * One file (~510 lines): the kind's types, its accessors and its field validation, as each other
 * kind in this folder keeps them; the validation (`validateShoot*`, ~180 lines) is what moves to a
 * file of its own when this grows further.
 */
import { FieldError } from '../errors.js';
import {
  aBoolean,
  aNumber,
  anIntOrString,
  anObject,
  aString,
  aStringMap,
  listOf,
  nullable,
  oneOf,
  optional,
  shape,
} from '../kind-guard.js';
import { type Condition, isRecord, type KubeObject, specOf } from '../meta.js';
import {
  immutableOnceSet,
  optionalArray,
  optionalObject,
  optionalString,
  validateObjectMetaName,
} from '../validation.js';
import { aLastError, aLastOperation, gardenerKind, type LastError, type LastOperation } from './common.js';
import { getCondition, ShootConditionType, someConditions } from './conditions.js';
import { type ShootCredentials, validateShootOperation } from './shoot-operation.js';

/** One pool of `spec.provider.workers` (Gardener's `Worker`): what the shoot's Worker extension gets. */
export interface ShootWorkerPool {
  name: string;
  /**
   * `type` is the machine type, `image` the machine image (defaulted from the CloudProfile);
   * Transplant's machines are all alike (`local`).
   */
  machine?: { type?: string; image?: { name?: string; version?: string } };
  /** The container runtime (`containerd`, the default); the machine image version must ship it. */
  cri?: { name?: string };
  minimum?: number;
  maximum?: number;
  /** An absolute number or a percentage (`25%`) of machines added above `maximum` during a rolling update. */
  maxSurge?: number | string;
  /** An absolute number or a percentage of machines that may be unavailable during a rolling update. */
  maxUnavailable?: number | string;
  labels?: Record<string, string>;
  zones?: string[];
  /** The pool's own Kubernetes version (`kubernetes.version`); the shoot's when unset. */
  kubernetes?: { version?: string };
}

/** The Shoot spec fields Transplant reads; every other field of a manifest is kept as sent. */
export interface ShootSpec {
  /** The seed the control plane should run on; unset (or null) until the scheduler or a binding sets it. */
  seedName?: string | null;
  cloudProfileName?: string;
  /** The newer form of `cloudProfileName`: a CloudProfile, or a NamespacedCloudProfile in the project. */
  cloudProfile?: { kind?: string; name?: string };
  region?: string;
  /** The SecretBinding in the shoot's namespace giving the infrastructure credentials. */
  secretBindingName?: string;
  /** Its successor, a security.gardener.cloud CredentialsBinding; at most one of the two. */
  credentialsBindingName?: string;
  provider?: { type?: string; workers?: ShootWorkerPool[] };
  kubernetes?: { version?: string };
  /** The shoot's networks (CIDRs): its nodes' addresses and its pods' (read where they are strings). */
  networking?: { nodes?: unknown; pods?: unknown; services?: unknown };
  /**
   * `enabled: true` hibernates the shoot: its control plane and machines stopped, all data kept
   * (docs/migration.md#hibernation); `false` or unset wakes it. `schedules` are kept as sent but
   * not acted on.
   */
  hibernation?: { enabled?: boolean | null };
  /** evaluation, testing, development, infrastructure or production. */
  purpose?: string;
  /**
   * `highAvailability.failureTolerance.type` (`node` or `zone`) asks for a highly available
   * control plane: a 3-member etcd and 2 kube-apiserver replicas (docs/ha-control-planes.md).
   * On one host both types mean the same (placement is not modelled).
   */
  controlPlane?: { highAvailability?: { failureTolerance?: { type?: string } } };
}

/** `spec.controlPlane.highAvailability.failureTolerance.type` values (Gardener's `FailureToleranceType`). */
export const FAILURE_TOLERANCE_TYPES = ['node', 'zone'] as const;
export type FailureToleranceType = (typeof FAILURE_TOLERANCE_TYPES)[number];

/** `status.advertisedAddresses[]`: where the shoot's API server is reached (`external` is the stable one). */
export interface ShootAdvertisedAddress {
  name: string;
  url: string;
}

/** The Shoot status fields the gardenlet and the garden read and write. */
export interface ShootStatus {
  /** The seed the control plane ran on last; null after a Migrate until the Restore succeeds. */
  seedName?: string | null;
  lastOperation?: LastOperation;
  /** The errors of the last operation, one per failed flow step (`taskID`). */
  lastErrors?: LastError[];
  conditions?: Condition[];
  /** Facts the shoot's operations depend on (`HibernationPossible`, `ReadyForMigration`, …). */
  constraints?: Condition[];
  /** The generation the last successful operation acted on. */
  observedGeneration?: number;
  /** The control-plane namespace on the seed, `shoot--<project>--<name>`. */
  technicalID?: string;
  advertisedAddresses?: ShootAdvertisedAddress[];
  /** True once the control plane is hibernated (Gardener's `IsHibernated`, JSON `hibernated`). */
  hibernated?: boolean;
  /** The shoot's uid, copied by the gardenlet. */
  uid?: string;
  /** When the move to another seed began (the garden sets it); cleared once the Restore succeeded. */
  migrationStartTime?: string;
  /** The two-phase credentials rotations and their phases (src/api/core-gardener/shoot-operation.ts). */
  credentials?: ShootCredentials;
}

export interface Shoot extends KubeObject {
  spec: ShootSpec;
  status?: ShootStatus;
}

/**
 * The guard (whether an object is a Shoot with the fields above, of their types) and the reference
 * that carries it, so that clients read checked objects.
 */
export const { is: isShoot, resource: shootResource } = gardenerKind<Shoot>(
  { kind: 'Shoot', plural: 'shoots', namespaced: true },
  {
    spec: shape<ShootSpec>({
      seedName: optional(nullable(aString)),
      cloudProfileName: optional(aString),
      cloudProfile: optional(shape({ kind: optional(aString), name: optional(aString) })),
      region: optional(aString),
      secretBindingName: optional(aString),
      credentialsBindingName: optional(aString),
      provider: optional(
        shape({
          type: optional(aString),
          workers: optional(
            listOf(
              shape<ShootWorkerPool>({
                name: aString,
                machine: optional(
                  shape({
                    type: optional(aString),
                    image: optional(shape({ name: optional(aString), version: optional(aString) })),
                  }),
                ),
                cri: optional(shape({ name: optional(aString) })),
                minimum: optional(aNumber),
                maximum: optional(aNumber),
                maxSurge: optional(anIntOrString),
                maxUnavailable: optional(anIntOrString),
                labels: optional(aStringMap),
                zones: optional(listOf(aString)),
                kubernetes: optional(shape({ version: optional(aString) })),
              }),
            ),
          ),
        }),
      ),
      kubernetes: optional(shape({ version: optional(aString) })),
      hibernation: optional(shape({ enabled: optional(nullable(aBoolean)) })),
      purpose: optional(aString),
      controlPlane: optional(
        shape({
          highAvailability: optional(
            shape({ failureTolerance: optional(shape({ type: optional(oneOf(FAILURE_TOLERANCE_TYPES)) })) }),
          ),
        }),
      ),
    }),
    status: optional(
      shape<ShootStatus>({
        seedName: optional(nullable(aString)),
        lastOperation: optional(aLastOperation),
        lastErrors: optional(listOf(aLastError)),
        conditions: someConditions,
        constraints: someConditions,
        observedGeneration: optional(aNumber),
        technicalID: optional(aString),
        advertisedAddresses: optional(listOf(shape<ShootAdvertisedAddress>({ name: aString, url: aString }))),
        hibernated: optional(aBoolean),
        uid: optional(aString),
        migrationStartTime: optional(aString),
        credentials: optional(anObject),
      }),
    ),
  },
);

/** The label Gardener keeps the computed shoot health in (healthy, progressing, unhealthy, unknown). */
export const SHOOT_STATUS_LABEL = 'shoot.gardener.cloud/status';
/** One-off annotation: skip every "Waiting until …" step of the next reconcile or restore. */
export const SKIP_READINESS_ANNOTATION = 'shoot.gardener.cloud/skip-readiness';

/** The health conditions the STATUS column summarises. */
/** The health conditions (Gardener's care controller's), which the STATUS column sums up. */
export const SHOOT_HEALTH_CONDITIONS = [
  ShootConditionType.APIServerAvailable,
  ShootConditionType.ControlPlaneHealthy,
  ShootConditionType.ObservabilityComponentsHealthy,
  ShootConditionType.EveryNodeReady,
  ShootConditionType.SystemComponentsHealthy,
] as const;

// ---------------------------------------------------------------------------------------------
// Readers

/** `spec.seedName`, undefined when unset, null or empty. */
export function shootSpecSeedName(shoot: Shoot): string | undefined {
  return shoot.spec.seedName || undefined;
}

/** `status.seedName`, undefined when unset, null or empty. */
export function shootStatusSeedName(shoot: Shoot): string | undefined {
  return shoot.status?.seedName || undefined;
}

/** `spec.cloudProfileName`, else `spec.cloudProfile.name` (`<namespace>/<name>` for a NamespacedCloudProfile). */
export function shootCloudProfileName(shoot: Shoot): string | undefined {
  const { cloudProfileName, cloudProfile } = shoot.spec;
  if (cloudProfileName) return cloudProfileName;
  if (!cloudProfile?.name) return undefined;
  return cloudProfile.kind === 'NamespacedCloudProfile'
    ? `${shoot.metadata.namespace ?? ''}/${cloudProfile.name}`
    : cloudProfile.name;
}

/**
 * Gardener's `isShootInMigrationOrRestorePhase`: the last operation is a Migrate (in any state,
 * including Succeeded until the Restore starts) or a Restore that has not succeeded. Spec changes
 * through the main resource and deletion are rejected then.
 */
export function isShootInMigrationOrRestorePhase(shoot: Shoot): boolean {
  const op = shoot.status?.lastOperation;
  if (!op) return false;
  return op.type === 'Migrate' || (op.type === 'Restore' && op.state !== 'Succeeded');
}

/**
 * A Migrate that has not finished (neither Succeeded nor Aborted) or a Restore that has not
 * succeeded: the binding subresource is closed then. After a finished Migrate a new destination
 * may still be chosen before the Restore starts.
 */
export function isShootMigrationOrRestoreRunning(shoot: Shoot): boolean {
  const op = shoot.status?.lastOperation;
  if (!op) return false;
  if (op.type === 'Migrate') return op.state !== 'Succeeded' && op.state !== 'Aborted';
  return op.type === 'Restore' && op.state !== 'Succeeded';
}

/**
 * Gardener's `wasShootRescheduledToNewSeed`: `spec.seedName` was changed through the binding but
 * the source has not started the Migrate yet (the last operation is not a Migrate).
 */
export function wasShootRescheduledToNewSeed(shoot: Shoot): boolean {
  const op = shoot.status?.lastOperation;
  return op !== undefined && op.type !== 'Migrate' && shouldPrepareShootForMigration(shoot);
}

/** Both seed names set and different: the source seed (status) has to prepare the migration. */
export function shouldPrepareShootForMigration(shoot: Shoot): boolean {
  const spec = shootSpecSeedName(shoot);
  const status = shootStatusSeedName(shoot);
  return !!spec && !!status && spec !== status;
}

/**
 * The seed whose gardenlet acts on the shoot now (Gardener's `GetResponsibleSeedName`): nobody
 * without `spec.seedName`; the spec seed when `status.seedName` is null (first reconcile, or
 * Restore after a Migrate); the status seed (the source) while the two differ; else the spec seed.
 */
export function responsibleSeedName(shoot: Shoot): string | undefined {
  const spec = shootSpecSeedName(shoot);
  const status = shootStatusSeedName(shoot);
  if (!spec) return undefined;
  if (!status) return spec;
  return spec !== status ? status : spec;
}

/** The STATUS cell: the `shoot.gardener.cloud/status` label, else computed from the health conditions. */
export function shootHealthStatus(shoot: Shoot): string {
  const label = shoot.metadata.labels?.[SHOOT_STATUS_LABEL];
  if (label) return label;
  const conditions = shoot.status?.conditions ?? [];
  const failed = shoot.status?.lastOperation?.state === 'Failed';
  const health = SHOOT_HEALTH_CONDITIONS.map((type) => getCondition(conditions, type)).filter((c) => c !== undefined);
  if (health.length === 0) return failed ? 'unhealthy' : '<pending>';
  if (failed || health.some((c) => c.status === 'False')) return 'unhealthy';
  if (health.some((c) => c.status === 'Unknown')) return 'unknown';
  if (health.some((c) => c.status === 'Progressing')) return 'progressing';
  return 'healthy';
}

/** `spec.hibernation.enabled`: the shoot is to be hibernated (Gardener's `HibernationIsEnabled`). */
export function shootHibernationEnabled(shoot: Shoot): boolean {
  return shoot.spec.hibernation?.enabled === true;
}

/** `spec.controlPlane.highAvailability.failureTolerance.type`, undefined for a single-replica control plane. */
export function shootFailureTolerance(shoot: Shoot): FailureToleranceType | undefined {
  const type = shoot.spec.controlPlane?.highAvailability?.failureTolerance?.type;
  return (FAILURE_TOLERANCE_TYPES as readonly string[]).includes(type ?? '')
    ? (type as FailureToleranceType)
    : undefined;
}

/** The HIBERNATION cell, as Gardener's table: Hibernated, Hibernating, Waking Up or Awake. */
export function shootHibernationColumn(shoot: Shoot): string {
  const wanted = shoot.spec.hibernation?.enabled === true;
  const actual = shoot.status?.hibernated === true;
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
  if (isRecord(spec.cloudProfile)) {
    errs.push(...optionalString(spec.cloudProfile.kind, 'spec.cloudProfile.kind'));
    errs.push(...optionalString(spec.cloudProfile.name, 'spec.cloudProfile.name'));
  }
  errs.push(...optionalString(spec.region, 'spec.region'));
  errs.push(...optionalString(spec.secretBindingName, 'spec.secretBindingName'));
  errs.push(...optionalString(spec.credentialsBindingName, 'spec.credentialsBindingName'));
  errs.push(...optionalObject(spec.provider, 'spec.provider'));
  if (isRecord(spec.provider)) {
    errs.push(...optionalString(spec.provider.type, 'spec.provider.type'));
    errs.push(...optionalArray(spec.provider.workers, 'spec.provider.workers'));
    if (Array.isArray(spec.provider.workers)) errs.push(...validateWorkerPools(spec.provider.workers));
  }
  errs.push(...optionalObject(spec.kubernetes, 'spec.kubernetes'));
  if (isRecord(spec.kubernetes)) errs.push(...optionalString(spec.kubernetes.version, 'spec.kubernetes.version'));
  errs.push(...optionalObject(spec.networking, 'spec.networking'));
  errs.push(...validateControlPlane(spec.controlPlane));
  errs.push(...optionalObject(spec.hibernation, 'spec.hibernation'));
  if (isRecord(spec.hibernation)) {
    const enabled = spec.hibernation.enabled;
    if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') {
      errs.push(FieldError.typeInvalid('spec.hibernation.enabled', enabled, 'must be a boolean'));
    }
  }
  return errs;
}

/** `spec.controlPlane.highAvailability`: when set, `failureTolerance.type` is `node` or `zone` (Gardener's `ValidateFailureToleranceTypeValue`). */
function validateControlPlane(controlPlane: unknown): FieldError[] {
  const errs = optionalObject(controlPlane, 'spec.controlPlane');
  if (!isRecord(controlPlane)) return errs;
  const ha = controlPlane.highAvailability;
  const path = 'spec.controlPlane.highAvailability';
  errs.push(...optionalObject(ha, path));
  if (!isRecord(ha)) return errs;
  if (!isRecord(ha.failureTolerance)) return [...errs, FieldError.required(`${path}.failureTolerance`)];
  const type = ha.failureTolerance.type;
  if (type === undefined || type === null || type === '')
    errs.push(FieldError.required(`${path}.failureTolerance.type`));
  else if (!(FAILURE_TOLERANCE_TYPES as readonly unknown[]).includes(type))
    errs.push(FieldError.notSupported(`${path}.failureTolerance.type`, type, FAILURE_TOLERANCE_TYPES));
  return errs;
}

/**
 * Gardener's `validateShootHAControlPlaneSpecUpdate`: once a scheduled shoot has a failure
 * tolerance it is neither changed nor removed, and a hibernated shoot is not made highly
 * available (a running one is: the druid scales its etcd from one member to three).
 */
function validateHighAvailabilityUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const type = (o: KubeObject) => {
    const cp = specOf(o)?.controlPlane;
    const ha = isRecord(cp) ? cp.highAvailability : undefined;
    return isRecord(ha) && isRecord(ha.failureTolerance) ? ha.failureTolerance.type : undefined;
  };
  const path = 'spec.controlPlane.highAvailability';
  const [newType, oldType] = [type(obj), type(old)];
  const scheduled = Boolean(specOf(obj)?.seedName);
  if (oldType !== undefined)
    return scheduled ? immutableOnceSet(newType ?? '', oldType, `${path}.failureTolerance.type`) : [];
  if (newType === undefined) return [];
  const hibernation = specOf(old)?.hibernation;
  if (isRecord(hibernation) && hibernation.enabled === true)
    return [
      FieldError.forbidden(
        path,
        'Shoot is currently hibernated and cannot be scaled up to HA. Please make sure your cluster has woken up before scaling it up to HA',
      ),
    ];
  return [];
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
    errs.push(...validatePoolFields(pool, path));
    if (typeof pool.name === 'string') {
      if (seen.has(pool.name)) errs.push(FieldError.duplicate(`${path}.name`, pool.name));
      seen.add(pool.name);
    }
  });
  return errs;
}

/** The types of the pool fields admission reads and defaults (machine type and image, CRI, zones, version). */
function validatePoolFields(pool: Record<string, unknown>, path: string): FieldError[] {
  const errs = [
    ...optionalObject(pool.machine, `${path}.machine`),
    ...optionalObject(pool.cri, `${path}.cri`),
    ...optionalObject(pool.kubernetes, `${path}.kubernetes`),
    ...optionalArray(pool.zones, `${path}.zones`),
  ];
  if (isRecord(pool.machine)) {
    errs.push(...optionalString(pool.machine.type, `${path}.machine.type`));
    errs.push(...optionalObject(pool.machine.image, `${path}.machine.image`));
    if (isRecord(pool.machine.image)) {
      errs.push(...optionalString(pool.machine.image.name, `${path}.machine.image.name`));
      errs.push(...optionalString(pool.machine.image.version, `${path}.machine.image.version`));
    }
  }
  if (isRecord(pool.cri)) errs.push(...optionalString(pool.cri.name, `${path}.cri.name`));
  if (isRecord(pool.kubernetes)) errs.push(...optionalString(pool.kubernetes.version, `${path}.kubernetes.version`));
  if (Array.isArray(pool.zones)) {
    pool.zones.forEach((zone: unknown, j: number) => {
      errs.push(...optionalString(zone, `${path}.zones[${j}]`));
    });
  }
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
  errs.push(...optionalObject(status.credentials, 'status.credentials'));
  return errs;
}

/** A Shoot's validation on create. */
export function validateShoot(obj: KubeObject): FieldError[] {
  return [...validateShootSpec(obj.spec), ...validateShootOperation(obj)];
}

/** `validateShootSpec`, and the region and provider type never change once set. */
export function validateShootUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const oldSpec = specOf(old);
  return [
    ...validateShootSpec(obj.spec),
    ...immutableOnceSet(spec?.region, oldSpec?.region, 'spec.region'),
    ...immutableOnceSet(providerType(spec), providerType(oldSpec), 'spec.provider.type'),
    ...validateHighAvailabilityUpdate(obj, old),
    ...validateShootOperation(obj, old),
  ];
}

function providerType(spec: Record<string, unknown> | undefined): unknown {
  return isRecord(spec?.provider) ? spec.provider.type : undefined;
}

/** The spec with `spec.seedName` removed, to compare everything else. */
export function shootSpecWithoutSeedName(shoot: Shoot): Record<string, unknown> {
  const { seedName: _seedName, ...rest } = shoot.spec;
  return rest;
}
