/**
 * BackupBucket (core.gardener.cloud/v1beta1, cluster-scoped): the object-storage bucket of one
 * seed (Gardener names it after the seed's UID). The seed's gardenlet reconciles it through the
 * extension BackupBucket in the seed.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, statusSubresource } from '../core/common.js';
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { immutableOnceSet, optionalObject, optionalString, validateObjectMetaName } from '../validation.js';
import {
  GARDENER_GROUP,
  GARDENER_VERSION,
  gardenerStrategy,
  lastOperationOf,
  pathString,
  pathValue,
} from './common.js';

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

function opState(obj: KubeObject): string {
  return lastOperationOf(obj)?.state ?? '<pending>';
}

function opProgress(obj: KubeObject): number {
  const progress = lastOperationOf(obj)?.progress;
  return typeof progress === 'number' ? progress : 0;
}

export const backupBucketResource: ResourceDefinition = {
  group: GARDENER_GROUP,
  version: GARDENER_VERSION,
  kind: 'BackupBucket',
  listKind: 'BackupBucketList',
  plural: 'backupbuckets',
  singular: 'backupbucket',
  namespaced: false,
  strategy: gardenerStrategy({
    validate: (obj) => validateBackupBucketSpec(obj.spec),
    validateUpdate: (obj, old) => [
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
    ],
  }),
  subresources: [statusSubresource()],
  hasStatus: true,
  columns: [
    { name: 'PROVIDER', type: 'string', cell: (obj) => pathString(obj, 'spec.provider.type') ?? '' },
    { name: 'REGION', type: 'string', cell: (obj) => pathString(obj, 'spec.provider.region') ?? '' },
    { name: 'SEED', type: 'string', cell: (obj) => backupBucketSeedName(obj) ?? '<none>' },
    { name: 'OPERATION', type: 'string', description: 'State of the last operation.', cell: opState },
    { name: 'PROGRESS', type: 'integer', description: 'Progress of the last operation.', cell: opProgress },
    ageColumn,
  ],
  selectableFields: {
    'spec.seedName': (obj) => backupBucketSeedName(obj) ?? '',
  },
};
