/**
 * BackupEntry (extensions.gardener.cloud/v1alpha1, cluster-scoped as in Gardener): a shoot's
 * directory `<name>/` in the bucket `spec.bucketName`, named `shoot--<project>--<shoot>--<uid>`
 * (the Restore adds `source-<name>` for the source bucket, whose actuator writes the secret
 * `source-etcd-backup` into the control-plane namespace). Cluster-scoped because it outlives the
 * control-plane namespace: the Migrate deletes that namespace while the entry moves on.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../core/common.js';
import { pathString } from '../core-gardener/common.js';
import type { KubeObject } from '../meta.js';
import { optionalObject } from '../validation.js';
import {
  EXTENSIONS_GROUP,
  EXTENSIONS_VERSION,
  type ExtensionKindOptions,
  extensionSelectableFields,
  extensionStatusSubresource,
  extensionStrategy,
  lastOperationStateColumn,
  regionColumn,
  typeColumn,
} from './common.js';
import { requiredString, validateSecretReference } from './field-validation.js';

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

const options: ExtensionKindOptions = {
  validateSpec: (spec) => [
    ...requiredString(spec.region, 'spec.region'),
    ...requiredString(spec.bucketName, 'spec.bucketName'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
    ...optionalObject(spec.backupBucketProviderStatus, 'spec.backupBucketProviderStatus'),
  ],
};

export const extensionBackupEntryResource: ResourceDefinition = {
  group: EXTENSIONS_GROUP,
  version: EXTENSIONS_VERSION,
  kind: 'BackupEntry',
  listKind: 'BackupEntryList',
  plural: 'backupentries',
  singular: 'backupentry',
  shortNames: ['be'],
  namespaced: false,
  strategy: extensionStrategy(options),
  subresources: [extensionStatusSubresource(options)],
  hasStatus: true,
  columns: [
    typeColumn,
    regionColumn,
    {
      name: 'BUCKET',
      type: 'string',
      description: 'The name of the bucket the backup entry lives in.',
      cell: (obj) => extensionBackupEntryBucketName(obj) ?? null,
    },
    lastOperationStateColumn('STATE'),
    ageColumn,
  ],
  selectableFields: {
    ...extensionSelectableFields,
    'spec.bucketName': (obj) => extensionBackupEntryBucketName(obj) ?? '',
  },
};
