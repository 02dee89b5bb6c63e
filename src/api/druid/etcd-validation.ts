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
import { isRecord, type KubeObject, specOf } from '../meta.js';
import {
  immutableOnceSet,
  isDns1123Label,
  optionalArray,
  optionalObject,
  optionalString,
  semanticEqual,
  validateLabels,
} from '../validation.js';
import { validateStoreSpec } from './common.js';
import {
  COMPACTION_MODES,
  COMPRESSION_POLICIES,
  DEFAULT_ETCD_REPLICAS,
  ETCD_MEMBER_STATUSES,
  ETCD_REPLICAS,
  ETCD_ROLES,
  EtcdConditionType,
  GARBAGE_COLLECTION_POLICIES,
  METRICS_LEVELS,
} from './etcd.js';

const BOOTSTRAP_PATH = 'spec.etcd.bootstrapWithExistingCluster';
const ADDITIONAL_PEER_URLS_PATH = 'spec.etcd.additionalAdvertisePeerURLs';

/** A list of URLs, each `http://` or `https://` as `tlsEnabled` asks (etcd-druid's CEL rules). */
function validateUrls(urls: unknown, path: string, tlsEnabled: boolean, what: string, max: number): FieldError[] {
  if (!Array.isArray(urls) || urls.length === 0) return [FieldError.required(path, `at least one ${what}`)];
  if (urls.length > max) return [FieldError.invalid(path, urls.length, `must have at most ${max} items`)];
  const scheme = tlsEnabled ? 'https://' : 'http://';
  const errs: FieldError[] = [];
  urls.forEach((url, i) => {
    const at = `${path}[${i}]`;
    if (typeof url !== 'string') errs.push(FieldError.typeInvalid(at, url, 'must be a string'));
    else if (!URL.canParse(url) || !/^https?:\/\/[^/]/.test(url))
      errs.push(FieldError.invalid(at, url, 'must be a valid http:// or https:// URL (e.g., https://10.0.0.1:2380)'));
    else if (!url.startsWith(scheme))
      errs.push(FieldError.invalid(at, url, `must use ${scheme} (${tlsEnabled ? 'TLS is' : 'TLS is not'} enabled)`));
  });
  return errs;
}

/** The member-name prefix of an Etcd's own members: `[<memberNamePrefix>-]<name>-`. */
function ownMemberPrefix(spec: Record<string, unknown>, name: string): string {
  const prefix = typeof spec.memberNamePrefix === 'string' && spec.memberNamePrefix ? `${spec.memberNamePrefix}-` : '';
  return `${prefix}${name}-`;
}

/**
 * `spec.memberNamePrefix`, `spec.etcd.additionalAdvertisePeerURLs` and
 * `spec.etcd.bootstrapWithExistingCluster` as etcd-druid's CEL rules check them: URL schemes match
 * the TLS settings, names are unique and do not collide with the Etcd's own members.
 */
export function validateEtcdMembership(spec: unknown, name: string): FieldError[] {
  if (!isRecord(spec) || !isRecord(spec.etcd)) return [];
  const etcd = spec.etcd;
  const errs: FieldError[] = [];
  if (spec.memberNamePrefix !== undefined && spec.memberNamePrefix !== null) {
    if (typeof spec.memberNamePrefix !== 'string')
      errs.push(FieldError.typeInvalid('spec.memberNamePrefix', spec.memberNamePrefix, 'must be a string'));
    else
      for (const problem of isDns1123Label(spec.memberNamePrefix))
        errs.push(FieldError.invalid('spec.memberNamePrefix', spec.memberNamePrefix, problem));
  }
  const own = ownMemberPrefix(spec, name);
  const peerTls = etcd.peerUrlTls !== undefined && etcd.peerUrlTls !== null;
  const clientTls = etcd.clientUrlTls !== undefined && etcd.clientUrlTls !== null;
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : DEFAULT_ETCD_REPLICAS;
  const additional = etcd.additionalAdvertisePeerURLs;
  errs.push(...optionalArray(additional, ADDITIONAL_PEER_URLS_PATH));
  if (Array.isArray(additional)) {
    if (additional.length > 10)
      errs.push(FieldError.invalid(ADDITIONAL_PEER_URLS_PATH, additional.length, 'must have at most 10 items'));
    for (const [i, entry] of additional.entries()) {
      const at = `${ADDITIONAL_PEER_URLS_PATH}[${i}]`;
      if (!isRecord(entry)) {
        errs.push(FieldError.typeInvalid(at, entry, 'must be an object'));
        continue;
      }
      const memberName = entry.memberName;
      if (typeof memberName !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?-[0-9]+$/.test(memberName)) {
        errs.push(FieldError.invalid(`${at}.memberName`, memberName, 'must be a member name ending in -<index>'));
      } else if (!memberName.startsWith(own)) {
        errs.push(
          FieldError.invalid(
            `${at}.memberName`,
            memberName,
            `additionalAdvertisePeerURLs member names must start with "${own}"`,
          ),
        );
      } else if (Number(memberName.slice(memberName.lastIndexOf('-') + 1)) >= replicas) {
        errs.push(
          FieldError.invalid(
            `${at}.memberName`,
            memberName,
            'additionalAdvertisePeerURLs member name index must be less than replicas',
          ),
        );
      }
      errs.push(...validateUrls(entry.urls, `${at}.urls`, peerTls, 'peer URL', 5));
    }
  }
  const bootstrap = etcd.bootstrapWithExistingCluster;
  if (bootstrap === undefined || bootstrap === null) return errs;
  if (!isRecord(bootstrap)) return [...errs, FieldError.typeInvalid(BOOTSTRAP_PATH, bootstrap, 'must be an object')];
  const members = bootstrap.members;
  if (!Array.isArray(members) || members.length === 0) {
    errs.push(FieldError.required(`${BOOTSTRAP_PATH}.members`, 'at least one member of the existing cluster'));
  } else {
    if (members.length > 10)
      errs.push(FieldError.invalid(`${BOOTSTRAP_PATH}.members`, members.length, 'must have at most 10 items'));
    const seen = new Set<string>();
    for (const [i, member] of members.entries()) {
      const at = `${BOOTSTRAP_PATH}.members[${i}]`;
      if (!isRecord(member)) {
        errs.push(FieldError.typeInvalid(at, member, 'must be an object'));
        continue;
      }
      if (typeof member.name !== 'string' || member.name === '') errs.push(FieldError.required(`${at}.name`));
      else {
        for (const problem of isDns1123Label(member.name))
          errs.push(FieldError.invalid(`${at}.name`, member.name, problem));
        if (seen.has(member.name)) errs.push(FieldError.duplicate(`${at}.name`, member.name));
        seen.add(member.name);
        if (member.name.startsWith(own))
          errs.push(
            FieldError.invalid(
              `${at}.name`,
              member.name,
              `must not collide with a target member (must not start with the target Etcd's member-name prefix "${own}")`,
            ),
          );
      }
      errs.push(...validateUrls(member.peerUrls, `${at}.peerUrls`, peerTls, 'peer URL', 5));
    }
  }
  errs.push(
    ...validateUrls(bootstrap.clientEndpoints, `${BOOTSTRAP_PATH}.clientEndpoints`, clientTls, 'client endpoint', 10),
  );
  return errs;
}

/** Whether the stored Etcd's join is in progress (its BootstrappedWithExistingCluster condition is False). */
function bootstrapInProgress(old: KubeObject): boolean {
  const conditions = isRecord(old.status) && Array.isArray(old.status.conditions) ? old.status.conditions : [];
  return conditions.some(
    (c) => isRecord(c) && c.type === EtcdConditionType.BootstrappedWithExistingCluster && c.status === 'False',
  );
}

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
  // Members talk to each other over the network: never in plain text.
  const peerTls = isRecord(spec.etcd) ? spec.etcd.peerUrlTls : undefined;
  if (typeof spec.replicas === 'number' && spec.replicas > 1 && (peerTls === undefined || peerTls === null)) {
    errs.push(FieldError.required('spec.etcd.peerUrlTls', 'peer TLS is required for more than one member'));
  }
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

/**
 * etcd-druid's update rules: storageClass, volumeClaimTemplate and memberNamePrefix immutable;
 * replicas only grow or drop to 0; bootstrapWithExistingCluster only set at creation (it may be
 * cleared), its members and client endpoints unchanged while the join is in progress.
 */
export function validateEtcdSpecUpdate(etcd: KubeObject, old: KubeObject): FieldError[] {
  const spec = specOf(etcd);
  const oldSpec = specOf(old);
  const errs = [
    ...immutableOnceSet(spec?.storageClass, oldSpec?.storageClass, 'spec.storageClass'),
    ...immutableOnceSet(spec?.volumeClaimTemplate, oldSpec?.volumeClaimTemplate, 'spec.volumeClaimTemplate'),
  ];
  if (!semanticEqual(spec?.memberNamePrefix ?? null, oldSpec?.memberNamePrefix ?? null)) {
    errs.push(
      FieldError.invalid(
        'spec.memberNamePrefix',
        spec?.memberNamePrefix,
        'etcd.spec.memberNamePrefix is an immutable field',
      ),
    );
  }
  const bootstrapOf = (s: typeof spec) =>
    (isRecord(s?.etcd) ? s.etcd.bootstrapWithExistingCluster : undefined) ?? undefined;
  const bootstrap = bootstrapOf(spec);
  const oldBootstrap = bootstrapOf(oldSpec);
  if (bootstrap !== undefined && oldBootstrap === undefined) {
    errs.push(
      FieldError.forbidden(
        BOOTSTRAP_PATH,
        'etcd.spec.etcd.bootstrapWithExistingCluster cannot be added after the Etcd resource has been created',
      ),
    );
  } else if (isRecord(bootstrap) && isRecord(oldBootstrap) && bootstrapInProgress(old)) {
    for (const field of ['members', 'clientEndpoints'] as const) {
      if (!semanticEqual(bootstrap[field], oldBootstrap[field])) {
        errs.push(
          FieldError.forbidden(
            `${BOOTSTRAP_PATH}.${field}`,
            `etcd.spec.etcd.bootstrapWithExistingCluster.${field} cannot be modified while the bootstrap is in progress`,
          ),
        );
      }
    }
  }
  const replicas = spec?.replicas;
  const before = oldSpec?.replicas;
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
