/**
 * A built-in kind's OpenAPI v3 schema, with every object type it references as a component,
 * from its field structure (model-types.ts): what `kubectl explain deployment.spec` reads —
 * descriptions, types, required fields, enums, lists, maps, int-or-strings. Built when a client
 * first asks for the group version's document.
 */
import type { Field, FieldType } from './model-types.js';

type Json = Record<string, unknown>;

export interface KindSchema {
  /** The kind's own schema. */
  schema: Json;
  /** Every object type it references, by component name. */
  components: Record<string, Json>;
}

/** The schema of `type` (an object type) and of every object type reachable from it. */
export function kindSchema(type: FieldType): KindSchema {
  const components: Record<string, Json> = {};
  const pending: Extract<FieldType, { kind: 'object' }>[] = [];
  const ref = (object: Extract<FieldType, { kind: 'object' }>) => {
    if (!(object.id in components)) {
      components[object.id] = {};
      pending.push(object);
    }
    return `#/components/schemas/${object.id}`;
  };
  const schemaOf = (field: FieldType, description: string): Json => {
    const described = description ? { description } : {};
    switch (field.kind) {
      case 'object':
        return { ...described, allOf: [{ $ref: ref(field) }] };
      case 'array':
        return { ...described, type: 'array', items: schemaOf(field.items, '') };
      case 'map':
        return { ...described, type: 'object', additionalProperties: schemaOf(field.values, '') };
      case 'scalar':
        if (field.type === 'int-or-string') {
          return { ...described, 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
        }
        return {
          ...described,
          type: field.type,
          ...(field.format ? { format: field.format } : {}),
          ...(field.enum ? { enum: field.enum } : {}),
        };
      default:
        return { ...described, type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
  };
  const objectSchema = (object: Extract<FieldType, { kind: 'object' }>): Json => {
    const fields: [string, Field][] = [...object.fields()];
    const required = fields.filter(([, f]) => f.required).map(([name]) => name);
    return {
      type: 'object',
      ...(object.description ? { description: object.description } : {}),
      properties: Object.fromEntries(fields.map(([name, f]) => [name, schemaOf(f.type, f.description)])),
      ...(required.length > 0 ? { required } : {}),
    };
  };
  if (type.kind !== 'object') return { schema: schemaOf(type, ''), components };
  components[type.id] = {};
  const schema = objectSchema(type);
  delete components[type.id];
  for (let next = pending.shift(); next; next = pending.shift()) {
    if (next.id !== type.id) components[next.id] = objectSchema(next);
  }
  return { schema, components };
}
