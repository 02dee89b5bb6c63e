/**
 * What the core.gardener.cloud kinds share: the group and version, the `LastOperation` and
 * `LastError` shapes with their checks, and the one definition of the last operation's closed
 * `type` and `state` (the extension kinds and the gardenlet's backup controllers use it too).
 * Their strategies live in the registry (src/registry/strategies.ts `gardenerStrategy`).
 */
import { aNumber, aString, type Check, conforms, listOf, oneOf, optional, shape } from '../kind-guard.js';
import { isRecord, type KubeObject } from '../meta.js';
import { type KindNames, typedKind } from '../resource-ref.js';

export const GARDENER_GROUP = 'core.gardener.cloud';
export const GARDENER_VERSION = 'v1beta1';
export const GARDENER_API_VERSION = `${GARDENER_GROUP}/${GARDENER_VERSION}`;

/** A core.gardener.cloud/v1beta1 kind's guard and reference (src/api/resource-ref.ts `typedKind`). */
export function gardenerKind<T extends KubeObject>(
  names: Omit<KindNames, 'group' | 'version'>,
  fields: Readonly<Record<string, Check>>,
) {
  return typedKind<T>({ group: GARDENER_GROUP, version: GARDENER_VERSION, ...names }, fields);
}

/** `gardener.cloud/operation`: one-off operations an operator requests by annotation. */
export const GARDENER_OPERATION_ANNOTATION = 'gardener.cloud/operation';

/**
 * `status.lastOperation.type` (Gardener's `LastOperationType`): the operation a controller ran
 * last. Closed: a stored value outside these is refused by the kinds' guards.
 */
export const LAST_OPERATION_TYPES = Object.freeze(['Create', 'Reconcile', 'Delete', 'Migrate', 'Restore'] as const);
export type LastOperationType = (typeof LAST_OPERATION_TYPES)[number];

/**
 * `status.lastOperation.state` (Gardener's `LastOperationState`). Error: failed and will be
 * retried; Failed: failed and will not be; Pending: cannot be done now, waits for something else;
 * Aborted: stopped before it finished (a Migrate given up).
 */
export const LAST_OPERATION_STATES = Object.freeze([
  'Processing',
  'Succeeded',
  'Error',
  'Failed',
  'Pending',
  'Aborted',
] as const);
export type LastOperationState = (typeof LAST_OPERATION_STATES)[number];

/** `status.lastOperation` of shoots, seeds, backup buckets and entries, and every extension kind. */
export interface LastOperation {
  type: LastOperationType;
  state: LastOperationState;
  /** Percent done, 0–100. */
  progress?: number;
  description?: string;
  lastUpdateTime?: string;
}

/** One entry of `status.lastErrors` (or `status.lastError`): keyed by the flow task that failed. */
export interface LastError {
  description: string;
  /** The flow step that failed (its name), so that the step's success clears the entry. */
  taskID?: string;
  codes?: string[];
  lastUpdateTime?: string;
}

export const aLastOperation: Check = shape<LastOperation>({
  type: oneOf(LAST_OPERATION_TYPES),
  state: oneOf(LAST_OPERATION_STATES),
  progress: optional(aNumber),
  description: optional(aString),
  lastUpdateTime: optional(aString),
});

export const aLastError: Check = shape<LastError>({
  description: aString,
  taskID: optional(aString),
  codes: optional(listOf(aString)),
  lastUpdateTime: optional(aString),
});

/**
 * `status.lastOperation` of an object no guard has checked (what a strategy sees of a request
 * before validation), when it is one Gardener defines; undefined otherwise. Typed objects read
 * `obj.status?.lastOperation` instead.
 */
export function lastOperationOf(obj: KubeObject): LastOperation | undefined {
  const op = isRecord(obj.status) ? obj.status.lastOperation : undefined;
  return conforms<LastOperation>(aLastOperation, op) ? op : undefined;
}

/**
 * `<type> <state> (<progress>%)` as Gardener's tables print a last operation, `<pending>` without
 * one. Prints what is stored: a table shows every object, also one whose values a guard refuses.
 */
export function formatLastOperation(obj: {
  status?: { lastOperation?: LastOperation | undefined } | undefined;
}): string {
  const op = obj.status?.lastOperation;
  if (!op) return '<pending>';
  return `${op.type} ${op.state} (${typeof op.progress === 'number' ? op.progress : 0}%)`;
}
