/**
 * BackupBucket (extensions.gardener.cloud/v1alpha1, cluster-scoped): the seed-side twin of the
 * garden's BackupBucket, named after it (the seed's UID); the backup extension creates the bucket
 * in object storage and may publish the credentials it generated in `status.generatedSecretRef`.
 */
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { EXTENSIONS_GROUP, EXTENSIONS_VERSION, type ExtensionValidation, type SecretReference } from './common.js';
import { requiredString, validateSecretReference } from './field-validation.js';

export const extensionBackupBucketResource = resourceRef({
  group: EXTENSIONS_GROUP,
  version: EXTENSIONS_VERSION,
  kind: 'BackupBucket',
  plural: 'backupbuckets',
  namespaced: false,
});

/** `status.generatedSecretRef` when it names a secret. */
export function backupBucketGeneratedSecretRef(bucket: KubeObject): SecretReference | undefined {
  const status = bucket.status;
  const ref = isRecord(status) ? status.generatedSecretRef : undefined;
  if (!isRecord(ref) || typeof ref.name !== 'string' || ref.name === '') return undefined;
  return typeof ref.namespace === 'string' && ref.namespace !== ''
    ? { name: ref.name, namespace: ref.namespace }
    : { name: ref.name };
}

/** What BackupBucket adds to the validation of every extension kind. */
export const extensionBackupBucketValidation: ExtensionValidation = {
  validateSpec: (spec) => [
    ...requiredString(spec.region, 'spec.region'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
  ],
  immutable: ['spec.region'],
  validateStatus: (status) => validateSecretReference(status.generatedSecretRef, 'status.generatedSecretRef', false),
};
