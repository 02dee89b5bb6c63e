/**
 * Gardener's API types as tables: per Go struct, its JSON field names and their types in a short
 * notation, optionally with a description. A table becomes the same field structure the built-in
 * kinds get from kubernetes-models (`FieldType`, ../builtin/model-types.ts), so Gardener's kinds
 * reuse what the built-in kinds already have: unknown fields dropped as Kubernetes' decoder drops
 * them (named for `fieldValidation=Warn|Strict`), and the OpenAPI schema `kubectl explain` reads.
 *
 * The notation of a field's type (a trailing `!` marks a field Gardener's OpenAPI requires):
 * - `string`, `boolean`, `integer`, `number`; `time` (RFC 3339), `duration` (Go's, `1h30m`),
 *   `bytes` (base64), `quantity` (`500m`, `1Gi`), `int-or-string`;
 * - `raw`: a `runtime.RawExtension` (a provider's configuration): any JSON, kept as sent;
 * - `[]T` a list, `map:T` a map with string keys;
 * - `k8s:<group>/<Kind>` a Kubernetes type (`k8s:core/ObjectReference`, `k8s:meta/LabelSelector`);
 * - `<table>:<Type>` a type of another table (`core:Condition` from extensions.gardener.cloud);
 * - any other name: a struct of the same table.
 *
 * A field named `...` embeds the struct it names (Go's `json:",inline"`): its fields are the
 * struct's own (the extension kinds' `DefaultSpec` and `DefaultStatus`).
 */
import { declaredType, type Field, type FieldType } from '../builtin/model-types.js';

/** A field's type in the notation above, alone or with a description for `kubectl explain`. */
export type FieldSpec = string | readonly [type: string, description: string];

export interface TypeTable {
  /** Prefix of the component names (Gardener's Go package: `com.github.gardener.gardener.pkg.apis.core.v1beta1`). */
  readonly id: string;
  /** Descriptions of types, shown above their fields (a kind's at the top of `kubectl explain shoot`). */
  readonly descriptions: Readonly<Record<string, string>>;
  /** Struct name → field name → type. */
  readonly types: Readonly<Record<string, Readonly<Record<string, FieldSpec>>>>;
}

/** Where kubernetes-models declares the Kubernetes types the tables name. */
const kubernetesModules: Readonly<Record<string, string>> = {
  meta: '@kubernetes-models/apimachinery/apis/meta/v1',
  core: 'kubernetes-models/v1',
  autoscaling: 'kubernetes-models/autoscaling/v1',
  rbac: 'kubernetes-models/rbac.authorization.k8s.io/v1',
};

const scalars: Readonly<Record<string, FieldType>> = {
  string: { kind: 'scalar', type: 'string' },
  boolean: { kind: 'scalar', type: 'boolean' },
  integer: { kind: 'scalar', type: 'integer' },
  number: { kind: 'scalar', type: 'number' },
  time: { kind: 'scalar', type: 'string', format: 'date-time' },
  duration: { kind: 'scalar', type: 'string', format: 'duration' },
  bytes: { kind: 'scalar', type: 'string', format: 'byte' },
  quantity: { kind: 'scalar', type: 'int-or-string' },
  'int-or-string': { kind: 'scalar', type: 'int-or-string' },
  raw: { kind: 'any' },
};

/** The root fields every kind has besides those its table lists. */
const typeMetaFields: ReadonlyMap<string, Field> = new Map([
  [
    'apiVersion',
    {
      type: scalars.string!,
      description: 'Versioned schema of this representation of an object.',
      required: false,
    },
  ],
  ['kind', { type: scalars.string!, description: 'REST resource this object represents.', required: false }],
]);

/** The field name that embeds a struct. */
const INLINE = '...';

/** The field types of one table, built when first asked for and kept. */
export class FieldTypes {
  readonly #table: TypeTable;
  readonly #others: Readonly<Record<string, FieldTypes>>;
  readonly #objects = new Map<string, FieldType>();

  /** `others`: the tables `<name>:<Type>` refers to, by name. */
  constructor(table: TypeTable, others: Readonly<Record<string, FieldTypes>> = {}) {
    this.#table = table;
    this.#others = others;
  }

  /** The object type of a kind: its struct's fields plus apiVersion and kind. */
  kind(name: string): FieldType {
    return this.#object(name, typeMetaFields);
  }

  /** The object type of a struct of this table. */
  object(name: string): FieldType {
    return this.#object(name, new Map());
  }

  #object(name: string, extra: ReadonlyMap<string, Field>): FieldType {
    const key = extra.size > 0 ? `${name}#kind` : name;
    const cached = this.#objects.get(key);
    if (cached) return cached;
    const specs = this.#table.types[name];
    if (!specs) throw new Error(`${this.#table.id}: no type ${name}`);
    let fields: Map<string, Field> | undefined;
    const type: FieldType = {
      kind: 'object',
      id: `${this.#table.id}.${name}`,
      name,
      description: this.#table.descriptions[name] ?? '',
      fields: () => {
        fields ??= new Map([...extra, ...this.#fieldsOf(specs)]);
        return fields;
      },
    };
    this.#objects.set(key, type);
    return type;
  }

  #fieldsOf(specs: Readonly<Record<string, FieldSpec>>): [string, Field][] {
    return Object.entries(specs).flatMap(([field, spec]): [string, Field][] => {
      if (field !== INLINE) return [[field, this.#field(spec)]];
      const embedded = this.#table.types[typeof spec === 'string' ? spec : spec[0]];
      if (!embedded) throw new Error(`${this.#table.id}: no type ${String(spec)} to embed`);
      return this.#fieldsOf(embedded);
    });
  }

  #field(spec: FieldSpec): Field {
    const [notation, description] = typeof spec === 'string' ? [spec, ''] : spec;
    const required = notation.endsWith('!');
    return { type: this.#parse(required ? notation.slice(0, -1) : notation), description, required };
  }

  #parse(notation: string): FieldType {
    if (notation.startsWith('[]')) return { kind: 'array', items: this.#parse(notation.slice(2)) };
    if (notation.startsWith('map:')) return { kind: 'map', values: this.#parse(notation.slice(4)) };
    const scalar = scalars[notation];
    if (scalar) return scalar;
    const colon = notation.indexOf(':');
    if (colon < 0) return this.object(notation);
    const [prefix, name] = [notation.slice(0, colon), notation.slice(colon + 1)];
    if (prefix === 'k8s') {
      const [group, kind] = name.split('/') as [string, string];
      return declaredType(`${kubernetesModules[group]}/${kind}`);
    }
    const other = this.#others[prefix];
    if (!other) throw new Error(`${this.#table.id}: unknown table ${prefix} in ${notation}`);
    return other.object(name);
  }
}
