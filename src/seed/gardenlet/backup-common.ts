/**
 * What the gardenlet's BackupBucket and BackupEntry controllers share: their clients, the names
 * of the secrets they copy into the seed, the `gardener` finalizer on the garden objects, and
 * status reports (`lastOperation`, `lastError`, `observedGeneration`) written only when they
 * change, so that a controller watching its own objects does not wake itself up forever.
 */
import {
  GARDENER_OPERATION_ANNOTATION,
  type LastOperation,
  lastOperationOf,
  statusOf,
} from '../../api/core-gardener/common.js';
import { isRecord, type KubeObject, nowTimestamp } from '../../api/meta.js';
import type { Client, ResourceClient } from '../../client/client.js';

export interface BackupControllerDeps {
  seedName: string;
  /** The garden: the BackupBuckets and BackupEntries, and the credentials they name. */
  garden: Client;
  /** The seed API: the extension objects and the seed's copies of the credentials. */
  seed: Client;
  /** Called after the garden object's status may have changed (e.g. to report seed conditions at once). */
  onStatusChange?: () => void;
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
export function generatedBucketSecretName(bucket: string): string {
  return `generated-bucket-${bucket}`;
}

/** True when every field of `spec` already has that value in `obj.spec` (other fields may exist). */
export function specCovers(obj: KubeObject, spec: Record<string, unknown>): boolean {
  const current = isRecord(obj.spec) ? obj.spec : {};
  return Object.entries(spec).every(([k, v]) => JSON.stringify(current[k]) === JSON.stringify(v));
}

export type BackupOperationType = 'Create' | 'Reconcile' | 'Delete';

/** Create before the first success, Delete once marked for deletion, else Reconcile. */
export function operationTypeOf(obj: KubeObject): BackupOperationType {
  if (obj.metadata.deletionTimestamp) return 'Delete';
  const last = lastOperationOf(obj);
  return last && !(last.type === 'Create' && last.state !== 'Succeeded') ? 'Reconcile' : 'Create';
}

export interface BackupStatusReport {
  /** The operation reported; default from the object (`operationTypeOf`). */
  type?: BackupOperationType | 'Migrate' | 'Restore';
  state: 'Processing' | 'Succeeded' | 'Error' | 'Pending';
  description: string;
  /** Set with state Error: becomes `status.lastError`. */
  error?: string;
  /** Further status fields (seedName, generatedSecretRef, providerStatus). */
  fields?: Record<string, unknown>;
}

/** The `gardener.cloud/operation` annotation asking the gardenlet to act (e.g. `reconcile`). */
export function requestedOperation(obj: KubeObject): string | undefined {
  return obj.metadata.annotations?.[GARDENER_OPERATION_ANNOTATION] || undefined;
}

/** True when the garden object reports success for its current generation and no operation is pending. */
export function backupObjectReady(obj: KubeObject): boolean {
  const status = statusOf(obj);
  return (
    requestedOperation(obj) === undefined &&
    lastOperationOf(obj)?.state === 'Succeeded' &&
    status?.observedGeneration === obj.metadata.generation &&
    !isRecord(status?.lastError)
  );
}

/** Why the garden object is not ready, from its status; undefined when it is. */
export function backupObjectNotReadyReason(obj: KubeObject): string | undefined {
  if (backupObjectReady(obj)) return undefined;
  const status = statusOf(obj);
  const operation = requestedOperation(obj);
  if (operation) return `operation "${operation}" is not yet picked up by the gardenlet`;
  if (isRecord(status?.lastError) && typeof status.lastError.description === 'string') {
    return status.lastError.description;
  }
  const last = lastOperationOf(obj);
  return last ? `${last.type} ${last.state}: ${last.description ?? ''}`.trim() : 'not reconciled yet';
}

/**
 * Writes `status.lastOperation` (and lastError, observedGeneration, extra fields) when the state,
 * description, error or fields differ from what the object shows. Returns whether it wrote.
 */
export async function reportBackupStatus(
  client: ResourceClient,
  obj: KubeObject,
  report: BackupStatusReport,
): Promise<boolean> {
  const status = statusOf(obj) ?? {};
  const last = lastOperationOf(obj);
  const type = report.type ?? operationTypeOf(obj);
  const lastError = isRecord(status.lastError) ? status.lastError.description : undefined;
  const fieldsUnchanged = Object.entries(report.fields ?? {}).every(
    ([k, v]) => JSON.stringify(status[k] ?? null) === JSON.stringify(v ?? null),
  );
  if (
    last?.type === type &&
    last.state === report.state &&
    last.description === report.description &&
    lastError === report.error &&
    status.observedGeneration === obj.metadata.generation &&
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
export async function dropRequestedOperation(client: ResourceClient, obj: KubeObject): Promise<void> {
  if (!requestedOperation(obj)) return;
  await client.patch(obj.metadata.namespace ?? '', obj.metadata.name!, {
    metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: null } },
  });
}
