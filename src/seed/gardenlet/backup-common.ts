/**
 * What the gardenlet's BackupBucket and BackupEntry controllers share: their clients, the names
 * of the secrets they copy into the seed, the `gardener` finalizer on the garden objects, and
 * status reports (`lastOperation`, `lastError`, `observedGeneration`) written only when they
 * change, so that a controller watching its own objects does not wake itself up forever.
 */
import type { BackupBucket, BackupBucketStatus } from '../../api/core-gardener/backup-bucket.js';
import type { BackupEntry, BackupEntryStatus } from '../../api/core-gardener/backup-entry.js';
import {
  GARDENER_OPERATION_ANNOTATION,
  type LastOperation,
  type LastOperationState,
  type LastOperationType,
} from '../../api/core-gardener/common.js';
import type { ExtensionObject } from '../../api/extensions/common.js';
import { type KubeObject, nowTimestamp } from '../../api/meta.js';
import type { Client, ResourceClient } from '../../client/client.js';

export interface BackupControllerDeps {
  seedName: string;
  /** The garden: the BackupBuckets and BackupEntries, and the credentials they name. */
  garden: Client;
  /** The seed API: the extension objects and the seed's copies of the credentials. */
  seed: Client;
  /** Called after the garden object's status may have changed (e.g. to report seed conditions at once). */
  onStatusChange?: () => void;
  /**
   * How long a deleted shoot's BackupEntry keeps its backups before they are deleted (Gardener's
   * `deletionGracePeriodHours`); default 0.
   */
  backupEntryDeletionGracePeriodMs?: number;
}

/** The finalizer the gardenlet puts on garden BackupBuckets and BackupEntries (Gardener's). */
export const GARDENER_FINALIZER = 'gardener';

/** The seed namespace holding the backup credentials the gardenlet copies from the garden. */
export const SEED_GARDEN_NAMESPACE = 'garden';

/** The seed's copy of a bucket's credentials, referenced by the extension BackupBucket. */
export function bucketSecretName(bucket: string): string {
  return `bucket-${bucket}`;
}

/** The seed's copy of an entry's credentials, referenced by the extension BackupEntry. */
export function entrySecretName(entry: string): string {
  return `entry-${entry}`;
}

/** The garden's copy of the credentials a backup extension generated for a bucket. */
export { generatedBucketSecretName } from '../../api/core-gardener/backup-bucket.js';

/** True when every field of `spec` already has that value in the extension object's spec (other fields may exist). */
export function specCovers(obj: ExtensionObject, spec: Record<string, unknown>): boolean {
  const current: Record<string, unknown> = { ...obj.spec };
  return Object.entries(spec).every(([k, v]) => JSON.stringify(current[k]) === JSON.stringify(v));
}

/** A garden BackupBucket or BackupEntry: what the gardenlet reports on the same way. */
export type BackupObject = BackupBucket | BackupEntry;

/** Create before the first success, Delete once marked for deletion, else Reconcile. */
export function operationTypeOf(obj: BackupObject): Extract<LastOperationType, 'Create' | 'Reconcile' | 'Delete'> {
  if (obj.metadata.deletionTimestamp) return 'Delete';
  const last = obj.status?.lastOperation;
  return last && !(last.type === 'Create' && last.state !== 'Succeeded') ? 'Reconcile' : 'Create';
}

export interface BackupStatusReport {
  /** The operation reported; default from the object (`operationTypeOf`). */
  type?: LastOperationType;
  state: LastOperationState;
  description: string;
  /** Set with state Error: becomes `status.lastError`. */
  error?: string;
  /** Further status fields of a bucket (generatedSecretRef, providerStatus) or an entry (seedName). */
  fields?: Pick<BackupBucketStatus, 'generatedSecretRef' | 'providerStatus'> & Pick<BackupEntryStatus, 'seedName'>;
}

/** The `gardener.cloud/operation` annotation asking the gardenlet to act (e.g. `reconcile`). */
export function requestedOperation(obj: KubeObject): string | undefined {
  return obj.metadata.annotations?.[GARDENER_OPERATION_ANNOTATION] || undefined;
}

/** True when the garden object reports success for its current generation and no operation is pending. */
export function backupObjectReady(obj: BackupObject): boolean {
  const status = obj.status;
  return (
    requestedOperation(obj) === undefined &&
    status?.lastOperation?.state === 'Succeeded' &&
    status.observedGeneration === obj.metadata.generation &&
    !status.lastError
  );
}

/** Why the garden object is not ready, from its status; undefined when it is. */
export function backupObjectNotReadyReason(obj: BackupObject): string | undefined {
  if (backupObjectReady(obj)) return undefined;
  const operation = requestedOperation(obj);
  if (operation) return `operation "${operation}" is not yet picked up by the gardenlet`;
  if (obj.status?.lastError) return obj.status.lastError.description;
  const last = obj.status?.lastOperation;
  return last ? `${last.type} ${last.state}: ${last.description ?? ''}`.trim() : 'not reconciled yet';
}

/**
 * Writes `status.lastOperation` (and lastError, observedGeneration, extra fields) when the state,
 * description, error or fields differ from what the object shows. Returns whether it wrote.
 */
export async function reportBackupStatus<T extends BackupObject>(
  client: ResourceClient<T>,
  obj: T,
  report: BackupStatusReport,
): Promise<boolean> {
  const status: Record<string, unknown> = { ...obj.status };
  const last = obj.status?.lastOperation;
  const type = report.type ?? operationTypeOf(obj);
  const fieldsUnchanged = Object.entries(report.fields ?? {}).every(
    ([k, v]) => JSON.stringify(status[k] ?? null) === JSON.stringify(v ?? null),
  );
  if (
    last?.type === type &&
    last.state === report.state &&
    last.description === report.description &&
    obj.status?.lastError?.description === report.error &&
    obj.status?.observedGeneration === obj.metadata.generation &&
    fieldsUnchanged
  ) {
    return false;
  }
  const now = nowTimestamp();
  const lastOperation: LastOperation = {
    type,
    state: report.state,
    progress: report.state === 'Succeeded' ? 100 : report.state === 'Processing' ? 50 : 0,
    description: report.description,
    lastUpdateTime: now,
  };
  await client.patch(
    obj.metadata.namespace ?? '',
    obj.metadata.name!,
    {
      status: {
        ...report.fields,
        lastOperation,
        lastError: report.error ? { description: report.error, lastUpdateTime: now } : null,
        observedGeneration: obj.metadata.generation,
      },
    },
    { subresource: 'status' },
  );
  return true;
}

/**
 * Drops a requested operation once the gardenlet has taken it on. Callers first report the work
 * as Processing, so that the object never looks ready in between.
 */
export async function dropRequestedOperation<T extends KubeObject>(client: ResourceClient<T>, obj: T): Promise<void> {
  if (!requestedOperation(obj)) return;
  await client.patch(obj.metadata.namespace ?? '', obj.metadata.name!, {
    metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: null } },
  });
}
