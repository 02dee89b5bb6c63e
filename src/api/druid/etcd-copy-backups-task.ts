/**
 * EtcdCopyBackupsTask (druid.gardener.cloud/v1alpha1, namespaced): copy the backups under
 * `sourceStore` to `targetStore` (etcdbrctl copy semantics), optionally waiting for the final full
 * snapshot of the source. The Restore creates it named after the shoot in the control-plane
 * namespace and waits for the condition Succeeded (or Failed). Its spec is immutable: Gardener
 * deletes and recreates the task instead of changing it.
 *
 * The seed document's manual workaround marks it done through the status subresource with a JSON
 * merge patch that replaces `status.conditions` by a single `Succeeded=True` whose timestamps come
 * from `date -Iseconds` (`2026-11-23T19:40:00+00:00`): conditions accept any RFC 3339 timestamp.
 */
import { getCondition, someConditions } from '../core-gardener/conditions.js';
import { FieldError } from '../errors.js';
import {
  optionalDuration,
  optionalInteger,
  optionalNonNegativeInteger,
  parseDuration,
  UINT32_MAX,
  validateConditions,
} from '../extensions/field-validation.js';
import { aBoolean, aNumber, aString, aStringMap, nullable, optional, shape } from '../kind-guard.js';
import { type Condition, isRecord, type KubeObject } from '../meta.js';
import { optionalObject, optionalString, semanticEqual, validateLabels } from '../validation.js';
import { aStoreSpec, druidKind, type StoreSpec, validateStoreSpec } from './common.js';

/** Condition types of an EtcdCopyBackupsTask. */
export const CopyTaskConditionType = Object.freeze({ Succeeded: 'Succeeded', Failed: 'Failed' } as const);

/** `spec.waitForFinalSnapshot`. */
export interface WaitForFinalSnapshotSpec {
  enabled: boolean;
  /** A Go duration; absent or `0` waits forever. */
  timeout?: string;
}

/** The EtcdCopyBackupsTask spec. */
export interface EtcdCopyBackupsTaskSpec {
  podLabels?: Record<string, string>;
  sourceStore: StoreSpec;
  targetStore: StoreSpec;
  /** Only backups at most this many days old are copied. */
  maxBackupAge?: number;
  /** Only the most recent this many backups are copied. */
  maxBackups?: number;
  waitForFinalSnapshot?: WaitForFinalSnapshotSpec;
}

export interface EtcdCopyBackupsTaskStatus {
  /** Succeeded and Failed: the druid's verdict, or an operator's (the seed document's manual copy). */
  conditions?: Condition[];
  observedGeneration?: number;
  /** Why the last attempt failed (a retried copy reports here before it gives up). */
  lastError?: string | null;
}

export interface EtcdCopyBackupsTask extends KubeObject {
  spec: EtcdCopyBackupsTaskSpec;
  status?: EtcdCopyBackupsTaskStatus;
}

/**
 * The guard (whether an object is an EtcdCopyBackupsTask with the fields above, of their types)
 * and the reference that carries it, so that clients read checked objects.
 */
export const { is: isEtcdCopyBackupsTask, resource: etcdCopyBackupsTaskResource } = druidKind<EtcdCopyBackupsTask>(
  { kind: 'EtcdCopyBackupsTask', plural: 'etcdcopybackupstasks', namespaced: true },
  {
    spec: shape<EtcdCopyBackupsTaskSpec>({
      podLabels: optional(aStringMap),
      sourceStore: aStoreSpec,
      targetStore: aStoreSpec,
      maxBackupAge: optional(aNumber),
      maxBackups: optional(aNumber),
      waitForFinalSnapshot: optional(
        shape<WaitForFinalSnapshotSpec>({ enabled: aBoolean, timeout: optional(aString) }),
      ),
    }),
    status: optional(
      shape<EtcdCopyBackupsTaskStatus>({
        conditions: someConditions,
        observedGeneration: optional(aNumber),
        lastError: optional(nullable(aString)),
      }),
    ),
  },
);

// ---------------------------------------------------------------------------------------------
// Readers

function conditionTrue(task: EtcdCopyBackupsTask, type: string): boolean {
  return getCondition(task.status?.conditions ?? [], type)?.status === 'True';
}

/** The Succeeded condition is True. */
export function copyTaskSucceeded(task: EtcdCopyBackupsTask): boolean {
  return conditionTrue(task, CopyTaskConditionType.Succeeded);
}

/** The Failed condition is True. */
export function copyTaskFailed(task: EtcdCopyBackupsTask): boolean {
  return conditionTrue(task, CopyTaskConditionType.Failed);
}

/** Succeeded or Failed. */
export function copyTaskFinished(task: EtcdCopyBackupsTask): boolean {
  return copyTaskSucceeded(task) || copyTaskFailed(task);
}

/** Why the task failed: the Failed condition's message, else `status.lastError`; undefined unless failed. */
export function copyTaskFailureMessage(task: EtcdCopyBackupsTask): string | undefined {
  if (!copyTaskFailed(task)) return undefined;
  const failed = getCondition(task.status?.conditions ?? [], CopyTaskConditionType.Failed);
  return failed?.message || task.status?.lastError || 'copy task failed';
}

/**
 * `spec.waitForFinalSnapshot` as `{enabled, timeoutMs}`; `timeoutMs` is undefined when the task
 * waits forever (no timeout or `0`).
 */
export function copyTaskWaitForFinalSnapshot(task: EtcdCopyBackupsTask): { enabled: boolean; timeoutMs?: number } {
  const wait = task.spec.waitForFinalSnapshot;
  if (wait?.enabled !== true) return { enabled: false };
  const timeout = wait.timeout === undefined ? undefined : parseDuration(wait.timeout);
  return timeout ? { enabled: true, timeoutMs: timeout } : { enabled: true };
}

/** The name of the worker that runs the copy (etcd-druid's Job `<task>-worker`). */
export function copyTaskWorkerName(task: EtcdCopyBackupsTask): string {
  return `${task.metadata.name ?? ''}-worker`;
}

/** A one-word state for tables: Succeeded, Failed or Processing. */
export function copyTaskPhase(task: EtcdCopyBackupsTask): 'Succeeded' | 'Failed' | 'Processing' {
  if (copyTaskSucceeded(task)) return 'Succeeded';
  if (copyTaskFailed(task)) return 'Failed';
  return 'Processing';
}

// ---------------------------------------------------------------------------------------------
// Validation

/** Validates the spec: both stores, podLabels, the uint32 limits and waitForFinalSnapshot. */
export function validateCopyTaskSpec(spec: unknown): FieldError[] {
  if (!isRecord(spec)) return [FieldError.required('spec')];
  const errs = [
    ...validateLabels(spec.podLabels, 'spec.podLabels'),
    ...validateStoreSpec(spec.sourceStore, 'spec.sourceStore'),
    ...validateStoreSpec(spec.targetStore, 'spec.targetStore'),
    ...optionalInteger(spec.maxBackupAge, 'spec.maxBackupAge', 0, UINT32_MAX),
    ...optionalInteger(spec.maxBackups, 'spec.maxBackups', 0, UINT32_MAX),
    ...optionalObject(spec.waitForFinalSnapshot, 'spec.waitForFinalSnapshot'),
  ];
  const wait = spec.waitForFinalSnapshot;
  if (isRecord(wait)) {
    if (typeof wait.enabled !== 'boolean') {
      errs.push(
        wait.enabled === undefined || wait.enabled === null
          ? FieldError.required('spec.waitForFinalSnapshot.enabled')
          : FieldError.typeInvalid('spec.waitForFinalSnapshot.enabled', wait.enabled, 'must be a boolean'),
      );
    }
    errs.push(...optionalDuration(wait.timeout, 'spec.waitForFinalSnapshot.timeout', true));
  }
  return errs;
}

/** The spec may not change after create. */
export function validateCopyTaskSpecUpdate(task: KubeObject, old: KubeObject): FieldError[] {
  return semanticEqual(task.spec, old.spec) ? [] : [FieldError.immutable('spec', task.spec)];
}

/** Validates what the druid (or an operator's status patch) writes. */
export function validateCopyTaskStatus(task: KubeObject): FieldError[] {
  const status = task.status;
  if (status === undefined || status === null) return [];
  if (!isRecord(status)) return [FieldError.typeInvalid('status', status, 'must be an object')];
  return [
    ...validateConditions(status.conditions, 'status.conditions'),
    ...optionalNonNegativeInteger(status.observedGeneration, 'status.observedGeneration'),
    ...optionalString(status.lastError, 'status.lastError'),
  ];
}
