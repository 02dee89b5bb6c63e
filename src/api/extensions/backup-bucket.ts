/**
 * BackupBucket (extensions.gardener.cloud/v1alpha1, cluster-scoped): the seed-side twin of the
 * garden's BackupBucket, named after it (the seed's UID); the backup extension creates the bucket
 * in object storage and may publish the credentials it generated in `status.generatedSecretRef`.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../core/common.js';
import { isRecord, type KubeObject } from '../meta.js';
import {
  EXTENSIONS_GROUP,
  EXTENSIONS_VERSION,
  type ExtensionKindOptions,
  extensionSelectableFields,
  extensionStatusSubresource,
  extensionStrategy,
  lastOperationStateColumn,
  regionColumn,
  type SecretReference,
  typeColumn,
} from './common.js';
import { requiredString, validateSecretReference } from './field-validation.js';

/** `status.generatedSecretRef` when it names a secret. */
export function backupBucketGeneratedSecretRef(bucket: KubeObject): SecretReference | undefined {
  const status = bucket.status;
  const ref = isRecord(status) ? status.generatedSecretRef : undefined;
  if (!isRecord(ref) || typeof ref.name !== 'string' || ref.name === '') return undefined;
  return typeof ref.namespace === 'string' && ref.namespace !== ''
    ? { name: ref.name, namespace: ref.namespace }
    : { name: ref.name };
}

const options: ExtensionKindOptions = {
  validateSpec: (spec) => [
    ...requiredString(spec.region, 'spec.region'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
  ],
  immutable: ['spec.region'],
  validateStatus: (status) => validateSecretReference(status.generatedSecretRef, 'status.generatedSecretRef', false),
};

export const extensionBackupBucketResource: ResourceDefinition = {
  group: EXTENSIONS_GROUP,
  version: EXTENSIONS_VERSION,
  kind: 'BackupBucket',
  listKind: 'BackupBucketList',
  plural: 'backupbuckets',
  singular: 'backupbucket',
  shortNames: ['bb'],
  namespaced: false,
  strategy: extensionStrategy(options),
  subresources: [extensionStatusSubresource(options)],
  hasStatus: true,
  columns: [typeColumn, regionColumn, lastOperationStateColumn('STATE'), ageColumn],
  selectableFields: extensionSelectableFields,
};
