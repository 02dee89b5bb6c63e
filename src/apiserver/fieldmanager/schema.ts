/**
 * What server-side apply needs of a kind's schema, and no more: which lists are sets, which are
 * maps and by which keys, which lists and objects are atomic. A resource definition states it as
 * `fieldTypes` (field path → type, src/apiserver/types.ts) or through the list markers of its
 * OpenAPI schema; both are compiled once per kind into a tree that the walks over objects
 * (field-sets-of.ts, merge.ts) descend alongside the object.
 */
import type { FieldType, FieldTypes, ResourceDefinition } from '../types.js';

export interface SchemaNode {
  type?: FieldType;
  fields?: Map<string, SchemaNode>;
  /** Every key of a map (`*` in a path). */
  anyField?: SchemaNode;
  /** Every item of a list (`[]` in a path). */
  items?: SchemaNode;
  /** Not part of any field set (`metadata.managedFields`): the walks skip it. */
  ignored?: boolean;
}

export type ListType = 'atomic' | 'set' | { readonly mapKeys: readonly string[]; readonly keyDefaults?: object };

/** Field types every kind shares (ObjectMeta's list markers in Kubernetes). */
export const metadataFieldTypes: FieldTypes = Object.freeze({
  'metadata.finalizers': 'set',
  'metadata.ownerReferences': { mapKeys: ['uid'] },
});

/** The tree of a definition's field types: the common ones, its schema's markers, its own entries. */
export function compileSchema(def: Pick<ResourceDefinition, 'fieldTypes' | 'schema'>): SchemaNode {
  const root: SchemaNode = {};
  const sources = [metadataFieldTypes, def.schema ? fieldTypesOfOpenApi(def.schema) : {}, def.fieldTypes ?? {}];
  for (const types of sources) {
    for (const [path, type] of Object.entries(types)) nodeAt(root, path).type = type;
  }
  nodeAt(root, 'metadata.managedFields').ignored = true;
  return root;
}

const segmentPattern = /^([^[\]]+)((?:\[\])*)$/;

function nodeAt(root: SchemaNode, path: string): SchemaNode {
  let node = root;
  for (const segment of path.split('.')) {
    const match = segmentPattern.exec(segment);
    if (!match) throw new Error(`fieldTypes: "${path}" is not a field path (fields joined by ".", "[]" for items)`);
    const name = match[1]!;
    if (name === '*') node = node.anyField ??= {};
    else {
      node.fields ??= new Map();
      const child = node.fields.get(name) ?? {};
      node.fields.set(name, child);
      node = child;
    }
    for (let i = 0; i < match[2]!.length / 2; i++) node = node.items ??= {};
  }
  return node;
}

/** The schema of field `name` of an object whose schema is `node`. */
export function fieldSchema(node: SchemaNode | undefined, name: string): SchemaNode | undefined {
  return node?.fields?.get(name) ?? node?.anyField;
}

export function itemSchema(node: SchemaNode | undefined): SchemaNode | undefined {
  return node?.items;
}

/** A list's type: a set, a map with keys, or atomic (the default). */
export function listType(node: SchemaNode | undefined): ListType {
  const type = node?.type;
  if (type === 'set' || (typeof type === 'object' && type.mapKeys.length > 0)) return type;
  return 'atomic';
}

export function isAtomic(node: SchemaNode | undefined): boolean {
  return node?.type === 'atomic';
}

/**
 * The field types an OpenAPI v3 (structural) schema declares with `x-kubernetes-list-type`,
 * `x-kubernetes-list-map-keys` and `x-kubernetes-map-type`, as `fieldTypes` entries.
 */
export function fieldTypesOfOpenApi(schema: Record<string, unknown>): FieldTypes {
  const out: Record<string, FieldType> = {};
  const walk = (node: unknown, path: string) => {
    if (typeof node !== 'object' || node === null) return;
    const s = node as Record<string, unknown>;
    const type = declaredType(s);
    if (type && path) out[path] = type;
    if (typeof s.properties === 'object' && s.properties !== null) {
      for (const [name, child] of Object.entries(s.properties)) walk(child, path ? `${path}.${name}` : name);
    }
    if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, path ? `${path}.*` : '*');
    if (typeof s.items === 'object' && path) walk(s.items, `${path}[]`);
  };
  walk(schema, '');
  return out;
}

function declaredType(s: Record<string, unknown>): FieldType | undefined {
  switch (s['x-kubernetes-list-type']) {
    case 'set':
      return 'set';
    case 'atomic':
      return 'atomic';
    case 'map': {
      const keys = s['x-kubernetes-list-map-keys'];
      return Array.isArray(keys) ? { mapKeys: keys.map(String) } : undefined;
    }
  }
  if (s['x-kubernetes-map-type'] === 'atomic') return 'atomic';
  return undefined;
}
