/**
 * What the core.gardener.cloud kinds share: the group and version, the `LastOperation` and
 * `LastError` shapes, and readers that never throw on half-filled objects. Their strategies live
 * in the registry (src/registry/strategies.ts `gardenerStrategy`).
 */
import { isRecord, type KubeObject } from '../meta.js';

export const GARDENER_GROUP = 'core.gardener.cloud';
export const GARDENER_VERSION = 'v1beta1';
export const GARDENER_API_VERSION = `${GARDENER_GROUP}/${GARDENER_VERSION}`;

/** `gardener.cloud/operation`: one-off operations an operator requests by annotation. */
export const GARDENER_OPERATION_ANNOTATION = 'gardener.cloud/operation';

export type LastOperationType = 'Create' | 'Reconcile' | 'Delete' | 'Migrate' | 'Restore' | 'LiveMigrate';
export type LastOperationState = 'Processing' | 'Succeeded' | 'Error' | 'Failed' | 'Pending' | 'Aborted';

/** `status.lastOperation` of shoots, seeds, backup buckets and entries. */
export interface LastOperation {
  type: LastOperationType | string;
  state: LastOperationState | string;
  progress?: number;
  description?: string;
  lastUpdateTime?: string;
}

/** One entry of `status.lastErrors` (or `status.lastError`): keyed by the flow task that failed. */
export interface LastError {
  description: string;
  taskID?: string;
  codes?: string[];
  lastUpdateTime?: string;
}

/** `obj.spec` when it is an object, else undefined. */
export function specOf(obj: KubeObject): Record<string, unknown> | undefined {
  return isRecord(obj.spec) ? obj.spec : undefined;
}

/** `obj.status` when it is an object, else undefined. */
export function statusOf(obj: KubeObject): Record<string, unknown> | undefined {
  return isRecord(obj.status) ? obj.status : undefined;
}

/** The value at a dotted path of plain objects, or undefined. */
export function pathValue(obj: unknown, path: string): unknown {
  let current: unknown = obj;
  for (const segment of path.split('.')) {
    if (!isRecord(current)) return undefined;
    current = current[segment];
  }
  return current;
}

/** The string at a dotted path, or undefined when absent, null or not a string. */
export function pathString(obj: unknown, path: string): string | undefined {
  const value = pathValue(obj, path);
  return typeof value === 'string' ? value : undefined;
}

/** `status.lastOperation` when it has a type and a state. */
export function lastOperationOf(obj: KubeObject): LastOperation | undefined {
  const op = statusOf(obj)?.lastOperation;
  if (!isRecord(op) || typeof op.type !== 'string' || typeof op.state !== 'string') return undefined;
  return op as unknown as LastOperation;
}

/** `<type> <state> (<progress>%)` as Gardener's tables print a last operation, `<pending>` without one. */
export function formatLastOperation(obj: KubeObject): string {
  const op = lastOperationOf(obj);
  if (!op) return '<pending>';
  return `${op.type} ${op.state} (${typeof op.progress === 'number' ? op.progress : 0}%)`;
}
