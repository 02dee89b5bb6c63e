/**
 * The field structure of the built-in kinds, read from the type declarations kubernetes-models
 * ships (`<group>/<version>/<Kind>.d.ts`): which fields each object type has, what they hold
 * (object, list, map, string, integer, int-or-string …), and their descriptions. The compiled
 * validators (schema-validation.ts) check types but keep no field lists and have no
 * descriptions; these declarations, generated from the same OpenAPI documents, have both. They are
 * used to drop unknown fields as Kubernetes' decoder does (and name them for
 * `fieldValidation=Warn|Strict`) and to describe the kinds in OpenAPI for `kubectl explain`.
 *
 * The declarations follow one generated pattern — `export interface IName { /** doc *\/
 * "field"?: Type; }` with `import { IOther } from "./Other"` — and the package is pinned
 * (4.5.1); test/registry/builtin/model-types.test.ts reads every kind. An interface without fields
 * (RawExtension, FieldsV1, JSON) and any type this reader does not know holds anything.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { modelPath } from './schema-validation.js';

const require = createRequire(import.meta.url);

export type FieldType =
  | {
      kind: 'object';
      /** Unique per type: where it is declared (`kubernetes-models.apps.v1.DeploymentSpec`). */
      id: string;
      name: string;
      description: string;
      fields: () => ReadonlyMap<string, Field>;
    }
  | { kind: 'array'; items: FieldType }
  | { kind: 'map'; values: FieldType }
  | {
      kind: 'scalar';
      type: 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string';
      enum?: string[];
      /** OpenAPI's `format` (`date-time`, `byte`, `duration`), for `kubectl explain`. */
      format?: string;
    }
  | { kind: 'any' };

export interface Field {
  type: FieldType;
  description: string;
  required: boolean;
}

const anyType: FieldType = { kind: 'any' };

/** The object type of a kind (`Deployment`), its fields read when first needed. */
export function kindType(ref: { group: string; version: string; kind: string }): FieldType {
  const path = modelPath(ref);
  let file = kindFiles.get(path);
  if (!file) {
    // Resolved once per kind: every write of the kind prunes by it, and resolving stats files.
    file = require.resolve(`kubernetes-models/${path}`).replace(/\.js$/, '.d.ts');
    kindFiles.set(path, file);
  }
  return objectType(file);
}

/** Model path (`apps/v1/Deployment`) → its declaration file. */
const kindFiles = new Map<string, string>();

/**
 * The object type a kubernetes-models declaration describes, by module specifier
 * (`@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta`, `kubernetes-models/v1/Taint`): how
 * kinds described elsewhere (Gardener's) reuse Kubernetes' own types.
 */
export function declaredType(specifier: string): FieldType {
  return objectType(declarationOf(specifier));
}

interface Declarations {
  /** Imported name → the declaration file it comes from. */
  imports: Map<string, string>;
  /** The file's interface: its name, description and raw members. */
  name: string;
  description: string;
  members: { name: string; optional: boolean; type: string; description: string }[];
  /** `export declare type I… = …` of a file that has no interface. */
  alias?: string;
}

const files = new Map<string, Declarations>();
const objects = new Map<string, FieldType>();

function objectType(file: string): FieldType {
  const cached = objects.get(file);
  if (cached) return cached;
  const declarations = read(file);
  let type: FieldType;
  if (declarations.alias !== undefined) type = parseType(declarations.alias, file, declarations);
  else if (declarations.members.length === 0) type = anyType;
  else {
    let fields: Map<string, Field> | undefined;
    type = {
      kind: 'object',
      id: file
        .slice(file.lastIndexOf('node_modules/') + 'node_modules/'.length)
        .replace(/\.d\.ts$/, '')
        .replace(/^@/, '')
        .replaceAll('/', '.'),
      name: declarations.name,
      description: declarations.description,
      fields: () => {
        fields ??= new Map(
          declarations.members.map((m) => [
            m.name,
            { type: parseType(m.type, file, declarations), description: m.description, required: !m.optional },
          ]),
        );
        return fields;
      },
    };
  }
  objects.set(file, type);
  return type;
}

function read(file: string): Declarations {
  const cached = files.get(file);
  if (cached) return cached;
  const text = readFileSync(file, 'utf8');
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    const [, name, from] = m as unknown as [string, string, string];
    imports.set(name, from.startsWith('.') ? `${resolve(dirname(file), from)}.d.ts` : declarationOf(from));
  }
  const header = /(?:\/\*\*([\s\S]*?)\*\/\s*)?export interface (\w+)(?: extends [\w, ]+)? \{/.exec(text);
  const declarations: Declarations = { imports, name: '', description: '', members: [] };
  if (!header) {
    const alias = /export declare type \w+ = ([^;]+);/.exec(text);
    declarations.alias = alias?.[1] ?? 'any';
  } else {
    declarations.name = header[2]!.replace(/^I/, '');
    declarations.description = docText(header[1]);
    declarations.members = members(
      text.slice(header.index + header[0].length, closingBrace(text, header.index + header[0].length)),
    );
  }
  files.set(file, declarations);
  return declarations;
}

function declarationOf(specifier: string): string {
  return require.resolve(specifier).replace(/\.js$/, '.d.ts');
}

/** The index of the `}` closing the block that starts at `from`. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return i;
  }
  return text.length;
}

/** `/** doc *\/ "name"?: Type;` members of an interface body. */
function members(body: string): Declarations['members'] {
  const out: Declarations['members'] = [];
  const member = /(?:\/\*\*([\s\S]*?)\*\/\s*)?"([^"]+)"(\?)?:\s*/g;
  let match = member.exec(body);
  while (match) {
    const start = member.lastIndex;
    let depth = 0;
    let end = start;
    for (; end < body.length; end++) {
      const ch = body[end];
      if (ch === '{' || ch === '<' || ch === '(' || ch === '[') depth++;
      else if (ch === '}' || ch === '>' || ch === ')' || ch === ']') depth--;
      else if (ch === ';' && depth === 0) break;
    }
    out.push({
      name: match[2]!,
      optional: match[3] === '?',
      type: body.slice(start, end).trim(),
      description: docText(match[1]),
    });
    member.lastIndex = end + 1;
    match = member.exec(body);
  }
  return out;
}

function docText(doc: string | undefined): string {
  if (!doc) return '';
  return doc
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n')
    .trim();
}

/** A member's type expression as a field type. */
function parseType(expression: string, file: string, declarations: Declarations): FieldType {
  const type = expression.replace(/\s+/g, ' ').trim();
  const array = /^Array<(.*)>$/.exec(type);
  if (array) return { kind: 'array', items: parseType(array[1]!, file, declarations) };
  const map = /^\{ \[key: string\]: (.*?);? \}$/.exec(type);
  if (map) return { kind: 'map', values: parseType(map[1]!, file, declarations) };
  if (type === 'string' || /^\w+\["(kind|apiVersion)"\]$/.test(type)) return { kind: 'scalar', type: 'string' };
  if (type === 'number') return { kind: 'scalar', type: 'integer' };
  if (type === 'boolean') return { kind: 'scalar', type: 'boolean' };
  if (type === 'string | number' || type === 'number | string') return { kind: 'scalar', type: 'int-or-string' };
  if (/^"[^"]*"( \| "[^"]*")*$/.test(type)) {
    return { kind: 'scalar', type: 'string', enum: [...type.matchAll(/"([^"]*)"/g)].map((m) => m[1]!) };
  }
  if (/^\w+$/.test(type)) {
    const imported = declarations.imports.get(type);
    if (imported) return objectType(imported);
    if (type === `I${declarations.name}`) return objectType(file);
  }
  return anyType;
}

/**
 * The object type that declares the field at `path` (field names; list items need no index), and
 * the field's name: where a list's merge facts are looked up.
 */
export function declaringType(type: FieldType, path: readonly string[]): { id: string; field: string } | undefined {
  let current: FieldType = type;
  for (let i = 0; i < path.length; i++) {
    while (current.kind === 'array') current = current.items;
    if (current.kind === 'map') {
      current = current.values; // this segment is a key of the map
      continue;
    }
    if (current.kind !== 'object') return undefined;
    if (i === path.length - 1) return { id: current.id, field: path[i]! };
    const field = current.fields().get(path[i]!);
    if (!field) return undefined;
    current = field.type;
  }
  return undefined;
}

/**
 * Drops the fields of `value` its type does not have, in place, and returns their paths
 * (`spec.replicass`), as Kubernetes' decoder drops unknown fields of built-in kinds.
 */
export function pruneUnknownFields(value: unknown, type: FieldType, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  switch (type.kind) {
    case 'object': {
      if (Array.isArray(value)) return [];
      const fields = type.fields();
      const record = value as Record<string, unknown>;
      const unknown: string[] = [];
      for (const key of Object.keys(record)) {
        const field = fields.get(key);
        const at = path ? `${path}.${key}` : key;
        if (!field) {
          unknown.push(at);
          delete record[key];
        } else unknown.push(...pruneUnknownFields(record[key], field.type, at));
      }
      return unknown;
    }
    case 'array':
      return Array.isArray(value)
        ? value.flatMap((item, i) => pruneUnknownFields(item, type.items, `${path}[${i}]`))
        : [];
    case 'map':
      return Array.isArray(value)
        ? []
        : Object.entries(value).flatMap(([key, item]) => pruneUnknownFields(item, type.values, `${path}[${key}]`));
    default:
      return [];
  }
}
