/**
 * BackupBucket (core.gardener.cloud/v1beta1, cluster-scoped): the object-storage bucket of one
 * seed (Gardener names it after the seed's UID). The seed's gardenlet reconciles it through the
 * extension BackupBucket in the seed.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { immutableOnceSet, optionalObject, optionalString, validateObjectMetaName } from '../validation.js';
import { GARDENER_GROUP, GARDENER_VERSION, pathString, pathValue } from './common.js';

export const backupBucketResource = resourceRef({
  group: GARDENER_GROUP,
  version: GARDENER_VERSION,
  kind: 'BackupBucket',
  plural: 'backupbuckets',
  namespaced: false,
});

/** `spec.seedName`, undefined when unset or null. */
export function backupBucketSeedName(bucket: KubeObject): string | undefined {
  return pathString(bucket, 'spec.seedName') || undefined;
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
  return [
    ...validateBackupBucketSpec(obj.spec),
    ...immutableOnceSet(
      pathValue(obj, 'spec.provider.type'),
      pathValue(old, 'spec.provider.type'),
      'spec.provider.type',
    ),
    ...immutableOnceSet(
      pathValue(obj, 'spec.provider.region'),
      pathValue(old, 'spec.provider.region'),
      'spec.provider.region',
    ),
  ];
}
