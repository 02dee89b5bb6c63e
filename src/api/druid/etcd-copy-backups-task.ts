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
import { specOf, statusOf } from '../core-gardener/common.js';
import { conditionOf } from '../core-gardener/conditions.js';
import { FieldError } from '../errors.js';
import {
  optionalDuration,
  optionalInteger,
  optionalNonNegativeInteger,
  parseDuration,
  UINT32_MAX,
  validateConditions,
} from '../extensions/field-validation.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalObject, optionalString, semanticEqual, validateLabels } from '../validation.js';
import { DRUID_GROUP, DRUID_VERSION, type StoreSpec, storeSpecOf, validateStoreSpec } from './common.js';

export const etcdCopyBackupsTaskResource = resourceRef({
  group: DRUID_GROUP,
  version: DRUID_VERSION,
  kind: 'EtcdCopyBackupsTask',
  plural: 'etcdcopybackupstasks',
  namespaced: true,
});

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

// ---------------------------------------------------------------------------------------------
// Readers

/** The Succeeded condition is True. */
export function copyTaskSucceeded(task: KubeObject): boolean {
  return conditionOf(task, CopyTaskConditionType.Succeeded)?.status === 'True';
}

/** The Failed condition is True. */
export function copyTaskFailed(task: KubeObject): boolean {
  return conditionOf(task, CopyTaskConditionType.Failed)?.status === 'True';
}

/** Succeeded or Failed. */
export function copyTaskFinished(task: KubeObject): boolean {
  return copyTaskSucceeded(task) || copyTaskFailed(task);
}

/** `status.lastError`, undefined when unset. */
export function copyTaskLastError(task: KubeObject): string | undefined {
  const error = statusOf(task)?.lastError;
  return typeof error === 'string' && error !== '' ? error : undefined;
}

/** Why the task failed: the Failed condition's message, else `status.lastError`; undefined unless failed. */
export function copyTaskFailureMessage(task: KubeObject): string | undefined {
  if (!copyTaskFailed(task)) return undefined;
  return conditionOf(task, CopyTaskConditionType.Failed)?.message || copyTaskLastError(task) || 'copy task failed';
}

/** `spec.sourceStore` when well-formed. */
export function copyTaskSourceStore(task: KubeObject): StoreSpec | undefined {
  return storeSpecOf(specOf(task)?.sourceStore);
}

/** `spec.targetStore` when well-formed. */
export function copyTaskTargetStore(task: KubeObject): StoreSpec | undefined {
  return storeSpecOf(specOf(task)?.targetStore);
}

/**
 * `spec.waitForFinalSnapshot` as `{enabled, timeoutMs}`; `timeoutMs` is undefined when the task
 * waits forever (no timeout or `0`).
 */
export function copyTaskWaitForFinalSnapshot(task: KubeObject): { enabled: boolean; timeoutMs?: number } {
  const wait = specOf(task)?.waitForFinalSnapshot;
  if (!isRecord(wait) || wait.enabled !== true) return { enabled: false };
  const timeout = typeof wait.timeout === 'string' ? parseDuration(wait.timeout) : undefined;
  return timeout ? { enabled: true, timeoutMs: timeout } : { enabled: true };
}

/** The name of the worker that runs the copy (etcd-druid's Job `<task>-worker`). */
export function copyTaskWorkerName(task: KubeObject): string {
  return `${task.metadata.name ?? ''}-worker`;
}

/** A one-word state for tables: Succeeded, Failed or Processing. */
export function copyTaskPhase(task: KubeObject): 'Succeeded' | 'Failed' | 'Processing' {
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
