/**
 * BackupBucket (extensions.gardener.cloud/v1alpha1, cluster-scoped): the seed-side twin of the
 * garden's BackupBucket, named after it (the seed's UID); the backup extension creates the bucket
 * in object storage and may publish the credentials it generated in `status.generatedSecretRef`.
 */
import { nullable, optional } from '../kind-guard.js';
import {
  aSecretReference,
  type ExtensionObject,
  type ExtensionStatus,
  type ExtensionValidation,
  extensionKind,
  PROVIDER_SPEC,
  type ProviderSpec,
  type SecretReference,
} from './common.js';
import { requiredString, validateSecretReference } from './field-validation.js';

export interface ExtensionBackupBucketSpec extends ProviderSpec {}

export interface ExtensionBackupBucketStatus extends ExtensionStatus {
  /** Credentials the extension generated for the bucket (the gardenlet copies them into the garden). */
  generatedSecretRef?: SecretReference | null;
}

export type ExtensionBackupBucket = ExtensionObject<ExtensionBackupBucketSpec, ExtensionBackupBucketStatus>;

/**
 * The guard (whether an object is an extensions.gardener.cloud BackupBucket with the fields above,
 * of their types) and the reference that carries it, so that clients read checked objects.
 */
export const { is: isExtensionBackupBucket, resource: extensionBackupBucketResource } =
  extensionKind<ExtensionBackupBucket>(
    { kind: 'BackupBucket', plural: 'backupbuckets', namespaced: false },
    {
      spec: PROVIDER_SPEC,
      status: { generatedSecretRef: optional(nullable(aSecretReference)) },
    },
  );

/** What BackupBucket adds to the validation of every extension kind. */
export const extensionBackupBucketValidation: ExtensionValidation = {
  validateSpec: (spec) => [
    ...requiredString(spec.region, 'spec.region'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
  ],
  immutable: ['region'],
  validateStatus: (status) => validateSecretReference(status.generatedSecretRef, 'status.generatedSecretRef', false),
};
