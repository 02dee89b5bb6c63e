/**
 * Whether a CRD version's schema is structural (Kubernetes' apiextensions `structuralschema`):
 * every object field, list item and the root carries a type, unless
 * `x-kubernetes-int-or-string` or `x-kubernetes-preserve-unknown-fields` stands in for it; lists
 * name their items; the Kubernetes extensions are used where they mean something. Paths are
 * Kubernetes': `spec.versions[0].schema.openAPIV3Schema.properties[spec].type`.
 */
import { FieldError } from '../errors.js';
import { isRecord } from '../meta.js';
import type { JSONSchemaProps } from './crd.js';

const types = ['object', 'array', 'string', 'integer', 'number', 'boolean'];

/** The errors of a version's `openAPIV3Schema` at `path`. */
export function structuralErrors(schema: unknown, path: string): FieldError[] {
  if (!isRecord(schema)) return [FieldError.required(path, 'schemas are required')];
  const errors: FieldError[] = [];
  const root = schema as JSONSchemaProps;
  if (root.type === undefined) errors.push(FieldError.required(`${path}.type`, 'must not be empty at the root'));
  else if (root.type !== 'object')
    errors.push(FieldError.invalid(`${path}.type`, root.type, 'must be object at the root'));
  if (root['x-kubernetes-embedded-resource'])
    errors.push(FieldError.forbidden(`${path}.x-kubernetes-embedded-resource`, 'must be false at the root'));
  const metadata = root.properties?.metadata;
  if (isRecord(metadata)) {
    for (const key of Object.keys(metadata.properties ?? {})) {
      if (key !== 'name' && key !== 'generateName')
        errors.push(FieldError.forbidden(`${path}.properties[metadata].properties[${key}]`, 'must not be specified'));
    }
  }
  errors.push(...nodeErrors(root, path, true));
  return errors;
}

function nodeErrors(node: JSONSchemaProps, path: string, root: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'];
  if (node.type !== undefined && !types.includes(node.type)) {
    errors.push(FieldError.notSupported(`${path}.type`, node.type, types));
  }
  if (preserve === false)
    errors.push(FieldError.invalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  if (intOrString && node.type !== undefined) {
    errors.push(FieldError.invalid(`${path}.type`, node.type, 'must be empty if x-kubernetes-int-or-string is true'));
  }
  if (node['x-kubernetes-embedded-resource'] && node.type !== 'object') {
    errors.push(
      FieldError.invalid(`${path}.type`, node.type ?? '', 'must be object if x-kubernetes-embedded-resource is true'),
    );
  }
  if (node.properties !== undefined && node.additionalProperties !== undefined && node.additionalProperties !== false) {
    errors.push(
      FieldError.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'),
    );
  }
  if (node.type === 'array' && node.items === undefined) {
    errors.push(FieldError.required(`${path}.items`, 'must be specified'));
  }
  errors.push(...listTypeErrors(node, path));
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const childPath = `${path}.properties[${name}]`;
    if (!isRecord(child)) continue;
    if (child.type === undefined && !isOpen(child)) {
      errors.push(FieldError.required(`${childPath}.type`, 'must not be empty for specified object fields'));
    }
    errors.push(...nodeErrors(child, childPath, false));
  }
  if (isRecord(node.items)) {
    if (node.items.type === undefined && !isOpen(node.items)) {
      errors.push(FieldError.required(`${path}.items.type`, 'must not be empty for specified array items'));
    }
    errors.push(...nodeErrors(node.items, `${path}.items`, false));
  }
  if (isRecord(node.additionalProperties)) {
    const child = node.additionalProperties as JSONSchemaProps;
    if (child.type === undefined && !isOpen(child)) {
      errors.push(
        FieldError.required(`${path}.additionalProperties.type`, 'must not be empty for specified object fields'),
      );
    }
    errors.push(...nodeErrors(child, `${path}.additionalProperties`, false));
  }
  // Value validations under the logical junctors may not set types or defaults (structural rule).
  for (const junctor of ['allOf', 'anyOf', 'oneOf'] as const) {
    for (const [i, sub] of (node[junctor] ?? []).entries()) {
      if (isRecord(sub) && 'default' in sub) {
        errors.push(FieldError.forbidden(`${path}.${junctor}[${i}].default`, 'must be undefined to be structural'));
      }
    }
  }
  if (root && node.nullable) errors.push(FieldError.forbidden(`${path}.nullable`, 'must be false at the root'));
  return errors;
}

/** Int-or-string and preserve-unknown-fields nodes stand for a type. */
function isOpen(node: JSONSchemaProps): boolean {
  return node['x-kubernetes-int-or-string'] === true || node['x-kubernetes-preserve-unknown-fields'] === true;
}

function listTypeErrors(node: JSONSchemaProps, path: string): FieldError[] {
  const listType = node['x-kubernetes-list-type'];
  const keys = node['x-kubernetes-list-map-keys'];
  const errors: FieldError[] = [];
  if (listType === undefined) {
    if (keys !== undefined)
      errors.push(
        FieldError.forbidden(
          `${path}.x-kubernetes-list-map-keys`,
          'must be empty if x-kubernetes-list-type is not map',
        ),
      );
    return errors;
  }
  if (!['atomic', 'set', 'map'].includes(listType)) {
    return [FieldError.notSupported(`${path}.x-kubernetes-list-type`, listType, ['atomic', 'set', 'map'])];
  }
  if (node.type !== 'array') {
    errors.push(
      FieldError.invalid(`${path}.type`, node.type ?? '', 'must be array if x-kubernetes-list-type is specified'),
    );
    return errors;
  }
  const items = isRecord(node.items) ? (node.items as JSONSchemaProps) : undefined;
  if (listType === 'set' && items && (items.type === 'object' || items.type === 'array')) {
    errors.push(
      FieldError.invalid(`${path}.items.type`, items.type, 'must be a scalar type if x-kubernetes-list-type is set'),
    );
  }
  if (listType === 'map') {
    if (!Array.isArray(keys) || keys.length === 0) {
      errors.push(
        FieldError.required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'),
      );
    } else if (items?.type !== 'object') {
      errors.push(
        FieldError.invalid(`${path}.items.type`, items?.type ?? '', 'must be object if x-kubernetes-list-type is map'),
      );
    } else {
      for (const key of keys) {
        const field = items.properties?.[key];
        if (!field) {
          errors.push(
            FieldError.invalid(`${path}.x-kubernetes-list-map-keys`, keys, `entry ${key} must be a field of the items`),
          );
        } else if (!(items.required ?? []).includes(key) && !('default' in field)) {
          errors.push(
            FieldError.required(
              `${path}.items.properties[${key}]`,
              'all map keys must be required or have a default value',
            ),
          );
        }
      }
    }
  } else if (keys !== undefined) {
    errors.push(
      FieldError.forbidden(`${path}.x-kubernetes-list-map-keys`, 'must be empty if x-kubernetes-list-type is not map'),
    );
  }
  return errors;
}
