/**
 * Kubernetes' checks of `x-kubernetes-list-type`: a `set` holds each value once, a `map` each
 * combination of its `x-kubernetes-list-map-keys` once. Duplicates are refused naming the
 * second item, in Kubernetes' words (`Duplicate value: map[string]interface {}{"name":"a"}`).
 */
import type { JSONSchemaProps } from '../../api/apiextensions/crd.js';
import type { FieldError } from '../../api/errors.js';
import { isRecord } from '../../api/meta.js';
import { mapKeyOf, walkWithSchema } from './schema-walk.js';

export function listTypeErrors(schema: JSONSchemaProps, obj: unknown): FieldError[] {
  const errors: FieldError[] = [];
  walkWithSchema(schema, obj, undefined, '', (node, value, _old, path) => {
    if (!Array.isArray(value)) return;
    const listType = node['x-kubernetes-list-type'];
    const keys = node['x-kubernetes-list-map-keys'] ?? [];
    if (listType !== 'set' && listType !== 'map') return;
    const seen = new Set<string>();
    for (const [i, item] of value.entries()) {
      const identity = listType === 'set' ? JSON.stringify(item) : mapKeyOf(item, keys);
      if (seen.has(identity)) {
        errors.push({
          type: 'FieldValueDuplicate',
          path: `${path}[${i}]`,
          value: item,
          message: `Duplicate value: ${listType === 'set' ? JSON.stringify(item) : goMapOfKeys(item, keys)}`,
        });
      }
      seen.add(identity);
    }
  });
  return errors;
}

/** How Go prints the key fields of a duplicate map item: `map[string]interface {}{"name":"a"}`. */
function goMapOfKeys(item: unknown, keys: readonly string[]): string {
  const fields = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(isRecord(item) ? item[k] : null)}`);
  return `map[string]interface {}{${fields.join(', ')}}`;
}
