/**
 * Defaulting of custom resources (Kubernetes' structural defaulting): a field the schema gives a
 * `default` is set when absent, or when null and not `nullable`; other nulls in non-nullable
 * fields are dropped first. Defaults apply inside list items and map values, and inside the
 * defaults themselves. Kubernetes defaults on every decode, from requests and from etcd alike.
 */
import type { JSONSchemaProps } from '../../api/apiextensions/crd.js';
import { deepCopy, isRecord } from '../../api/meta.js';

/** Applies the schema's defaults to `value` in place. */
export function applyDefaults(value: unknown, schema: JSONSchemaProps | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (item === null && schema.items && !schema.items.nullable) {
        if ('default' in schema.items) value[i] = deepCopy(schema.items.default);
      }
      applyDefaults(value[i], schema.items);
    }
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const current = value[key];
    if (current === undefined || (current === null && !child.nullable)) {
      if ('default' in child) value[key] = deepCopy(child.default);
      else if (current === null) delete value[key];
    }
  }
  const additional = isRecord(schema.additionalProperties)
    ? (schema.additionalProperties as JSONSchemaProps)
    : undefined;
  for (const [key, child] of Object.entries(value)) applyDefaults(child, schema.properties?.[key] ?? additional);
}
