/**
 * Etcd (druid.gardener.cloud/v1alpha1, namespaced): one etcd cluster of a shoot control plane
 * (`etcd-main`, `etcd-events`) with its backup sidecar. Transplant runs single-member clusters:
 * `spec.replicas` is 0 (stopped) or 1 and defaults to 1. The druid reports readiness in
 * `status.ready` and the conditions Ready (quorate), AllMembersReady and BackupReady.
 */
import { GARDENER_OPERATION_ANNOTATION, pathValue, specOf, statusOf } from '../core-gardener/common.js';
import { FieldError } from '../errors.js';
import {
  optionalBoolean,
  optionalCronSchedule,
  optionalDuration,
  optionalEnum,
  optionalNonNegativeInteger,
  optionalPort,
  optionalQuantity,
  parseDuration,
  requiredEnum,
  requiredString,
  validateConditions,
  validateLastOperation,
  validateSecretReference,
} from '../extensions/field-validation.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { immutableOnceSet, optionalArray, optionalObject, optionalString, validateLabels } from '../validation.js';
import {
  DRUID_GROUP,
  DRUID_VERSION,
  druidConditionStatus,
  type StoreSpec,
  storeSpecOf,
  validateStoreSpec,
} from './common.js';

export const etcdResource = resourceRef({
  group: DRUID_GROUP,
  version: DRUID_VERSION,
  kind: 'Etcd',
  plural: 'etcds',
  namespaced: true,
});

/** Condition types of an Etcd (etcd-druid's ConditionType* constants). */
export const EtcdConditionType = Object.freeze({
  /** The cluster has quorum (printed as QUORATE). */
  Ready: 'Ready',
  AllMembersReady: 'AllMembersReady',
  BackupReady: 'BackupReady',
  AllMembersUpdated: 'AllMembersUpdated',
  DataVolumesReady: 'DataVolumesReady',
  LastSnapshotCompactionSucceeded: 'LastSnapshotCompactionSucceeded',
} as const);

/** `spec.replicas` values Transplant runs: stopped or a single member. */
export const ETCD_REPLICAS = [0, 1] as const;
export const DEFAULT_ETCD_REPLICAS = 1;

export const GARBAGE_COLLECTION_POLICIES = ['Exponential', 'LimitBased'] as const;
export type GarbageCollectionPolicy = (typeof GARBAGE_COLLECTION_POLICIES)[number];
export const COMPRESSION_POLICIES = ['gzip', 'lzw', 'zlib'] as const;
export const METRICS_LEVELS = ['basic', 'extensive'] as const;
export const COMPACTION_MODES = ['periodic', 'revision'] as const;
export const ETCD_MEMBER_STATUSES = ['Ready', 'NotReady', 'Unknown'] as const;
export const ETCD_ROLES = ['Leader', 'Member'] as const;

/** One entry of `status.members`. */
export interface EtcdMemberStatus {
  name: string;
  id?: string;
  role?: 'Leader' | 'Member';
  status: 'Ready' | 'NotReady' | 'Unknown';
  reason?: string;
  lastTransitionTime?: string;
}

// ---------------------------------------------------------------------------------------------
// Readers

/** `spec.replicas`, 1 when unset. */
export function etcdReplicas(etcd: KubeObject): number {
  const replicas = specOf(etcd)?.replicas;
  return typeof replicas === 'number' ? replicas : DEFAULT_ETCD_REPLICAS;
}

/** `status.ready === true`. */
export function etcdReady(etcd: KubeObject): boolean {
  return statusOf(etcd)?.ready === true;
}

/** The Ready condition is True: the cluster has quorum. */
export function etcdQuorate(etcd: KubeObject): boolean {
  return druidConditionStatus(etcd, EtcdConditionType.Ready) === 'True';
}

/** The BackupReady condition is True. */
export function etcdBackupReady(etcd: KubeObject): boolean {
  return druidConditionStatus(etcd, EtcdConditionType.BackupReady) === 'True';
}

/** `spec.backup.store` when well-formed; undefined means backups are off. */
export function etcdBackupStore(etcd: KubeObject): StoreSpec | undefined {
  return storeSpecOf(pathValue(etcd, 'spec.backup.store'));
}

/** `spec.backup.fullSnapshotSchedule`, undefined when unset. */
export function etcdFullSnapshotSchedule(etcd: KubeObject): string | undefined {
  const schedule = pathValue(etcd, 'spec.backup.fullSnapshotSchedule');
  return typeof schedule === 'string' && schedule !== '' ? schedule : undefined;
}

/** `spec.backup.deltaSnapshotPeriod` in milliseconds, undefined when unset or malformed. */
export function etcdDeltaSnapshotPeriodMs(etcd: KubeObject): number | undefined {
  const period = pathValue(etcd, 'spec.backup.deltaSnapshotPeriod');
  return typeof period === 'string' ? parseDuration(period) : undefined;
}

/** `status.endpoint`: where the etcd serves clients, undefined before the druid set it. */
export function etcdEndpoint(etcd: KubeObject): string | undefined {
  const endpoint = statusOf(etcd)?.endpoint;
  return typeof endpoint === 'string' && endpoint !== '' ? endpoint : undefined;
}

/** `status.backupEndpoint`: the backup sidecar's HTTPS URL (`/snapshot/full?final=true`), undefined without backups. */
export function etcdBackupEndpoint(etcd: KubeObject): string | undefined {
  const endpoint = statusOf(etcd)?.backupEndpoint;
  return typeof endpoint === 'string' && endpoint !== '' ? endpoint : undefined;
}

/** `status.clusterSize`, undefined when unset. */
export function etcdClusterSize(etcd: KubeObject): number | undefined {
  const size = statusOf(etcd)?.clusterSize;
  return typeof size === 'number' ? size : undefined;
}

/** `status.members`, skipping malformed entries. */
export function etcdMembers(etcd: KubeObject): EtcdMemberStatus[] {
  const members = statusOf(etcd)?.members;
  if (!Array.isArray(members)) return [];
  return members.filter(
    (m): m is EtcdMemberStatus => isRecord(m) && typeof m.name === 'string' && typeof m.status === 'string',
  );
}

/** `status.observedGeneration`, undefined when unset. */
export function etcdObservedGeneration(etcd: KubeObject): number | undefined {
  const generation = statusOf(etcd)?.observedGeneration;
  return typeof generation === 'number' ? generation : undefined;
}

/**
 * Why the Etcd is not ready yet, undefined when it is (Gardener's `CheckEtcdObject`): last errors,
 * an unobserved or outdated generation, a pending `gardener.cloud/operation`, or `status.ready`
 * not true.
 */
export function etcdNotReadyReason(etcd: KubeObject): string | undefined {
  const lastErrors = statusOf(etcd)?.lastErrors;
  if (Array.isArray(lastErrors) && lastErrors.length > 0) {
    const first = lastErrors[0];
    const description = isRecord(first) && typeof first.description === 'string' ? first.description : 'unknown';
    return `errors during reconciliation: ${description}`;
  }
  const observed = etcdObservedGeneration(etcd);
  if (observed === undefined) return 'observed generation not recorded';
  const generation = typeof etcd.metadata.generation === 'number' ? etcd.metadata.generation : 1;
  if (observed !== generation) return `observed generation outdated (${observed}/${generation})`;
  const operation = etcd.metadata.annotations?.[GARDENER_OPERATION_ANNOTATION];
  if (operation) return `gardener operation "${operation}" is not yet picked up by etcd-druid`;
  if (!etcdReady(etcd)) return 'is not ready yet';
  return undefined;
}

/** The description of the druid's `RestoreFailed` error, when restoring the data dir from backups failed. */
export function etcdRestoreError(etcd: KubeObject): string | undefined {
  const lastErrors = statusOf(etcd)?.lastErrors;
  if (!Array.isArray(lastErrors)) return undefined;
  const failed = lastErrors.find((e) => isRecord(e) && e.code === 'RestoreFailed');
  return isRecord(failed) && typeof failed.description === 'string' ? failed.description : undefined;
}

/** True when the druid has reconciled the current generation and the etcd is ready. */
export function etcdReconciled(etcd: KubeObject): boolean {
  return etcdNotReadyReason(etcd) === undefined;
}

// ---------------------------------------------------------------------------------------------
// Validation

function validateTlsConfig(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) return [FieldError.typeInvalid(path, value, 'must be an object')];
  return [
    ...validateSecretReference(value.tlsCASecretRef, `${path}.tlsCASecretRef`, true),
    ...optionalString(
      isRecord(value.tlsCASecretRef) ? value.tlsCASecretRef.dataKey : undefined,
      `${path}.tlsCASecretRef.dataKey`,
    ),
    ...validateSecretReference(value.serverTLSSecretRef, `${path}.serverTLSSecretRef`, true),
    ...validateSecretReference(value.clientTLSSecretRef, `${path}.clientTLSSecretRef`, false),
  ];
}

function validateEtcdConfig(etcd: unknown): FieldError[] {
  if (etcd === undefined || etcd === null) return [FieldError.required('spec.etcd')];
  if (!isRecord(etcd)) return [FieldError.typeInvalid('spec.etcd', etcd, 'must be an object')];
  return [
    ...optionalQuantity(etcd.quota, 'spec.etcd.quota'),
    ...optionalNonNegativeInteger(etcd.snapshotCount, 'spec.etcd.snapshotCount'),
    ...optionalCronSchedule(etcd.defragmentationSchedule, 'spec.etcd.defragmentationSchedule'),
    ...optionalPort(etcd.serverPort, 'spec.etcd.serverPort'),
    ...optionalPort(etcd.clientPort, 'spec.etcd.clientPort'),
    ...optionalPort(etcd.wrapperPort, 'spec.etcd.wrapperPort'),
    ...optionalString(etcd.image, 'spec.etcd.image'),
    ...validateSecretReference(etcd.authSecretRef, 'spec.etcd.authSecretRef', false),
    ...optionalEnum(etcd.metrics, 'spec.etcd.metrics', METRICS_LEVELS),
    ...optionalObject(etcd.resources, 'spec.etcd.resources'),
    ...validateTlsConfig(etcd.clientUrlTls, 'spec.etcd.clientUrlTls'),
    ...validateTlsConfig(etcd.peerUrlTls, 'spec.etcd.peerUrlTls'),
    ...optionalDuration(etcd.etcdDefragTimeout, 'spec.etcd.etcdDefragTimeout'),
    ...optionalDuration(etcd.heartbeatDuration, 'spec.etcd.heartbeatDuration'),
  ];
}

function validateBackupSpec(backup: unknown): FieldError[] {
  if (backup === undefined || backup === null) return [FieldError.required('spec.backup')];
  if (!isRecord(backup)) return [FieldError.typeInvalid('spec.backup', backup, 'must be an object')];
  const errs = [
    ...optionalPort(backup.port, 'spec.backup.port'),
    ...validateTlsConfig(backup.tls, 'spec.backup.tls'),
    ...optionalString(backup.image, 'spec.backup.image'),
    ...(backup.store === undefined || backup.store === null
      ? []
      : validateStoreSpec(backup.store, 'spec.backup.store')),
    ...optionalObject(backup.resources, 'spec.backup.resources'),
    ...optionalCronSchedule(backup.fullSnapshotSchedule, 'spec.backup.fullSnapshotSchedule'),
    ...optionalEnum(backup.garbageCollectionPolicy, 'spec.backup.garbageCollectionPolicy', GARBAGE_COLLECTION_POLICIES),
    ...optionalNonNegativeInteger(backup.maxBackupsLimitBasedGC, 'spec.backup.maxBackupsLimitBasedGC'),
    ...optionalDuration(backup.garbageCollectionPeriod, 'spec.backup.garbageCollectionPeriod'),
    ...optionalDuration(backup.deltaSnapshotPeriod, 'spec.backup.deltaSnapshotPeriod'),
    ...optionalQuantity(backup.deltaSnapshotMemoryLimit, 'spec.backup.deltaSnapshotMemoryLimit'),
    ...optionalDuration(backup.deltaSnapshotRetentionPeriod, 'spec.backup.deltaSnapshotRetentionPeriod'),
    ...optionalDuration(backup.etcdSnapshotTimeout, 'spec.backup.etcdSnapshotTimeout'),
    ...optionalBoolean(backup.enableProfiling, 'spec.backup.enableProfiling'),
    ...optionalObject(backup.compression, 'spec.backup.compression'),
  ];
  if (isRecord(backup.compression)) {
    errs.push(...optionalBoolean(backup.compression.enabled, 'spec.backup.compression.enabled'));
    errs.push(...optionalEnum(backup.compression.policy, 'spec.backup.compression.policy', COMPRESSION_POLICIES));
  }
  const delta = typeof backup.deltaSnapshotPeriod === 'string' ? parseDuration(backup.deltaSnapshotPeriod) : undefined;
  const gc =
    typeof backup.garbageCollectionPeriod === 'string' ? parseDuration(backup.garbageCollectionPeriod) : undefined;
  if (delta !== undefined && gc !== undefined && !(delta < gc)) {
    errs.push(
      FieldError.invalid(
        'spec.backup.garbageCollectionPeriod',
        backup.garbageCollectionPeriod,
        'etcd.spec.backup.garbageCollectionPeriod must be greater than etcd.spec.backup.deltaSnapshotPeriod',
      ),
    );
  }
  return errs;
}

function validateReplicas(replicas: unknown): FieldError[] {
  if (replicas === undefined || replicas === null) return [FieldError.required('spec.replicas')];
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
    return [FieldError.typeInvalid('spec.replicas', replicas, 'must be an integer')];
  }
  return (ETCD_REPLICAS as readonly number[]).includes(replicas)
    ? []
    : [FieldError.notSupported('spec.replicas', replicas, ETCD_REPLICAS.map(String))];
}

/** Validates the Etcd spec: replicas, labels, selector, etcd, backup, sharedConfig, storage. */
export function validateEtcdSpec(spec: unknown): FieldError[] {
  if (!isRecord(spec)) return [FieldError.required('spec')];
  const errs = validateReplicas(spec.replicas);
  if (spec.labels === undefined || spec.labels === null) errs.push(FieldError.required('spec.labels'));
  else errs.push(...validateLabels(spec.labels, 'spec.labels'));
  errs.push(...optionalObject(spec.annotations, 'spec.annotations'));
  errs.push(...optionalObject(spec.selector, 'spec.selector'));
  if (isRecord(spec.selector)) {
    errs.push(...validateLabels(spec.selector.matchLabels, 'spec.selector.matchLabels'));
    errs.push(...optionalArray(spec.selector.matchExpressions, 'spec.selector.matchExpressions'));
  }
  errs.push(...validateEtcdConfig(spec.etcd));
  errs.push(...validateBackupSpec(spec.backup));
  errs.push(...optionalObject(spec.sharedConfig, 'spec.sharedConfig'));
  if (isRecord(spec.sharedConfig)) {
    errs.push(
      ...optionalEnum(spec.sharedConfig.autoCompactionMode, 'spec.sharedConfig.autoCompactionMode', COMPACTION_MODES),
    );
    errs.push(
      ...optionalString(spec.sharedConfig.autoCompactionRetention, 'spec.sharedConfig.autoCompactionRetention'),
    );
  }
  errs.push(...optionalString(spec.priorityClassName, 'spec.priorityClassName'));
  errs.push(...optionalString(spec.storageClass, 'spec.storageClass'));
  errs.push(...optionalQuantity(spec.storageCapacity, 'spec.storageCapacity'));
  errs.push(...optionalString(spec.volumeClaimTemplate, 'spec.volumeClaimTemplate'));
  errs.push(...optionalBoolean(spec.runAsRoot, 'spec.runAsRoot'));
  return errs;
}

/** etcd-druid's update rules: storageClass and volumeClaimTemplate immutable; replicas only grow or drop to 0. */
export function validateEtcdSpecUpdate(etcd: KubeObject, old: KubeObject): FieldError[] {
  const errs = [
    ...immutableOnceSet(pathValue(etcd, 'spec.storageClass'), pathValue(old, 'spec.storageClass'), 'spec.storageClass'),
    ...immutableOnceSet(
      pathValue(etcd, 'spec.volumeClaimTemplate'),
      pathValue(old, 'spec.volumeClaimTemplate'),
      'spec.volumeClaimTemplate',
    ),
  ];
  const replicas = pathValue(etcd, 'spec.replicas');
  const before = pathValue(old, 'spec.replicas');
  if (typeof replicas === 'number' && typeof before === 'number' && replicas !== 0 && replicas < before) {
    errs.push(FieldError.invalid('spec.replicas', replicas, 'Replicas can either be increased or be downscaled to 0.'));
  }
  return errs;
}

/** Validates what the druid writes into `status`. */
export function validateEtcdStatus(etcd: KubeObject): FieldError[] {
  const status = etcd.status;
  if (status === undefined || status === null) return [];
  if (!isRecord(status)) return [FieldError.typeInvalid('status', status, 'must be an object')];
  const errs = [
    ...optionalNonNegativeInteger(status.observedGeneration, 'status.observedGeneration'),
    ...optionalBoolean(status.ready, 'status.ready'),
    ...validateConditions(status.conditions, 'status.conditions'),
    ...optionalNonNegativeInteger(status.clusterSize, 'status.clusterSize'),
    ...optionalNonNegativeInteger(status.currentReplicas, 'status.currentReplicas'),
    ...optionalNonNegativeInteger(status.replicas, 'status.replicas'),
    ...optionalNonNegativeInteger(status.readyReplicas, 'status.readyReplicas'),
    ...optionalString(status.endpoint, 'status.endpoint'),
    ...optionalString(status.backupEndpoint, 'status.backupEndpoint'),
    ...validateLastOperation(status.lastOperation, 'status.lastOperation'),
    ...optionalArray(status.lastErrors, 'status.lastErrors'),
    ...optionalArray(status.members, 'status.members'),
  ];
  if (Array.isArray(status.lastErrors)) {
    status.lastErrors.forEach((error, i) => {
      const at = `status.lastErrors[${i}]`;
      if (!isRecord(error)) errs.push(FieldError.typeInvalid(at, error, 'must be an object'));
      else errs.push(...requiredString(error.description, `${at}.description`));
    });
  }
  if (Array.isArray(status.members)) {
    status.members.forEach((member, i) => {
      const at = `status.members[${i}]`;
      if (!isRecord(member)) {
        errs.push(FieldError.typeInvalid(at, member, 'must be an object'));
        return;
      }
      errs.push(...requiredString(member.name, `${at}.name`));
      errs.push(...requiredEnum(member.status, `${at}.status`, ETCD_MEMBER_STATUSES));
      errs.push(...optionalEnum(member.role, `${at}.role`, ETCD_ROLES));
    });
  }
  return errs;
}

/** The defaults etcd-druid's CRD sets: `spec.replicas` 1. Mutates. */
export function defaultEtcd(etcd: KubeObject): void {
  if (isRecord(etcd.spec) && (etcd.spec.replicas === undefined || etcd.spec.replicas === null)) {
    etcd.spec.replicas = DEFAULT_ETCD_REPLICAS;
  }
}
