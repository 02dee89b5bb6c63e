/**
 * BackupEntry (extensions.gardener.cloud/v1alpha1, cluster-scoped as in Gardener): a shoot's
 * directory `<name>/` in the bucket `spec.bucketName`, named `shoot--<project>--<shoot>--<uid>`
 * (the Restore adds `source-<name>` for the source bucket, whose actuator writes the secret
 * `source-etcd-backup` into the control-plane namespace). Cluster-scoped because it outlives the
 * control-plane namespace: the Migrate deletes that namespace while the entry moves on.
 */
import { anObject, aString, optional } from '../kind-guard.js';
import type { KubeObject } from '../meta.js';
import { optionalObject } from '../validation.js';
import {
  type ExtensionObject,
  type ExtensionValidation,
  extensionKind,
  PROVIDER_SPEC,
  type ProviderSpec,
} from './common.js';
import { requiredString, validateSecretReference } from './field-validation.js';

export interface ExtensionBackupEntrySpec extends ProviderSpec {
  /** The bucket the shoot's directory is in. */
  bucketName: string;
  /** The bucket's `status.providerStatus`, handed on by the gardenlet. */
  backupBucketProviderStatus?: Record<string, unknown>;
}

export type ExtensionBackupEntry = ExtensionObject<ExtensionBackupEntrySpec>;

/**
 * The guard (whether an object is an extensions.gardener.cloud BackupEntry with the fields above,
 * of their types) and the reference that carries it, so that clients read checked objects.
 */
export const { is: isExtensionBackupEntry, resource: extensionBackupEntryResource } =
  extensionKind<ExtensionBackupEntry>(
    { kind: 'BackupEntry', plural: 'backupentries', namespaced: false },
    {
      spec: {
        ...PROVIDER_SPEC,
        bucketName: aString,
        backupBucketProviderStatus: optional(anObject),
      },
    },
  );

/** Name prefix of the entry the Restore creates for the source bucket (`source-<entry>`). */
export const SOURCE_BACKUP_ENTRY_PREFIX = 'source-';

/** True for the `source-…` entry a Restore creates for the source bucket. */
export function isSourceBackupEntry(entry: KubeObject): boolean {
  return (entry.metadata.name ?? '').startsWith(SOURCE_BACKUP_ENTRY_PREFIX);
}

/**
 * On a Restore's `source-…` entry (garden and extension object alike) after a live migration: no
 * copy was made, and the source's backups go once the destination's bucket holds a verified full
 * snapshot at this revision (decimal) or above — the destination's etcd revision when the entry
 * was created, after the source's members had left — and at or above every source backup's.
 */
export const LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION =
  'migration.transplant.gardener.cloud/live-migration-full-snapshot-revision';

/** The revision of `LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION`, or undefined (a classic source entry). */
export function liveMigrationFullSnapshotRevision(entry: KubeObject): number | undefined {
  const value = entry.metadata.annotations?.[LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
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
