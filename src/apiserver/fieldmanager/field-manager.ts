/**
 * A resource's field manager: what the generic store calls on every write to keep
 * `metadata.managedFields` (apimachinery's FieldManager with its default managers). It knows the
 * resource's schema (list types), its apiVersion and which fields each endpoint resets (status on
 * the main resource, everything but status on `status`), and turns the pure ownership functions
 * (ownership.ts) into managedFields lists and Kubernetes errors.
 */
import { badRequest, invalid } from '../../api/errors.js';
import { isRecord, type KubeObject, nowTimestamp } from '../../api/meta.js';
import { apiVersionOf, type ResourceDefinition } from '../types.js';
import { applyConflictError } from './conflict-error.js';
import { type FieldSet, onlyField, withoutFields } from './field-set.js';
import { ItemErrors } from './field-sets-of.js';
import { conflictsBeyond, fieldsOfLastApplied, KUBECTL_MANAGER, syncLastApplied } from './last-applied.js';
import {
  decodeManagedFields,
  encodeManagedFields,
  type ManagedFieldsEntry,
  type Managers,
  managersToStartFrom,
} from './managed-fields.js';
import { type OwnershipOptions, recordApply, recordUpdate, type Writer } from './ownership.js';
import { compileSchema, type SchemaNode } from './schema.js';

export type { ManagedFieldsEntry } from './managed-fields.js';

/** What an apply produced: the object to write and its managedFields (undefined: none). */
export interface Applied {
  object: KubeObject;
  managedFields: ManagedFieldsEntry[] | undefined;
}

export class FieldManager {
  readonly #def: ResourceDefinition;
  readonly #schema: SchemaNode;
  readonly #apiVersion: string;

  constructor(def: ResourceDefinition) {
    this.#def = def;
    this.#schema = compileSchema(def);
    this.#apiVersion = apiVersionOf(def);
  }

  /**
   * The managedFields after a create (`live` undefined), update or non-apply patch from `live` to
   * `next` by `manager` through `subresource` ('' for the object itself).
   */
  update(
    live: KubeObject | undefined,
    next: KubeObject,
    manager: string,
    subresource: string,
  ): ManagedFieldsEntry[] | undefined {
    const managers = managersToStartFrom(live?.metadata.managedFields, next.metadata.managedFields, subresource);
    return encoded(
      recordUpdate(live ?? {}, next, managers, this.#writer(manager, subresource), this.#options(subresource)),
    );
  }

  /**
   * An apply of `config` by `manager` over `live` (undefined: the object does not exist yet). A
   * conflict is a 409 naming each field and its manager; a configuration whose lists cannot be
   * keyed is a 422 naming the list.
   */
  apply(
    live: KubeObject | undefined,
    config: KubeObject,
    manager: string,
    subresource: string,
    force: boolean,
  ): Applied {
    if (config.metadata.managedFields !== undefined && config.metadata.managedFields !== null) {
      throw badRequest('metadata.managedFields must be nil');
    }
    const liveObject = live ?? {};
    const startFrom: Managers = decodeManagedFields(live?.metadata.managedFields ?? [], true) ?? new Map();
    const writer = this.#writer(manager, subresource);
    const options = this.#options(subresource);
    const errors = new ItemErrors();
    let result = recordApply(liveObject, config, startFrom, writer, force, options, errors);
    if (errors.errors.length > 0) {
      throw invalid({ group: this.#def.group, kind: this.#def.kind }, config.metadata.name ?? '', errors.errors);
    }
    if ('conflicts' in result && manager === KUBECTL_MANAGER) {
      const allowed = fieldsOfLastApplied(liveObject, this.#apiVersion, this.#schema);
      if (allowed) {
        const remaining = conflictsBeyond(result.conflicts, allowed);
        result =
          remaining.length > 0
            ? { conflicts: remaining }
            : recordApply(liveObject, config, startFrom, writer, true, options, new ItemErrors());
      }
    }
    if ('conflicts' in result) throw applyConflictError(result.conflicts);
    const object = manager === KUBECTL_MANAGER ? syncLastApplied(result.object, config) : result.object;
    return { object: object as KubeObject, managedFields: encoded(result.managers) };
  }

  #writer(manager: string, subresource: string): Writer {
    return { manager, apiVersion: this.#apiVersion, subresource };
  }

  #options(subresource: string): OwnershipOptions {
    return { schema: this.#schema, filter: this.#resetFilter(subresource), now: nowTimestamp() };
  }

  /** Drops the fields the endpoint resets, which nobody owns through it (the strategies' reset fields). */
  #resetFilter(subresource: string): (set: FieldSet) => FieldSet {
    if (subresource === 'status') return (set) => onlyField(set, 'status');
    if (this.#def.hasStatus !== false) return (set) => withoutFields(set, ['status']);
    return (set) => set;
  }
}

function encoded(managers: Managers): ManagedFieldsEntry[] | undefined {
  return managers.size > 0 ? encodeManagedFields(managers) : undefined;
}

/** Puts a managedFields list on an object (none: the field goes). */
export function setManagedFields(obj: KubeObject, managedFields: ManagedFieldsEntry[] | undefined): void {
  if (managedFields) obj.metadata.managedFields = managedFields;
  else delete obj.metadata.managedFields;
}

export function isApplyConfiguration(value: unknown): value is KubeObject {
  return isRecord(value) && (value.metadata === undefined || isRecord(value.metadata));
}
