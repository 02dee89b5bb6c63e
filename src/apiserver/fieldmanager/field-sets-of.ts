/**
 * Field sets computed from objects, the two walks structured-merge-diff bases ownership on:
 * `fieldSetOf` (an applied configuration's fields: what its manager will own) and `compareObjects`
 * (what a write added, modified and removed: what moves between managers). Both descend the
 * object with the kind's schema tree (schema.ts): scalars, atomic lists and objects, empty objects
 * and nulls are leaves; the items of sets and list maps are members of their own, addressed by
 * value or key (`listItemElement`, which merge.ts shares).
 */
import type { FieldError } from '../../api/errors.js';
import { isRecord } from '../../api/meta.js';
import { type FieldSet, LEAF, makeNode } from './field-set.js';
import { fieldElement, keyElement, pathElementString, valueElement } from './path-element.js';
import { fieldSchema, isAtomic, itemSchema, type ListType, listType, type SchemaNode } from './schema.js';

type Json = Record<string, unknown>;

/**
 * The element addressing a list item, or undefined (with an error in `errors`) when the item
 * cannot be addressed: a list-map item missing a key without default, a set item that is not a
 * scalar. Without `errors` (live objects, which Kubernetes never refuses here) the best element
 * available is used instead.
 */
export function listItemElement(item: unknown, type: ListType, errors?: ItemErrors): string | undefined {
  if (type === 'atomic') return undefined;
  if (type === 'set') {
    if (errors && typeof item === 'object' && item !== null) {
      errors.add(`set items must be scalars, got ${JSON.stringify(item).slice(0, 40)}`);
      return undefined;
    }
    return valueElement(item);
  }
  if (!isRecord(item)) {
    if (errors) {
      errors.add(`items of a list keyed by ${type.mapKeys.join(', ')} must be objects`);
      return undefined;
    }
    return valueElement(item);
  }
  const key = new Map<string, unknown>();
  for (const name of type.mapKeys) {
    const value = item[name] ?? (type.keyDefaults as Record<string, unknown> | undefined)?.[name];
    if (value === undefined || value === null) {
      if (errors) {
        errors.add(`associative list with keys has an element that omits key field "${name}"`);
        return undefined;
      }
      continue;
    }
    key.set(name, value);
  }
  return keyElement(key);
}

/** Where apply-configuration errors are collected, with the path of the list being walked. */
export class ItemErrors {
  readonly errors: FieldError[] = [];
  path = '';

  add(message: string): void {
    this.errors.push({ type: 'FieldValueInvalid', path: this.path, message });
  }
}

/** The fields of an applied configuration (structured-merge-diff's ToFieldSet). */
export function fieldSetOf(obj: Json, schema: SchemaNode, errors?: ItemErrors): FieldSet {
  return objectFields(obj, schema, errors ? { errors, path: '' } : undefined);
}

interface Strict {
  errors: ItemErrors;
  path: string;
}

function objectFields(obj: Json, schema: SchemaNode | undefined, strict: Strict | undefined): Record<string, FieldSet> {
  const out: Record<string, FieldSet> = {};
  for (const key in obj) {
    const value = obj[key];
    const child = fieldSchema(schema, key);
    if (value === undefined || child?.ignored) continue;
    const node = valueFields(value, child, strict && { errors: strict.errors, path: joinPath(strict.path, key) });
    if (node !== undefined) out[fieldElement(key)] = node;
  }
  return out;
}

function valueFields(value: unknown, schema: SchemaNode | undefined, strict: Strict | undefined): FieldSet | undefined {
  if (isAtomic(schema) || typeof value !== 'object' || value === null) return LEAF;
  if (Array.isArray(value)) {
    const type = listType(schema);
    if (type === 'atomic') return LEAF;
    const items = itemSchema(schema);
    const out: Record<string, FieldSet> = {};
    for (const item of value) {
      if (strict) strict.errors.path = strict.path;
      const element = listItemElement(item, type, strict?.errors);
      if (element === undefined) continue;
      if (element in out && strict) {
        strict.errors.add(`duplicate entries for key ${pathElementString(element)}`);
        continue;
      }
      const itemPath = strict && { errors: strict.errors, path: `${strict.path}${pathElementString(element)}` };
      out[element] = isRecord(item) && type !== 'set' ? makeNode(true, objectFields(item, items, itemPath))! : LEAF;
    }
    return makeNode(false, out);
  }
  const fields = objectFields(value as Json, schema, strict);
  return Object.keys(value).length === 0 ? LEAF : makeNode(false, fields);
}

function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** What changed from `lhs` to `rhs`, each as a field set (structured-merge-diff's Compare). */
export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

interface Diff {
  added?: FieldSet;
  modified?: FieldSet;
  removed?: FieldSet;
}

export function compareObjects(lhs: Json, rhs: Json, schema: SchemaNode): Comparison {
  const children = compareFields(lhs, rhs, schema);
  return { added: children.added, modified: children.modified, removed: children.removed };
}

interface Children {
  added: Record<string, FieldSet>;
  modified: Record<string, FieldSet>;
  removed: Record<string, FieldSet>;
}

function collect(children: Children, element: string, diff: Diff): void {
  if (diff.added) children.added[element] = diff.added;
  if (diff.modified) children.modified[element] = diff.modified;
  if (diff.removed) children.removed[element] = diff.removed;
}

function compareFields(lhs: Json, rhs: Json, schema: SchemaNode | undefined): Children {
  const children: Children = { added: {}, modified: {}, removed: {} };
  for (const key in lhs) {
    const child = fieldSchema(schema, key);
    if (child?.ignored || lhs[key] === undefined) continue;
    collect(children, fieldElement(key), compareValues(lhs[key], rhs[key], child));
  }
  for (const key in rhs) {
    if (lhs[key] !== undefined || rhs[key] === undefined) continue;
    const child = fieldSchema(schema, key);
    if (child?.ignored) continue;
    collect(children, fieldElement(key), { added: allPaths(rhs[key], child) });
  }
  return children;
}

function compareValues(lhs: unknown, rhs: unknown, schema: SchemaNode | undefined): Diff {
  if (lhs === undefined) return rhs === undefined ? {} : { added: allPaths(rhs, schema) };
  if (rhs === undefined) return { removed: allPaths(lhs, schema) };
  const lhsList = Array.isArray(lhs);
  const lhsObject = !lhsList && isRecord(lhs);
  const sameShape = lhsList ? Array.isArray(rhs) : lhsObject ? isRecord(rhs) : false;
  if (!sameShape || isAtomic(schema)) return jsonEqual(lhs, rhs) ? {} : { modified: LEAF };
  let children: Children;
  if (lhsList) {
    const type = listType(schema);
    const l = lhs as unknown[];
    const r = rhs as unknown[];
    if (type === 'atomic' || (l.length === 0 && r.length === 0)) return jsonEqual(l, r) ? {} : { modified: LEAF };
    children = compareItems(l, r, type, itemSchema(schema));
  } else {
    const l = lhs as Json;
    const r = rhs as Json;
    if (isEmptyObject(l) && isEmptyObject(r)) return {};
    children = compareFields(l, r, schema);
  }
  return {
    added: makeNode(false, children.added),
    modified: makeNode(false, children.modified),
    removed: makeNode(false, children.removed),
  };
}

/** Items of a list by their elements; a duplicate keeps the first (live objects may hold duplicates). */
export function itemsByElement(items: readonly unknown[], type: ListType): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const item of items) {
    const element = listItemElement(item, type);
    if (element !== undefined && !out.has(element)) out.set(element, item);
  }
  return out;
}

function compareItems(lhs: unknown[], rhs: unknown[], type: ListType, items: SchemaNode | undefined): Children {
  const children: Children = { added: {}, modified: {}, removed: {} };
  const left = itemsByElement(lhs, type);
  const right = itemsByElement(rhs, type);
  for (const [element, item] of left) {
    const other = right.get(element);
    collect(
      children,
      element,
      other === undefined ? { removed: allPaths(item, items) } : compareValues(item, other, items),
    );
  }
  for (const [element, item] of right) {
    if (!left.has(element)) collect(children, element, { added: allPaths(item, items) });
  }
  return children;
}

/** Every path of a value, each node a member: what a value appearing or disappearing adds or removes. */
function allPaths(value: unknown, schema: SchemaNode | undefined): FieldSet {
  if (isAtomic(schema) || typeof value !== 'object' || value === null) return LEAF;
  const children: Record<string, FieldSet> = {};
  if (Array.isArray(value)) {
    const type = listType(schema);
    if (type === 'atomic') return LEAF;
    const items = itemSchema(schema);
    for (const [element, item] of itemsByElement(value, type)) children[element] = allPaths(item, items);
  } else {
    for (const key in value as Json) {
      const child = fieldSchema(schema, key);
      const v = (value as Json)[key];
      if (v !== undefined && !child?.ignored) children[fieldElement(key)] = allPaths(v, child);
    }
  }
  return makeNode(true, children)!;
}

function isEmptyObject(obj: Json): boolean {
  for (const _ in obj) return false;
  return true;
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Json;
  const bo = b as Json;
  let count = 0;
  for (const key in ao) {
    if (ao[key] === undefined) continue;
    count++;
    if (!jsonEqual(ao[key], bo[key])) return false;
  }
  for (const key in bo) if (bo[key] !== undefined) count--;
  return count === 0;
}
