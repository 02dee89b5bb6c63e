/**
 * Pruning of custom resources (Kubernetes' structural pruning): fields the version's schema does
 * not specify are dropped, except below `x-kubernetes-preserve-unknown-fields`; the root and
 * every `x-kubernetes-embedded-resource` keep `apiVersion`, `kind` and `metadata`.
 */
import type { JSONSchemaProps } from '../../api/apiextensions/crd.js';
import { isRecord } from '../../api/meta.js';

const typeMetaAndMetadata = new Set(['apiVersion', 'kind', 'metadata']);

/** Drops the unknown fields of `obj` in place and returns their paths (`spec.foo`). */
export function pruneUnknown(obj: Record<string, unknown>, schema: JSONSchemaProps): string[] {
  const pruned: string[] = [];
  pruneObject(obj, schema, '', true, pruned);
  return pruned;
}

function pruneValue(value: unknown, schema: JSONSchemaProps | undefined, path: string, pruned: string[]): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) pruneValue(item, schema.items, `${path}[${i}]`, pruned);
  } else if (isRecord(value)) {
    pruneObject(value, schema, path, schema['x-kubernetes-embedded-resource'] === true, pruned);
  }
}

function pruneObject(
  obj: Record<string, unknown>,
  schema: JSONSchemaProps,
  path: string,
  resourceRoot: boolean,
  pruned: string[],
): void {
  const additional = isRecord(schema.additionalProperties)
    ? (schema.additionalProperties as JSONSchemaProps)
    : undefined;
  for (const key of Object.keys(obj)) {
    if (resourceRoot && typeMetaAndMetadata.has(key)) continue;
    const childPath = path ? `${path}.${key}` : key;
    const child = schema.properties?.[key] ?? additional;
    if (child) pruneValue(obj[key], child, childPath, pruned);
    else if (schema.additionalProperties === true || schema['x-kubernetes-preserve-unknown-fields'] === true) continue;
    else {
      delete obj[key];
      pruned.push(childPath);
    }
  }
}
