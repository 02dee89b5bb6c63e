/**
 * BackupEntry (extensions.gardener.cloud/v1alpha1, cluster-scoped as in Gardener): a shoot's
 * directory `<name>/` in the bucket `spec.bucketName`, named `shoot--<project>--<shoot>--<uid>`
 * (the Restore adds `source-<name>` for the source bucket, whose actuator writes the secret
 * `source-etcd-backup` into the control-plane namespace). Cluster-scoped because it outlives the
 * control-plane namespace: the Migrate deletes that namespace while the entry moves on.
 */
import { pathString } from '../core-gardener/common.js';
import type { KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalObject } from '../validation.js';
import { EXTENSIONS_GROUP, EXTENSIONS_VERSION, type ExtensionValidation } from './common.js';
import { requiredString, validateSecretReference } from './field-validation.js';

export const extensionBackupEntryResource = resourceRef({
  group: EXTENSIONS_GROUP,
  version: EXTENSIONS_VERSION,
  kind: 'BackupEntry',
  plural: 'backupentries',
  namespaced: false,
});

/** Name prefix of the entry the Restore creates for the source bucket (`source-<entry>`). */
export const SOURCE_BACKUP_ENTRY_PREFIX = 'source-';

/** `spec.bucketName`. */
export function extensionBackupEntryBucketName(entry: KubeObject): string | undefined {
  return pathString(entry, 'spec.bucketName') || undefined;
}

/** True for the `source-…` entry a Restore creates for the source bucket. */
export function isSourceBackupEntry(entry: KubeObject): boolean {
  return (entry.metadata.name ?? '').startsWith(SOURCE_BACKUP_ENTRY_PREFIX);
}

/** What BackupEntry adds to the validation of every extension kind. */
export const extensionBackupEntryValidation: ExtensionValidation = {
  validateSpec: (spec) => [
    ...requiredString(spec.region, 'spec.region'),
    ...requiredString(spec.bucketName, 'spec.bucketName'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
    ...optionalObject(spec.backupBucketProviderStatus, 'spec.backupBucketProviderStatus'),
  ],
};
