/**
 * A walk over a custom resource alongside its structural schema, with the old object's
 * corresponding value where there is one (Kubernetes' ratcheting correlation): an object's
 * fields by name, a map's values by key, a `map` list's items by their keys. CEL rules
 * (`oldSelf`) and the list-type checks visit each value with its schema node here.
 */
import type { JSONSchemaProps } from '../../api/apiextensions/crd.js';
import { isRecord } from '../../api/meta.js';

export type SchemaVisitor = (schema: JSONSchemaProps, value: unknown, old: unknown, path: string) => void;

/** Calls `visit` on every value under `value` that its schema describes, parents first. */
export function walkWithSchema(
  schema: JSONSchemaProps | undefined,
  value: unknown,
  old: unknown,
  path: string,
  visit: SchemaVisitor,
): void {
  if (!schema || value === undefined || value === null) return;
  visit(schema, value, old, path);
  if (Array.isArray(value)) {
    const oldItem = correlateItems(schema, Array.isArray(old) ? old : undefined);
    for (const [i, item] of value.entries()) walkWithSchema(schema.items, item, oldItem(item), `${path}[${i}]`, visit);
    return;
  }
  if (!isRecord(value)) return;
  const oldObject = isRecord(old) ? old : undefined;
  const additional = isRecord(schema.additionalProperties)
    ? (schema.additionalProperties as JSONSchemaProps)
    : undefined;
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key] ?? additional;
    if (path === '' && key === 'metadata') continue;
    walkWithSchema(childSchema, child, oldObject?.[key], path ? `${path}.${key}` : key, visit);
  }
}

/** The old item an item corresponds to: in a `map` list the one with the same keys, else none. */
function correlateItems(schema: JSONSchemaProps, old: unknown[] | undefined): (item: unknown) => unknown {
  const keys = schema['x-kubernetes-list-map-keys'];
  if (!old || schema['x-kubernetes-list-type'] !== 'map' || !keys) return () => undefined;
  const byKey = new Map(old.map((item) => [mapKeyOf(item, keys), item]));
  return (item) => byKey.get(mapKeyOf(item, keys));
}

/** The identity of a `map` list item: the values of its key fields. */
export function mapKeyOf(item: unknown, keys: readonly string[]): string {
  return JSON.stringify(keys.map((k) => (isRecord(item) ? (item[k] ?? null) : null)));
}
