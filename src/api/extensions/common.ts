/**
 * What the extensions.gardener.cloud/v1alpha1 kinds share (Gardener's `DefaultSpec` and
 * `DefaultStatus`): the group and version, the `gardener.cloud/operation` values the gardenlet
 * sets (reconcile, migrate, restore, wait-for-state), the `ExtensionObject` every kind's interface
 * extends and the guard and reference built on it (`extensionKind`), readers of its status, and
 * the spec and status validation every kind runs. A kind describes what it adds in an
 * `ExtensionValidation`; its strategy, status subresource and columns are built from that in the
 * registry (src/registry/extensions/common.ts).
 */
import {
  aLastError,
  aLastOperation,
  GARDENER_OPERATION_ANNOTATION,
  type LastError,
  type LastOperation,
} from '../core-gardener/common.js';
import { someConditions } from '../core-gardener/conditions.js';
import { FieldError } from '../errors.js';
import { aNumber, anObject, aString, type Check, listOf, nullable, oneOf, optional, shape } from '../kind-guard.js';
import { type Condition, isRecord, type KubeObject, specOf } from '../meta.js';
import { type KindNames, typedKind } from '../resource-ref.js';
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
  /** The object's own namespace (or `garden` for cluster-scoped kinds) when unset. */
  namespace?: string;
}

export const aSecretReference: Check = shape<SecretReference>({ name: aString, namespace: optional(aString) });

/** A `NamedResourceReference` of `status.resources`. */
export interface NamedResourceReference {
  name: string;
  resourceRef: { apiVersion?: string; kind: string; name: string };
}

/**
 * Gardener's `DefaultSpec`, and the `region` and `secretRef` that every kind Transplant serves
 * has (DNSRecord's region is optional; the other kinds' interfaces make both required).
 */
export interface ExtensionSpec {
  /** The provider type: which extension controller acts (`local`, `s3`). */
  type: string;
  /** garden, seed or shoot (the default): which gardenlet's extension controllers act. */
  class?: (typeof EXTENSION_CLASSES)[number];
  /** The provider's own configuration, free-form. */
  providerConfig?: Record<string, unknown>;
  region?: string;
  /** The provider credentials. */
  secretRef?: SecretReference;
}

/**
 * The spec of a kind that stands for something at a provider in a region (every kind Transplant
 * serves but DNSRecord): the region and the provider credentials are required.
 */
export interface ProviderSpec extends ExtensionSpec {
  region: string;
  secretRef: SecretReference;
}

/** The checks of `ProviderSpec`'s required fields, for a kind's `extensionKind` call. */
export const PROVIDER_SPEC: { readonly [K in 'region' | 'secretRef']: Check } = {
  region: aString,
  secretRef: aSecretReference,
};

/** Gardener's `DefaultStatus`. */
export interface ExtensionStatus {
  /** The generation the controller acted on last. */
  observedGeneration?: number;
  lastOperation?: LastOperation;
  lastError?: LastError | null;
  conditions?: Condition[];
  resources?: NamedResourceReference[];
  /** What the provider reports about what it made, free-form. */
  providerStatus?: Record<string, unknown> | null;
  /**
   * What the controller saved for a migration, free-form: the destination's controller gets it
   * back (through the ShootState) to take over without rebuilding.
   */
  state?: Record<string, unknown> | null;
}

/** Any extension resource: the fields every kind has (each kind's interface adds its own). */
export interface ExtensionObject<
  Spec extends ExtensionSpec = ExtensionSpec,
  Status extends ExtensionStatus = ExtensionStatus,
> extends KubeObject {
  spec: Spec;
  status?: Status;
}

const DEFAULT_SPEC: { readonly [K in keyof ExtensionSpec]-?: Check } = {
  type: aString,
  class: optional(oneOf(EXTENSION_CLASSES)),
  providerConfig: optional(anObject),
  region: optional(aString),
  secretRef: optional(aSecretReference),
};

const DEFAULT_STATUS: { readonly [K in keyof ExtensionStatus]-?: Check } = {
  observedGeneration: optional(aNumber),
  lastOperation: optional(aLastOperation),
  lastError: optional(nullable(aLastError)),
  conditions: someConditions,
  resources: optional(
    listOf(
      shape<NamedResourceReference>({
        name: aString,
        resourceRef: shape({ apiVersion: optional(aString), kind: aString, name: aString }),
      }),
    ),
  ),
  providerStatus: optional(nullable(anObject)),
  state: optional(nullable(anObject)),
};

/**
 * An extension kind's guard and reference (src/api/resource-ref.ts `typedKind`): the guard checks
 * `DefaultSpec` and `DefaultStatus` as above, and the fields the kind adds or makes stricter
 * (`spec.region: aString` where the kind requires a region).
 */
export function extensionKind<T extends ExtensionObject>(
  names: Omit<KindNames, 'group' | 'version'>,
  fields: {
    spec?: { readonly [K in keyof T['spec']]?: Check };
    status?: { readonly [K in keyof NonNullable<T['status']>]?: Check };
  } = {},
) {
  return typedKind<T>(
    { group: EXTENSIONS_GROUP, version: EXTENSIONS_VERSION, ...names },
    {
      spec: shape({ ...DEFAULT_SPEC, ...fields.spec }),
      status: optional(shape({ ...DEFAULT_STATUS, ...fields.status })),
    },
  );
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

/**
 * Why the object is not ready yet, undefined when it is (Gardener's `CheckExtensionObject`): a
 * last error, an outdated observed generation, a pending operation annotation, no last operation,
 * or a last operation that has not succeeded.
 */
export function extensionNotReadyReason(obj: ExtensionObject): string | undefined {
  const status = obj.status;
  if (status?.lastError) return `error during reconciliation: ${status.lastError.description}`;
  const generation = obj.metadata.generation ?? 1;
  const observed = status?.observedGeneration;
  if (observed !== generation) return `observed generation outdated (${observed ?? 0}/${generation})`;
  const operation = extensionOperation(obj);
  if (operation) return `gardener operation "${operation}" is not yet picked up by controller`;
  const op = status?.lastOperation;
  if (!op) return 'extension did not record a last operation yet';
  if (op.state !== 'Succeeded') return `extension state is not succeeded but ${op.state}`;
  return undefined;
}

/** True when the controller has reconciled the current generation successfully. */
export function isExtensionReady(obj: ExtensionObject): boolean {
  return extensionNotReadyReason(obj) === undefined;
}

/** True when the last operation is a succeeded Migrate (Gardener's `IsMigrated`). */
export function isExtensionMigrated(obj: ExtensionObject): boolean {
  const op = obj.status?.lastOperation;
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
 * otherwise the listed fields of the spec (e.g. `type`) are immutable.
 */
export function validateSpecUpdate(obj: KubeObject, old: KubeObject, immutableFields: readonly string[]): FieldError[] {
  if (obj.metadata.deletionTimestamp && !semanticEqual(obj.spec, old.spec)) {
    return [FieldError.forbidden('spec', 'cannot update the spec if the deletion timestamp is set')];
  }
  const spec = specOf(obj);
  const oldSpec = specOf(old);
  return immutableFields.flatMap((field) => immutableOnceSet(spec?.[field], oldSpec?.[field], `spec.${field}`));
}

/** What one extension kind adds to the validation every extension kind runs. */
export interface ExtensionValidation {
  /** Kind-specific spec checks, run after `validateDefaultSpec` (only when the spec is an object). */
  validateSpec?(spec: Record<string, unknown>): FieldError[];
  /** Spec fields that may not change once set; `type` and `class` always are. */
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
  const immutable = ['type', 'class', ...(kind.immutable ?? [])];
  return [...validateSpecUpdate(obj, old, immutable), ...validateExtension(kind, obj)];
}

/** What status writers send: `validateDefaultStatus`, then the kind's own status checks. */
export function validateExtensionStatus(kind: ExtensionValidation, obj: KubeObject): FieldError[] {
  const errs = validateDefaultStatus(obj);
  if (isRecord(obj.status) && kind.validateStatus) errs.push(...kind.validateStatus(obj.status));
  return errs;
}
