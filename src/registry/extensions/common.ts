/**
 * What the extension kinds' definitions share: the strategy and `status` subresource built from
 * a kind's `ExtensionValidation` (src/api/extensions/common.ts), and Gardener's printer columns
 * TYPE, REGION and STATUS/STATE.
 *
 * Strategy: the main resource keeps the stored status and bumps `metadata.generation` on spec
 * changes (the shared `gardenerStrategy`); setting `gardener.cloud/operation: reconcile` bumps it
 * too. Unlike on a Shoot, the annotation stays: as on Gardener's extension CRDs it is the
 * extension controller that removes it once it has picked the operation up (and `migrate`,
 * `restore` and `wait-for-state` never bump the generation).
 */
import {
  type ExtensionObject,
  type ExtensionValidation,
  extensionOperation,
  OPERATION_RECONCILE,
  validateExtension,
  validateExtensionStatus,
  validateExtensionUpdate,
} from '../../api/extensions/common.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceRef } from '../../api/resource-ref.js';
import type { ResourceDefinition, Strategy, SubresourceDefinition, TableColumn } from '../../apiserver/types.js';
import { kindColumns, kindFields } from '../columns.js';
import { extensionStatusFieldTypes } from '../field-types.js';
import { extensionSchemas, type SchemaFacts } from '../gardener-schema/index.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';

/** True when `gardener.cloud/operation: reconcile` was set by this update. */
export function reconcileRequested(obj: KubeObject, old: KubeObject): boolean {
  return extensionOperation(obj) === OPERATION_RECONCILE && extensionOperation(old) !== OPERATION_RECONCILE;
}

/**
 * The main-resource strategy of an extension kind (`gardenerStrategy`): create clears status and
 * sets generation 1; update keeps the status, checks immutable fields, and bumps the generation on
 * spec changes and when `gardener.cloud/operation: reconcile` is newly set.
 */
function extensionStrategy(kind: ExtensionValidation): Strategy {
  return gardenerStrategy({
    validate: (obj) => validateExtension(kind, obj),
    validateUpdate: (obj, old) => validateExtensionUpdate(kind, obj, old),
    mustIncreaseGeneration: reconcileRequested,
  });
}

/** The `status` subresource of an extension kind: the stored spec stays, the status is validated. */
function extensionStatusSubresource(kind: ExtensionValidation = {}): SubresourceDefinition {
  return statusSubresource(undefined, (obj) => validateExtensionStatus(kind, obj));
}

/** What tells one extension kind's definition from another's besides its reference and validation. */
export interface ExtensionKindTable<T extends ExtensionObject>
  extends Pick<ResourceDefinition, 'listKind' | 'singular' | 'shortNames'> {
  columns: TableColumn<T>[];
  /** Field selectors besides `spec.type`, which every extension kind has. */
  selectableFields?: Record<string, (obj: T) => string | undefined>;
}

/**
 * The definition of an extension kind with a status (every one but Cluster): `extensionStrategy`,
 * its `status` subresource, the `spec.type` field selector and those `table` adds; the columns
 * and selectors read the stored objects as `T` (src/registry/columns.ts `kindColumns`).
 */
export function extensionKindDefinition<T extends ExtensionObject>(
  ref: ResourceRef<T>,
  validation: ExtensionValidation,
  table: ExtensionKindTable<NoInfer<T>>,
): ResourceDefinition {
  const { columns, selectableFields, ...names } = table;
  return {
    ...ref,
    ...extensionSchemaOf(ref.kind),
    ...names,
    strategy: extensionStrategy(validation),
    subresources: [extensionStatusSubresource(validation)],
    hasStatus: true,
    fieldTypes: extensionStatusFieldTypes,
    columns: kindColumns(ref, columns),
    selectableFields: kindFields(ref, { ...extensionSelectableFields, ...selectableFields }),
  };
}

// ---------------------------------------------------------------------------------------------
// Table columns (Gardener's printer columns; an unset field prints <none>)

/** TYPE: `spec.type`. */
export const typeColumn: TableColumn<ExtensionObject> = {
  name: 'TYPE',
  type: 'string',
  description: 'The type of the provider for this resource.',
  cell: (obj) => obj.spec.type || null,
};

/** REGION: `spec.region`. */
export const regionColumn: TableColumn<ExtensionObject> = {
  name: 'REGION',
  type: 'string',
  description: 'The region of this resource.',
  cell: (obj) => obj.spec.region || null,
};

/** A column showing `status.lastOperation.state` (Gardener names it STATUS, or STATE for backups). */
export function lastOperationStateColumn(name: 'STATUS' | 'STATE' = 'STATUS'): TableColumn<ExtensionObject> {
  return {
    name,
    type: 'string',
    description: 'Status of the last operation, one of Aborted, Processing, Succeeded, Error, Failed.',
    cell: (obj) => obj.status?.lastOperation?.state ?? null,
  };
}

/** Field selectors every extension kind offers besides name and namespace. */
const extensionSelectableFields: Record<string, (obj: ExtensionObject) => string | undefined> = {
  'spec.type': (obj) => obj.spec.type,
};

/** Gardener's schema of an extension kind, when gardener-schema describes it. */
export function extensionSchemaOf(kind: string): SchemaFacts | undefined {
  return Object.hasOwn(extensionSchemas, kind) ? extensionSchemas[kind as keyof typeof extensionSchemas] : undefined;
}
