/**
 * How a write moves field ownership between managers (structured-merge-diff's Updater, with
 * apimachinery's managers around it: strip-meta, managed-fields updater, skip-non-applied):
 *
 * - an update (create, PUT, merge/JSON/strategic patch) never conflicts: the fields it adds or
 *   changes become its manager's, taken from whoever held them; removed fields leave every set;
 * - an apply by manager M merges its configuration into the live object, prunes what M applied
 *   before and no longer applies (unless another manager owns it), and then owns exactly the
 *   configuration's fields; a field it changes that another manager owns is a conflict, unless
 *   forced, which takes the field over.
 *
 * Both are pure functions of the live object, the new one and the managers; field-manager.ts
 * wires them to a resource.
 */

import { difference, type FieldSet, intersection, isEmpty, setOf, union } from './field-set.js';
import { type Comparison, compareObjects, fieldSetOf, type ItemErrors, jsonEqual } from './field-sets-of.js';
import {
  capUpdateManagers,
  type ManagerEntry,
  type Managers,
  managerIdentity,
  withoutEmpty,
} from './managed-fields.js';
import { mergeObjects, pruneObject } from './merge.js';
import type { SchemaNode } from './schema.js';

type Json = Record<string, unknown>;

/** Who writes: the manager's name, the apiVersion it writes with, the subresource ('' for the object). */
export interface Writer {
  manager: string;
  apiVersion: string;
  subresource: string;
}

export interface OwnershipOptions {
  schema: SchemaNode;
  /** Drops the fields the endpoint resets (status on the main resource, all but status on `status`). */
  filter(set: FieldSet): FieldSet;
  /** The time stamped on the entries the write changes. */
  now: string;
}

/** Fields no manager ever owns (apimachinery's stripMetaManager). */
const serverOwnedFields = setOf(
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation']
    .concat(['managedFields', 'resourceVersion'])
    .map((field) => ['f:metadata', `f:${field}`]),
);

function filteredComparison(live: Json, next: Json, options: OwnershipOptions): Comparison {
  const { added, modified, removed } = compareObjects(live, next, options.schema);
  return { added: options.filter(added), modified: options.filter(modified), removed: options.filter(removed) };
}

/** The managers after an update by `writer` from `live` to `next`. */
export function recordUpdate(
  live: Json,
  next: Json,
  managers: Managers,
  writer: Writer,
  options: OwnershipOptions,
): Managers {
  const { added, modified, removed } = filteredComparison(live, next, options);
  const changed = union(modified, added);
  const out: Managers = new Map();
  for (const [id, entry] of managers) {
    const set = difference(difference(entry.set, changed), removed);
    if (!isEmpty(set)) out.set(id, set === entry.set ? entry : { ...entry, set });
  }
  const own = difference(changed, serverOwnedFields);
  if (!isEmpty(own)) {
    const self = { ...writer, operation: 'Update' as const };
    const id = managerIdentity(self);
    const previous = out.get(id);
    out.set(id, { ...self, time: options.now, set: previous ? union(previous.set, own) : own });
  }
  return capUpdateManagers(out);
}

/** A manager owning fields an apply would change, with those fields. */
export interface Conflict {
  identity: string;
  entry: ManagerEntry;
  fields: FieldSet;
}

export type ApplyResult = { object: Json; managers: Managers } | { conflicts: Conflict[] };

/**
 * An apply of `config` by `writer` over `live` (`{}` when the object does not exist yet). Errors
 * in the configuration's lists (duplicate keys, missing key fields) land in `errors`.
 */
export function recordApply(
  live: Json,
  config: Json,
  startFrom: Managers,
  writer: Writer,
  force: boolean,
  options: OwnershipOptions,
  errors: ItemErrors,
): ApplyResult {
  // An object no manager has touched yet (stored before field tracking) is first attributed, as
  // it is, to "before-first-apply", so an apply cannot silently take over what it already holds.
  const managers =
    startFrom.size === 0 && Object.keys(live).length > 0
      ? recordUpdate(
          {},
          live,
          startFrom,
          { manager: 'before-first-apply', apiVersion: writer.apiVersion, subresource: '' },
          options,
        )
      : startFrom;
  const applied = options.filter(fieldSetOf(config, options.schema, errors));
  const self = { ...writer, operation: 'Apply' as const };
  const id = managerIdentity(self);
  const previous = managers.get(id);
  const withApplied: Managers = new Map(managers);
  withApplied.set(id, { ...self, time: previous?.time, set: applied });

  let object = mergeObjects(live, config, options.schema);
  if (previous) {
    let keep = applied;
    for (const entry of withApplied.values()) keep = union(keep, entry.set);
    object = pruneObject(object, previous.set, keep, options.schema);
  }

  const { added, modified, removed } = filteredComparison(live, object, options);
  const changed = union(modified, added);
  const conflicts: Conflict[] = [];
  for (const [otherId, entry] of withApplied) {
    if (otherId === id) continue;
    const fields = intersection(entry.set, changed);
    if (!isEmpty(fields)) conflicts.push({ identity: otherId, entry, fields });
  }
  if (conflicts.length > 0 && !force) return { conflicts };

  const taken = new Map(conflicts.map((c) => [c.identity, c.fields]));
  const out: Managers = new Map();
  for (const [otherId, entry] of withApplied) {
    let set = difference(entry.set, removed);
    const lost = taken.get(otherId);
    if (lost) set = difference(set, lost);
    if (otherId === id) set = difference(set, serverOwnedFields);
    const changedObject = otherId === id && !jsonEqual(live, object);
    out.set(otherId, { ...entry, set, time: changedObject ? options.now : entry.time });
  }
  return { object, managers: withoutEmpty(out) };
}
