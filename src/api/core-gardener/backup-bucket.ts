/**
 * BackupBucket (core.gardener.cloud/v1beta1, cluster-scoped): the object-storage bucket of one
 * seed (Gardener names it after the seed's UID). The seed's gardenlet reconciles it through the
 * extension BackupBucket in the seed.
 */
import { FieldError } from '../errors.js';
import { aNumber, anObject, aString, nullable, optional, shape } from '../kind-guard.js';
import { isRecord, type KubeObject, specOf } from '../meta.js';
import { immutableOnceSet, optionalObject, optionalString, validateObjectMetaName } from '../validation.js';
import { aLastError, aLastOperation, gardenerKind, type LastError, type LastOperation } from './common.js';

/** A Secret reference as the backup kinds hold it (validation checks only that it is an object). */
export interface BackupSecretRef {
  name?: string;
  /** `garden` when unset. */
  namespace?: string;
}

export interface BackupBucketSpec {
  /** The object-storage provider (`local`, `s3`) and its region. */
  provider: { type: string; region?: string };
  /** The seed whose gardenlet reconciles the bucket. */
  seedName?: string | null;
  /** The credentials of the object storage. */
  secretRef?: BackupSecretRef;
  providerConfig?: Record<string, unknown>;
}

export interface BackupBucketStatus {
  lastOperation?: LastOperation;
  lastError?: LastError | null;
  observedGeneration?: number;
  /** Credentials the backup extension generated for the bucket, copied into the garden. */
  generatedSecretRef?: { name: string; namespace?: string } | null;
  /** What the extension reports about the bucket (copied to the extension BackupEntries). */
  providerStatus?: Record<string, unknown> | null;
}

export interface BackupBucket extends KubeObject {
  spec: BackupBucketSpec;
  status?: BackupBucketStatus;
}

export const aBackupSecretRef = shape<BackupSecretRef>({ name: optional(aString), namespace: optional(aString) });

/**
 * The guard (whether an object is a core.gardener.cloud BackupBucket with the fields above, of
 * their types) and the reference that carries it, so that clients read checked objects.
 */
export const { is: isBackupBucket, resource: backupBucketResource } = gardenerKind<BackupBucket>(
  { kind: 'BackupBucket', plural: 'backupbuckets', namespaced: false },
  {
    spec: shape<BackupBucketSpec>({
      provider: shape({ type: aString, region: optional(aString) }),
      seedName: optional(nullable(aString)),
      secretRef: optional(aBackupSecretRef),
      providerConfig: optional(anObject),
    }),
    status: optional(
      shape<BackupBucketStatus>({
        lastOperation: optional(aLastOperation),
        lastError: optional(nullable(aLastError)),
        observedGeneration: optional(aNumber),
        generatedSecretRef: optional(nullable(shape({ name: aString, namespace: optional(aString) }))),
        providerStatus: optional(nullable(anObject)),
      }),
    ),
  },
);

/** The garden Secret (namespace `garden`) a gardenlet copies a bucket's generated credentials into. */
export function generatedBucketSecretName(bucket: string): string {
  return `generated-bucket-${bucket}`;
}

/** `spec.seedName`, undefined when unset, null or empty. */
export function backupBucketSeedName(bucket: BackupBucket): string | undefined {
  return bucket.spec.seedName || undefined;
}

/** Validates the spec fields Transplant models; unknown fields are left alone. */
export function validateBackupBucketSpec(spec: unknown): FieldError[] {
  if (!isRecord(spec)) return [FieldError.required('spec')];
  const errs: FieldError[] = [];
  if (!isRecord(spec.provider)) {
    errs.push(FieldError.required('spec.provider'));
  } else {
    if (typeof spec.provider.type !== 'string' || spec.provider.type === '') {
      errs.push(FieldError.required('spec.provider.type', 'must specify a provider type'));
    }
    errs.push(...optionalString(spec.provider.region, 'spec.provider.region'));
  }
  if (spec.seedName !== undefined && spec.seedName !== null) {
    errs.push(...validateObjectMetaName(spec.seedName, 'label', 'spec.seedName'));
  }
  errs.push(...optionalObject(spec.credentialsRef, 'spec.credentialsRef'));
  errs.push(...optionalObject(spec.secretRef, 'spec.secretRef'));
  return errs;
}

/** `validateBackupBucketSpec`, and the provider's type and region never change once set. */
export function validateBackupBucketUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const provider = (o: KubeObject) => {
    const value = specOf(o)?.provider;
    return isRecord(value) ? value : undefined;
  };
  return [
    ...validateBackupBucketSpec(obj.spec),
    ...immutableOnceSet(provider(obj)?.type, provider(old)?.type, 'spec.provider.type'),
    ...immutableOnceSet(provider(obj)?.region, provider(old)?.region, 'spec.provider.region'),
  ];
}
