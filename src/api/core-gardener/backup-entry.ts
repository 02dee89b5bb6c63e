/**
 * BackupEntry (core.gardener.cloud/v1beta1, namespaced, in the shoot's project namespace): the
 * shoot's directory in a BackupBucket (`spec.bucketName`), named
 * `shoot--<project>--<shoot>--<uid>`. Moving a shoot moves its entry: the source gardenlet
 * migrates it when `spec.seedName` differs from `status.seedName`, the destination restores it.
 * The Restore also creates `source-<name>` pointing at the source bucket.
 */
import { FieldError } from '../errors.js';
import { aNumber, aString, nullable, optional, shape } from '../kind-guard.js';
import { isRecord, type KubeObject, statusOf } from '../meta.js';
import { validateObjectMetaName } from '../validation.js';
import { aLastError, aLastOperation, gardenerKind, type LastError, type LastOperation } from './common.js';

export interface BackupEntrySpec {
  /** The BackupBucket (named after its seed's UID) holding the shoot's backups. */
  bucketName: string;
  /** The seed whose gardenlet should reconcile the entry (the shoot's seed). */
  seedName?: string | null;
}

export interface BackupEntryStatus {
  /** The seed whose gardenlet reconciled the entry last; null once it migrated the entry away. */
  seedName?: string | null;
  lastOperation?: LastOperation;
  lastError?: LastError | null;
  observedGeneration?: number;
}

export interface BackupEntry extends KubeObject {
  spec: BackupEntrySpec;
  status?: BackupEntryStatus;
}

/**
 * The guard (whether an object is a core.gardener.cloud BackupEntry with the fields above, of
 * their types) and the reference that carries it, so that clients read checked objects.
 */
export const { is: isBackupEntry, resource: backupEntryResource } = gardenerKind<BackupEntry>(
  { kind: 'BackupEntry', plural: 'backupentries', namespaced: true },
  {
    spec: shape<BackupEntrySpec>({ bucketName: aString, seedName: optional(nullable(aString)) }),
    status: optional(
      shape<BackupEntryStatus>({
        seedName: optional(nullable(aString)),
        lastOperation: optional(aLastOperation),
        lastError: optional(nullable(aLastError)),
        observedGeneration: optional(aNumber),
      }),
    ),
  },
);

/** Name prefix of the entry the Restore creates for the source bucket (`source-<entry>`). */
export const BACKUP_SOURCE_PREFIX = 'source';

/**
 * Transplant's: when the newest snapshot of the shoot's etcd was taken (RFC 3339), written by the
 * seed hosting the shoot (src/seed/gardenlet/backup-age-reporter.ts) for the garden's dashboard.
 */
export const LATEST_SNAPSHOT_ANNOTATION = 'backup.transplant.gardener.cloud/latest-snapshot';
// Its sibling, how far a move's copy and restore of the backups got, is restore-progress.ts's.

/** `spec.seedName`, undefined when unset, null or empty. */
export function backupEntrySpecSeedName(entry: BackupEntry): string | undefined {
  return entry.spec.seedName || undefined;
}

/** `status.seedName`, undefined when unset, null or empty. */
export function backupEntryStatusSeedName(entry: BackupEntry): string | undefined {
  return entry.status?.seedName || undefined;
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
  const seedName = statusOf(obj)?.seedName;
  if (seedName === undefined || seedName === null) return [];
  return validateObjectMetaName(seedName, 'label', 'status.seedName');
}
