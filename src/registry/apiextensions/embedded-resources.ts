/**
 * `x-kubernetes-embedded-resource`: a field holding a whole object (a template) must name its
 * kind and apiVersion, as Kubernetes requires of embedded resources.
 */
import type { JSONSchemaProps } from '../../api/apiextensions/crd.js';
import { FieldError } from '../../api/errors.js';
import { isRecord } from '../../api/meta.js';
import { walkWithSchema } from './schema-walk.js';

export function embeddedResourceErrors(schema: JSONSchemaProps, obj: unknown): FieldError[] {
  const errors: FieldError[] = [];
  walkWithSchema(schema, obj, undefined, '', (node, value, _old, path) => {
    if (path === '' || !node['x-kubernetes-embedded-resource'] || !isRecord(value)) return;
    for (const field of ['apiVersion', 'kind']) {
      if (typeof value[field] !== 'string' || value[field] === '') {
        errors.push(FieldError.required(`${path}.${field}`, 'must not be empty'));
      }
    }
  });
  return errors;
}
