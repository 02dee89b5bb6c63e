/**
 * The two changes an apply makes to the live object, as structured-merge-diff makes them:
 * `mergeObjects` lays the applied configuration over the live object (objects merged field by
 * field, list maps item by item by their keys, sets value by value, everything else, atomic lists
 * and objects included, replaced by the configuration's value), and `pruneObject` then removes what
 * the applier applied last time, no longer applies and nobody else owns. Both copy what they
 * change and share the rest with their input.
 */
import { isRecord } from '../../api/meta.js';
import { type FieldSet, isMember, SELF } from './field-set.js';
import { itemsByElement, listItemElement } from './field-sets-of.js';
import { fieldSchema, isAtomic, itemSchema, type ListType, listType, type SchemaNode } from './schema.js';

type Json = Record<string, unknown>;

/** `live` with `config` applied. A null in the configuration removes a value (it owns the field all the same). */
export function mergeObjects(live: Json, config: Json, schema: SchemaNode): Json {
  return mergeFields(live, config, schema);
}

function mergeFields(live: Json, config: Json, schema: SchemaNode | undefined): Json {
  const out: Json = { ...live };
  for (const key in config) {
    const value = config[key];
    const child = fieldSchema(schema, key);
    if (value === undefined || child?.ignored) continue;
    if (value === null) {
      // structured-merge-diff keeps a granular object or list under a null: only a leaf is replaced.
      if (!isGranular(live[key], child)) delete out[key];
      continue;
    }
    out[key] = mergeValue(live[key], value, child);
  }
  return out;
}

function isGranular(value: unknown, schema: SchemaNode | undefined): boolean {
  if (isAtomic(schema)) return false;
  if (Array.isArray(value)) return listType(schema) !== 'atomic' && value.length > 0;
  return isRecord(value) && Object.keys(value).length > 0;
}

function mergeValue(live: unknown, config: unknown, schema: SchemaNode | undefined): unknown {
  if (live === undefined || live === null || isAtomic(schema)) return withoutNulls(config);
  if (isRecord(live) && isRecord(config)) return mergeFields(live, config, schema);
  if (Array.isArray(live) && Array.isArray(config)) {
    const type = listType(schema);
    if (type !== 'atomic') return mergeList(live, config, type, itemSchema(schema));
  }
  return withoutNulls(config);
}

/**
 * A list map or set merged item by item. The order follows structured-merge-diff's: items only
 * the live list has stay where they were, items of the configuration come in its order, and an
 * item both have moves to where the configuration puts it.
 */
function mergeList(live: unknown[], config: unknown[], type: ListType, items: SchemaNode | undefined): unknown[] {
  const liveElements = live.map((item) => listItemElement(item, type) ?? '');
  const configElements = config.map((item) => listItemElement(item, type) ?? '');
  const liveItems = itemsByElement(live, type);
  const configItems = new Map(configElements.map((element, i) => [element, config[i]]));
  const shared = configElements.filter((element) => liveItems.has(element));
  let nextShared = 0;
  const out: unknown[] = [];
  const merged = new Set<string>();
  const takeConfig = (element: string) => {
    const item = configItems.get(element);
    out.push(type === 'set' ? item : mergeValue(liveItems.get(element), item, items));
    merged.add(element);
  };
  let l = 0;
  let c = 0;
  while (l < live.length || c < config.length) {
    if (l < live.length && c < config.length) {
      if (liveElements[l] === configElements[c]) {
        takeConfig(configElements[c]!);
        l++;
        c++;
        nextShared++;
        continue;
      }
      // A live item the configuration also has, but not the next one it wants: it comes later.
      if (configItems.has(liveElements[l]!) && shared[nextShared] !== liveElements[l]) {
        l++;
        continue;
      }
    }
    if (l < live.length) {
      const element = liveElements[l]!;
      if (!configItems.has(element)) {
        out.push(live[l]);
        l++;
        continue;
      }
      if (merged.has(element)) {
        l++;
        continue;
      }
    }
    if (c < config.length) {
      const element = configElements[c]!;
      if (!merged.has(element)) takeConfig(element);
      if (shared[nextShared] === element) nextShared++;
      c++;
    }
  }
  return out;
}

/** A copy of a configuration value without the nulls in its objects (Kubernetes does not store them). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const key in value) {
    const v = value[key];
    if (v !== null && v !== undefined) out[key] = withoutNulls(v);
  }
  return out;
}

/**
 * `obj` without what `last` holds and `keep` does not. A field stays when `keep` has anything at
 * or below it; a list item stays only when `keep` owns the item itself (structured-merge-diff's
 * prune: a field the applier dropped goes unless another manager owns it or something in it).
 */
export function pruneObject(obj: Json, last: FieldSet, keep: FieldSet, schema: SchemaNode): Json {
  return pruneFields(obj, last, keep, schema);
}

function pruneFields(obj: Json, last: FieldSet, keep: FieldSet | undefined, schema: SchemaNode | undefined): Json {
  let out = obj;
  for (const element in last) {
    if (!element.startsWith('f:')) continue;
    const key = element.slice(2);
    const value = obj[key];
    if (value === undefined) continue;
    const kept = keep?.[element];
    if (kept === undefined) {
      if (out === obj) out = { ...obj };
      delete out[key];
      continue;
    }
    const pruned = pruneValue(value, last[element]!, kept, fieldSchema(schema, key));
    if (pruned !== value) {
      if (out === obj) out = { ...obj };
      out[key] = pruned;
    }
  }
  return out;
}

function pruneValue(value: unknown, last: FieldSet, keep: FieldSet, schema: SchemaNode | undefined): unknown {
  if (!hasChildren(last) || isAtomic(schema)) return value;
  if (isRecord(value)) return pruneFields(value, last, keep, schema);
  if (!Array.isArray(value)) return value;
  const type = listType(schema);
  if (type === 'atomic') return value;
  const items = itemSchema(schema);
  let changed = false;
  const out: unknown[] = [];
  for (const item of value) {
    const element = listItemElement(item, type);
    const lastItem = element === undefined ? undefined : last[element];
    if (lastItem === undefined) {
      out.push(item);
      continue;
    }
    const kept = keep[element!];
    if (kept === undefined || !isMember(kept)) {
      changed = true;
      continue;
    }
    const pruned = pruneValue(item, lastItem, kept, items);
    if (pruned !== item) changed = true;
    out.push(pruned);
  }
  return changed ? out : value;
}

function hasChildren(node: FieldSet): boolean {
  for (const key in node) if (key !== SELF) return true;
  return false;
}
