/**
 * BackupEntry (core.gardener.cloud/v1beta1, namespaced, in the shoot's project namespace): the
 * shoot's directory in a BackupBucket (`spec.bucketName`), named
 * `shoot--<project>--<shoot>--<uid>`. Moving a shoot moves its entry: the source gardenlet
 * migrates it when `spec.seedName` differs from `status.seedName`, the destination restores it.
 * The Restore also creates `source-<name>` pointing at the source bucket.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { validateObjectMetaName } from '../validation.js';
import { GARDENER_GROUP, GARDENER_VERSION, pathString } from './common.js';

export const backupEntryResource = resourceRef({
  group: GARDENER_GROUP,
  version: GARDENER_VERSION,
  kind: 'BackupEntry',
  plural: 'backupentries',
  namespaced: true,
});

/** Name prefix of the entry the Restore creates for the source bucket (`source-<entry>`). */
export const BACKUP_SOURCE_PREFIX = 'source';

/** `spec.bucketName`. */
export function backupEntryBucketName(entry: KubeObject): string | undefined {
  return pathString(entry, 'spec.bucketName') || undefined;
}

/** `spec.seedName`, undefined when unset or null. */
export function backupEntrySpecSeedName(entry: KubeObject): string | undefined {
  return pathString(entry, 'spec.seedName') || undefined;
}

/** `status.seedName`, undefined when unset or null. */
export function backupEntryStatusSeedName(entry: KubeObject): string | undefined {
  return pathString(entry, 'status.seedName') || undefined;
}

/** Validates the spec fields Transplant models; unknown fields are left alone. */
export function validateBackupEntrySpec(spec: unknown): FieldError[] {
  if (!isRecord(spec)) return [FieldError.required('spec')];
  const errs: FieldError[] = [];
  if (typeof spec.bucketName !== 'string' || spec.bucketName === '') {
    errs.push(FieldError.required('spec.bucketName', 'must specify a bucket name'));
  }
  if (spec.seedName !== undefined && spec.seedName !== null) {
    errs.push(...validateObjectMetaName(spec.seedName, 'label', 'spec.seedName'));
  }
  return errs;
}

/** Validates what status writers send. */
export function validateBackupEntryStatus(obj: KubeObject): FieldError[] {
  const seedName = isRecord(obj.status) ? obj.status.seedName : undefined;
  if (seedName === undefined || seedName === null) return [];
  return validateObjectMetaName(seedName, 'label', 'status.seedName');
}
