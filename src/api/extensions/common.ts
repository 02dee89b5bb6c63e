/**
 * What the extensions.gardener.cloud/v1alpha1 kinds share (Gardener's `DefaultSpec` and
 * `DefaultStatus`): the group and version, the `gardener.cloud/operation` values the gardenlet
 * sets (reconcile, migrate, restore, wait-for-state), readers that never throw on half-filled
 * objects, and the spec and status validation every kind runs. A kind describes what it adds in
 * an `ExtensionValidation`; its strategy, status subresource and columns are built from that in
 * the registry (src/registry/extensions/common.ts).
 */
import {
  GARDENER_OPERATION_ANNOTATION,
  type LastError,
  type LastOperation,
  lastOperationOf,
  pathString,
  pathValue,
  specOf,
  statusOf,
} from '../core-gardener/common.js';
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { immutableOnceSet, optionalObject, semanticEqual } from '../validation.js';
import {
  optionalEnum,
  optionalNonNegativeInteger,
  requiredString,
  validateConditions,
  validateLastError,
  validateLastOperation,
  validateNamedResourceReferences,
} from './field-validation.js';

export { GARDENER_OPERATION_ANNOTATION } from '../core-gardener/common.js';

export const EXTENSIONS_GROUP = 'extensions.gardener.cloud';
export const EXTENSIONS_VERSION = 'v1alpha1';
export const EXTENSIONS_API_VERSION = `${EXTENSIONS_GROUP}/${EXTENSIONS_VERSION}`;

/** Values of `gardener.cloud/operation` on extension resources (v1beta1constants.GardenerOperation*). */
export const ExtensionOperation = Object.freeze({
  Reconcile: 'reconcile',
  Migrate: 'migrate',
  Restore: 'restore',
  WaitForState: 'wait-for-state',
} as const);
export type ExtensionOperation = (typeof ExtensionOperation)[keyof typeof ExtensionOperation];

export const OPERATION_RECONCILE = ExtensionOperation.Reconcile;
export const OPERATION_MIGRATE = ExtensionOperation.Migrate;
export const OPERATION_RESTORE = ExtensionOperation.Restore;
export const OPERATION_WAIT_FOR_STATE = ExtensionOperation.WaitForState;

/** Every `gardener.cloud/operation` value an extension controller understands. */
export const EXTENSION_OPERATIONS: readonly ExtensionOperation[] = Object.freeze(Object.values(ExtensionOperation));

/** `spec.class` values (Gardener's ExtensionClass); absent means `shoot`. */
export const EXTENSION_CLASSES = ['garden', 'seed', 'shoot'] as const;

/** A `corev1.SecretReference`. */
export interface SecretReference {
  name: string;
  namespace?: string;
}

/** A `NamedResourceReference` of `status.resources`. */
export interface NamedResourceReference {
  name: string;
  resourceRef: { apiVersion?: string; kind: string; name: string };
}

// ---------------------------------------------------------------------------------------------
// Readers

/** The `gardener.cloud/operation` annotation, undefined when absent or empty. */
export function extensionOperation(obj: KubeObject): string | undefined {
  return obj.metadata.annotations?.[GARDENER_OPERATION_ANNOTATION] || undefined;
}

/** True when `value` is one of the four operations extension controllers act on. */
export function isExtensionOperation(value: unknown): value is ExtensionOperation {
  return typeof value === 'string' && (EXTENSION_OPERATIONS as readonly string[]).includes(value);
}

/** `spec.type`. */
export function extensionType(obj: KubeObject): string | undefined {
  return pathString(obj, 'spec.type') || undefined;
}

/** `spec.region` (every kind but Cluster and, optionally, DNSRecord has one). */
export function extensionRegion(obj: KubeObject): string | undefined {
  return pathString(obj, 'spec.region') || undefined;
}

/** `spec.secretRef` when it names a secret. */
export function extensionSecretRef(obj: KubeObject): SecretReference | undefined {
  const ref = specOf(obj)?.secretRef;
  if (!isRecord(ref) || typeof ref.name !== 'string' || ref.name === '') return undefined;
  return typeof ref.namespace === 'string' && ref.namespace !== ''
    ? { name: ref.name, namespace: ref.namespace }
    : { name: ref.name };
}

/** `spec.providerConfig`, when an object. */
export function extensionProviderConfig(obj: KubeObject): Record<string, unknown> | undefined {
  const config = specOf(obj)?.providerConfig;
  return isRecord(config) ? config : undefined;
}

/** `status.lastOperation` when it has a type and a state. */
export function extensionLastOperation(obj: KubeObject): LastOperation | undefined {
  return lastOperationOf(obj);
}

/** `status.lastOperation.state` (Processing, Succeeded, Error, Failed, …), undefined without one. */
export function extensionLastOperationState(obj: KubeObject): string | undefined {
  return lastOperationOf(obj)?.state;
}

/** `status.lastOperation.type` (Create, Reconcile, Delete, Migrate, Restore), undefined without one. */
export function extensionLastOperationType(obj: KubeObject): string | undefined {
  return lastOperationOf(obj)?.type;
}

/** `status.lastError` when it has a description. */
export function extensionLastError(obj: KubeObject): LastError | undefined {
  const error = statusOf(obj)?.lastError;
  return isRecord(error) && typeof error.description === 'string' ? (error as unknown as LastError) : undefined;
}

/** `status.observedGeneration`, undefined when unset. */
export function extensionObservedGeneration(obj: KubeObject): number | undefined {
  const generation = statusOf(obj)?.observedGeneration;
  return typeof generation === 'number' ? generation : undefined;
}

/** `status.state`: what the controller saved for a migration (free-form), undefined when unset. */
export function extensionState(obj: KubeObject): Record<string, unknown> | undefined {
  const state = statusOf(obj)?.state;
  return isRecord(state) ? state : undefined;
}

/** `status.resources`, skipping malformed entries. */
export function extensionStatusResources(obj: KubeObject): NamedResourceReference[] {
  const list = statusOf(obj)?.resources;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (r): r is NamedResourceReference =>
      isRecord(r) && typeof r.name === 'string' && isRecord(r.resourceRef) && typeof r.resourceRef.name === 'string',
  );
}

/**
 * Why the object is not ready yet, undefined when it is (Gardener's `CheckExtensionObject`): a
 * last error, an outdated observed generation, a pending operation annotation, no last operation,
 * or a last operation that has not succeeded.
 */
export function extensionNotReadyReason(obj: KubeObject): string | undefined {
  const lastError = extensionLastError(obj);
  if (lastError) return `error during reconciliation: ${lastError.description}`;
  const generation = typeof obj.metadata.generation === 'number' ? obj.metadata.generation : 1;
  const observed = extensionObservedGeneration(obj);
  if (observed !== generation) return `observed generation outdated (${observed ?? 0}/${generation})`;
  const operation = extensionOperation(obj);
  if (operation) return `gardener operation "${operation}" is not yet picked up by controller`;
  const op = lastOperationOf(obj);
  if (!op) return 'extension did not record a last operation yet';
  if (op.state !== 'Succeeded') return `extension state is not succeeded but ${op.state}`;
  return undefined;
}

/** True when the controller has reconciled the current generation successfully. */
export function isExtensionReady(obj: KubeObject): boolean {
  return extensionNotReadyReason(obj) === undefined;
}

/** True when the last operation is a succeeded Migrate (Gardener's `IsMigrated`). */
export function isExtensionMigrated(obj: KubeObject): boolean {
  const op = lastOperationOf(obj);
  return op?.type === 'Migrate' && op.state === 'Succeeded';
}

// ---------------------------------------------------------------------------------------------
// Validation

/** `spec` present, `spec.type` set, `spec.class` known, `spec.providerConfig` an object. */
export function validateDefaultSpec(spec: unknown): FieldError[] {
  if (!isRecord(spec)) return [FieldError.required('spec')];
  return [
    ...requiredString(spec.type, 'spec.type'),
    ...optionalEnum(spec.class, 'spec.class', EXTENSION_CLASSES),
    ...optionalObject(spec.providerConfig, 'spec.providerConfig'),
  ];
}

/**
 * The `DefaultStatus` fields: observedGeneration, lastOperation, lastError, conditions, resources,
 * providerStatus and the free-form `state` (any object).
 */
export function validateDefaultStatus(obj: KubeObject): FieldError[] {
  const status = obj.status;
  if (status === undefined || status === null) return [];
  if (!isRecord(status)) return [FieldError.typeInvalid('status', status, 'must be an object')];
  return [
    ...optionalNonNegativeInteger(status.observedGeneration, 'status.observedGeneration'),
    ...validateLastOperation(status.lastOperation, 'status.lastOperation'),
    ...validateLastError(status.lastError, 'status.lastError'),
    ...validateConditions(status.conditions, 'status.conditions'),
    ...validateNamedResourceReferences(status.resources, 'status.resources'),
    ...optionalObject(status.providerStatus, 'status.providerStatus'),
    ...optionalObject(status.state, 'status.state'),
  ];
}

/**
 * Spec checks of an update: once the object is being deleted its spec may not change at all;
 * otherwise the listed dotted paths (relative to the object, e.g. `spec.type`) are immutable.
 */
export function validateSpecUpdate(obj: KubeObject, old: KubeObject, immutablePaths: readonly string[]): FieldError[] {
  if (obj.metadata.deletionTimestamp && !semanticEqual(obj.spec, old.spec)) {
    return [FieldError.forbidden('spec', 'cannot update the spec if the deletion timestamp is set')];
  }
  return immutablePaths.flatMap((path) => immutableOnceSet(pathValue(obj, path), pathValue(old, path), path));
}

/** What one extension kind adds to the validation every extension kind runs. */
export interface ExtensionValidation {
  /** Kind-specific spec checks, run after `validateDefaultSpec` (only when the spec is an object). */
  validateSpec?(spec: Record<string, unknown>): FieldError[];
  /** Paths that may not change once set; `spec.type` and `spec.class` always are. */
  immutable?: readonly string[];
  /** Kind-specific status checks, run after `validateDefaultStatus`. */
  validateStatus?(status: Record<string, unknown>): FieldError[];
}

/** The full spec validation of an extension kind on create. */
export function validateExtension(kind: ExtensionValidation, obj: KubeObject): FieldError[] {
  const errs = validateDefaultSpec(obj.spec);
  if (isRecord(obj.spec) && kind.validateSpec) errs.push(...kind.validateSpec(obj.spec));
  return errs;
}

/** On update: the immutable paths (`spec.type`, `spec.class` and the kind's own), then `validateExtension`. */
export function validateExtensionUpdate(kind: ExtensionValidation, obj: KubeObject, old: KubeObject): FieldError[] {
  const immutable = ['spec.type', 'spec.class', ...(kind.immutable ?? [])];
  return [...validateSpecUpdate(obj, old, immutable), ...validateExtension(kind, obj)];
}

/** What status writers send: `validateDefaultStatus`, then the kind's own status checks. */
export function validateExtensionStatus(kind: ExtensionValidation, obj: KubeObject): FieldError[] {
  const errs = validateDefaultStatus(obj);
  if (isRecord(obj.status) && kind.validateStatus) errs.push(...kind.validateStatus(obj.status));
  return errs;
}
