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
 * The field types an OpenAPI schema declares, as `fieldTypes` entries: `x-kubernetes-list-type`
 * with `x-kubernetes-list-map-keys`, `x-kubernetes-map-type: atomic`, and, for lists without a
 * list type, `x-kubernetes-patch-strategy: merge` (a map by `x-kubernetes-patch-merge-key`, a
 * set without one), as Kubernetes' schema conversion reads them. `$ref`s into the schema's own
 * `definitions` or `components.schemas` are followed (once per path, so recursive types end),
 * as are the members of an `allOf`.
 */
export function fieldTypesOfOpenApi(schema: Record<string, unknown>): FieldTypes {
  const out: Record<string, FieldType> = {};
  const definitions = {
    ...(isObject(schema.definitions) ? schema.definitions : {}),
    ...(isObject(schema.components) && isObject(schema.components.schemas) ? schema.components.schemas : {}),
  };
  const resolve = (node: Record<string, unknown>, seen: ReadonlySet<string>) => {
    const ref = typeof node.$ref === 'string' ? node.$ref.replace(/^#\/(definitions|components\/schemas)\//, '') : '';
    return ref && !seen.has(ref) && isObject(definitions[ref]) ? { node: definitions[ref], ref } : undefined;
  };
  const walk = (node: unknown, path: string, seen: ReadonlySet<string>) => {
    if (!isObject(node)) return;
    const target = resolve(node, seen);
    if (target) return walk(target.node, path, new Set([...seen, target.ref]));
    const type = declaredType(node);
    if (type && path && !(path in out)) out[path] = type;
    if (Array.isArray(node.allOf)) for (const part of node.allOf) walk(part, path, seen);
    if (isObject(node.properties)) {
      for (const [name, child] of Object.entries(node.properties)) walk(child, path ? `${path}.${name}` : name, seen);
    }
    if (isObject(node.additionalProperties)) walk(node.additionalProperties, path ? `${path}.*` : '*', seen);
    if (isObject(node.items) && path) walk(node.items, `${path}[]`, seen);
  };
  walk(schema, '', new Set());
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function declaredType(s: Record<string, unknown>): FieldType | undefined {
  switch (s['x-kubernetes-list-type']) {
    case 'set':
      return 'set';
    case 'atomic':
      return 'atomic';
    case 'map': {
      const keys = s['x-kubernetes-list-map-keys'];
      if (!Array.isArray(keys)) return undefined;
      // A key the items may omit counts with its schema default (a CRD's `protocol: TCP`).
      const itemFields = isObject(s.items) && isObject(s.items.properties) ? s.items.properties : {};
      const keyDefaults: Record<string, string | number | boolean> = {};
      for (const key of keys.map(String)) {
        const field = itemFields[key];
        const value = isObject(field) ? field.default : undefined;
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
          keyDefaults[key] = value;
      }
      return Object.keys(keyDefaults).length > 0
        ? { mapKeys: keys.map(String), keyDefaults }
        : { mapKeys: keys.map(String) };
    }
  }
  if (s['x-kubernetes-map-type'] === 'atomic') return 'atomic';
  const strategy = s['x-kubernetes-patch-strategy'];
  if (s.type === 'array' && typeof strategy === 'string' && strategy.split(',').includes('merge')) {
    const key = s['x-kubernetes-patch-merge-key'];
    return typeof key === 'string' ? { mapKeys: [key] } : 'set';
  }
  return undefined;
}
