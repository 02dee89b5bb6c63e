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
  type ExtensionValidation,
  extensionLastOperationState,
  extensionOperation,
  extensionRegion,
  extensionType,
  OPERATION_RECONCILE,
  validateExtension,
  validateExtensionStatus,
  validateExtensionUpdate,
} from '../../api/extensions/common.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceRef } from '../../api/resource-ref.js';
import type { ResourceDefinition, Strategy, SubresourceDefinition, TableColumn } from '../../apiserver/types.js';
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
export type ExtensionKindTable = Pick<ResourceDefinition, 'listKind' | 'singular' | 'shortNames' | 'columns'> &
  Partial<Pick<ResourceDefinition, 'selectableFields'>>;

/**
 * The definition of an extension kind with a status (every one but Cluster): `extensionStrategy`,
 * its `status` subresource, and the `spec.type` field selector unless `table` names its own.
 */
export function extensionKindDefinition(
  ref: ResourceRef,
  validation: ExtensionValidation,
  table: ExtensionKindTable,
): ResourceDefinition {
  return {
    ...ref,
    strategy: extensionStrategy(validation),
    subresources: [extensionStatusSubresource(validation)],
    hasStatus: true,
    selectableFields: extensionSelectableFields,
    ...table,
  };
}

// ---------------------------------------------------------------------------------------------
// Table columns (Gardener's printer columns; an unset field prints <none>)

/** TYPE: `spec.type`. */
export const typeColumn: TableColumn = {
  name: 'TYPE',
  type: 'string',
  description: 'The type of the provider for this resource.',
  cell: (obj) => extensionType(obj) ?? null,
};

/** REGION: `spec.region`. */
export const regionColumn: TableColumn = {
  name: 'REGION',
  type: 'string',
  description: 'The region of this resource.',
  cell: (obj) => extensionRegion(obj) ?? null,
};

/** A column showing `status.lastOperation.state` (Gardener names it STATUS, or STATE for backups). */
export function lastOperationStateColumn(name: 'STATUS' | 'STATE' = 'STATUS'): TableColumn {
  return {
    name,
    type: 'string',
    description: 'Status of the last operation, one of Aborted, Processing, Succeeded, Error, Failed.',
    cell: (obj) => extensionLastOperationState(obj) ?? null,
  };
}

/** Field selectors every extension kind offers besides name and namespace. */
export const extensionSelectableFields: Record<string, (obj: KubeObject) => string | undefined> = {
  'spec.type': (obj) => extensionType(obj) ?? '',
};
