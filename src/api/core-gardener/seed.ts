/**
 * Seed (core.gardener.cloud/v1beta1, cluster-scoped): a hosting environment for shoot control
 * planes. The fields Transplant reads are `spec.backup` (control plane migration needs it on both
 * seeds), `spec.provider`, `spec.networks` and the health conditions in `status.conditions`;
 * every other field of a real manifest is stored untouched.
 */
import { FieldError } from '../errors.js';
import { aNumber, anObject, aString, optional, shape } from '../kind-guard.js';
import { type Condition, isRecord, type KubeObject, specOf } from '../meta.js';
import { immutableOnceSet, optionalArray, optionalObject, optionalString } from '../validation.js';
import { aLastOperation, gardenerKind, type LastOperation } from './common.js';
import { someConditions } from './conditions.js';

/** `spec.backup` of a seed: where its shoots' etcd backups go. */
export interface SeedBackup {
  /** The backup provider type (`local`, `s3`): the extension BackupBucket's `spec.type`. */
  provider: string;
  region?: string;
  /** An object reference (apiVersion, kind, name, namespace), usually to a Secret. */
  credentialsRef?: { apiVersion?: string; kind?: string; name: string; namespace?: string };
  /** The older form of credentialsRef: a Secret reference. */
  secretRef?: { name: string; namespace?: string };
  providerConfig?: Record<string, unknown>;
}

export interface SeedSpec {
  provider?: { type?: string; region?: string };
  /** Control plane migration needs it on both seeds. */
  backup?: SeedBackup;
}

export interface SeedStatus {
  conditions?: Condition[];
  lastOperation?: LastOperation;
  /** The gardenlet serving the seed. */
  gardener?: { id?: string; name?: string; version?: string };
  kubernetesVersion?: string;
  observedGeneration?: number;
}

export interface Seed extends KubeObject {
  spec: SeedSpec;
  status?: SeedStatus;
}

const aReference = shape({ name: aString, namespace: optional(aString) });

/**
 * The guard (whether an object is a Seed with the fields above, of their types) and the reference
 * that carries it, so that clients read checked objects.
 */
export const { is: isSeed, resource: seedResource } = gardenerKind<Seed>(
  { kind: 'Seed', plural: 'seeds', namespaced: false },
  {
    spec: shape<SeedSpec>({
      provider: optional(shape({ type: optional(aString), region: optional(aString) })),
      backup: optional(
        shape<SeedBackup>({
          provider: aString,
          region: optional(aString),
          credentialsRef: optional(aReference),
          secretRef: optional(aReference),
          providerConfig: optional(anObject),
        }),
      ),
    }),
    status: optional(
      shape<SeedStatus>({
        conditions: someConditions,
        lastOperation: optional(aLastOperation),
        gardener: optional(shape({ id: optional(aString), name: optional(aString), version: optional(aString) })),
        kubernetesVersion: optional(aString),
        observedGeneration: optional(aNumber),
      }),
    ),
  },
);

/** Whether the seed has backups configured (control plane migration requires it). */
export function seedHasBackup(seed: Seed): boolean {
  return seed.spec.backup !== undefined;
}

/** The garden Secret (namespace `garden`) a gardenlet registers its seed's backup credentials in. */
export function backupSecretName(seed: string): string {
  return `backup-${seed}`;
}

/** The backup credentials Secret `{namespace, name}` from `credentialsRef` or `secretRef`. */
export function seedBackupSecretRef(seed: Seed): { namespace: string; name: string } | undefined {
  const backup = seed.spec.backup;
  const ref = backup?.credentialsRef ?? backup?.secretRef;
  return ref ? { name: ref.name, namespace: ref.namespace ?? 'garden' } : undefined;
}

/** Whether an object carries a deletionTimestamp. */
export function isMarkedForDeletion(obj: KubeObject): boolean {
  return typeof obj.metadata.deletionTimestamp === 'string' && obj.metadata.deletionTimestamp !== '';
}

function validateObjectReference(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) return [FieldError.typeInvalid(path, value, 'must be an object')];
  const errs = [
    ...optionalString(value.apiVersion, `${path}.apiVersion`),
    ...optionalString(value.kind, `${path}.kind`),
    ...optionalString(value.namespace, `${path}.namespace`),
  ];
  if (typeof value.name !== 'string' || value.name === '') errs.push(FieldError.required(`${path}.name`));
  return errs;
}

/** Validates the spec fields Transplant models; unknown fields are left alone. */
export function validateSeedSpec(spec: unknown): FieldError[] {
  if (!isRecord(spec)) return [FieldError.required('spec')];
  const errs: FieldError[] = [];
  errs.push(...optionalObject(spec.provider, 'spec.provider'));
  if (isRecord(spec.provider)) {
    errs.push(...optionalString(spec.provider.type, 'spec.provider.type'));
    errs.push(...optionalString(spec.provider.region, 'spec.provider.region'));
    errs.push(...optionalArray(spec.provider.zones, 'spec.provider.zones'));
  }
  errs.push(...optionalObject(spec.backup, 'spec.backup'));
  if (isRecord(spec.backup)) {
    const backup = spec.backup;
    if (typeof backup.provider !== 'string' || backup.provider === '') {
      errs.push(FieldError.required('spec.backup.provider', 'must provide a backup cloud provider name'));
    }
    errs.push(...optionalString(backup.region, 'spec.backup.region'));
    errs.push(...validateObjectReference(backup.credentialsRef, 'spec.backup.credentialsRef'));
    errs.push(...validateObjectReference(backup.secretRef, 'spec.backup.secretRef'));
  }
  errs.push(...optionalObject(spec.networks, 'spec.networks'));
  errs.push(...optionalObject(spec.settings, 'spec.settings'));
  errs.push(...optionalArray(spec.taints, 'spec.taints'));
  return errs;
}

/** A Seed's validation on create. */
export function validateSeed(obj: KubeObject): FieldError[] {
  return validateSeedSpec(obj.spec);
}

/** `validateSeedSpec`, and a backup once configured stays, with its provider and region. */
export function validateSeedUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateSeedSpec(obj.spec);
  const backup = backupOf(obj);
  const oldBackup = backupOf(old);
  if (oldBackup && !backup) {
    errs.push(FieldError.forbidden('spec.backup', 'backup configuration cannot be removed once set'));
  } else if (oldBackup && backup) {
    errs.push(...immutableOnceSet(backup.provider, oldBackup.provider, 'spec.backup.provider'));
    errs.push(...immutableOnceSet(backup.region, oldBackup.region, 'spec.backup.region'));
  }
  return errs;
}

function backupOf(obj: KubeObject): Record<string, unknown> | undefined {
  const backup = specOf(obj)?.backup;
  return isRecord(backup) ? backup : undefined;
}
