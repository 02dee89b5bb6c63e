/**
 * Validation of custom resources against a version's structural schema (Kubernetes'
 * kube-openapi validation of CRs), through ajv: the CRD schema is rewritten into ajv's dialect
 * (`x-kubernetes-int-or-string` → integer or string, OpenAPI's boolean exclusive bounds →
 * numbers, the root's metadata left to the server's own checks), patterns are RE2 as in Go, and
 * formats are Kubernetes' (unknown ones pass, as Kubernetes ignores them). ajv's errors become
 * field errors in Kubernetes' words: `spec.replicas: Invalid value: "string": spec.replicas in
 * body must be of type integer: "string"`.
 */
import { RE2JS } from '@bufbuild/re2';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JSONSchemaProps } from '../../api/apiextensions/crd.js';
import { FieldError } from '../../api/errors.js';
import { isRecord } from '../../api/meta.js';

type Json = Record<string, unknown>;

/** Go's time.ParseDuration syntax (Kubernetes' `duration` format), not ISO 8601's. */
const goDuration = /^[-+]?(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+$|^0$/;

/**
 * Patterns compiled by RE2, as Kubernetes' Go regexp reads them (no lookaround, `\z` allowed).
 * ajv tells compiled patterns apart by their `toString()`, as it would RegExps.
 */
const re2: ((pattern: string) => { test(s: string): boolean }) & { code: string } = Object.assign(
  (pattern: string) => {
    const compiled = RE2JS.compile(pattern);
    return { test: (s: string) => compiled.test(s), toString: () => `/${pattern}/` };
  },
  { code: 're2' },
);

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, logger: false, code: { regExp: re2 } });
  // ajv-formats is CommonJS; under NodeNext its default export sits on `.default`.
  const module = addFormatsModule as unknown as { default?: (ajv: Ajv) => Ajv };
  (module.default ?? (addFormatsModule as unknown as (ajv: Ajv) => Ajv))(ajv);
  ajv.addFormat('duration', goDuration);
  ajv.addFormat('datetime', ajv.formats['date-time'] as RegExp);
  ajv.addFormat('cidr', /^([0-9.]+\/\d{1,2}|[0-9a-fA-F:.]+\/\d{1,3})$/);
  ajv.addFormat('mac', /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/);
  for (const name of ['uuid3', 'uuid4', 'uuid5']) ajv.addFormat(name, ajv.formats.uuid as RegExp);
  return ajv;
}

let shared: Ajv | undefined;

export type SchemaValidator = (obj: unknown) => FieldError[];

/**
 * Validators by schema text. Compiling a large real-world schema takes ajv seconds (the
 * prometheus-operator CRDs); the CRD controller rebuilds a CRD's API on every change of the
 * CRD, status included, so an unchanged schema keeps its validator.
 */
const compiled = new Map<string, SchemaValidator>();
const compiledLimit = 64;

/** A validator of one version's objects; throws when the schema does not compile (a bad pattern). */
export function compileSchemaValidator(schema: JSONSchemaProps): SchemaValidator {
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached) return cached;
  shared ??= newAjv();
  const root = toAjv(schema) as Json;
  if (isRecord(root.properties)) delete root.properties.metadata;
  const validate: ValidateFunction = shared.compile(root);
  // ajv caches every schema it compiled; this module keeps its own, bounded, cache instead.
  shared.removeSchema(root);
  const validator: SchemaValidator = (obj) =>
    validate(obj) ? [] : (validate.errors ?? []).flatMap((e) => toFieldErrors(e, obj));
  if (compiled.size >= compiledLimit) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, validator);
  return validator;
}

/** The patterns of a schema RE2 does not accept (Go's regexp syntax), at `<path>…pattern`. */
export function patternErrors(schema: JSONSchemaProps, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (node: JSONSchemaProps, at: string) => {
    if (typeof node.pattern === 'string') {
      try {
        RE2JS.compile(node.pattern);
      } catch (err) {
        errors.push(FieldError.invalid(`${at}.pattern`, node.pattern, (err as Error).message));
      }
    }
    for (const [name, child] of Object.entries(node.properties ?? {})) visit(child, `${at}.properties[${name}]`);
    if (isRecord(node.items)) visit(node.items as JSONSchemaProps, `${at}.items`);
    if (isRecord(node.additionalProperties))
      visit(node.additionalProperties as JSONSchemaProps, `${at}.additionalProperties`);
    for (const junctor of ['allOf', 'anyOf', 'oneOf'] as const) {
      for (const [i, sub] of (node[junctor] ?? []).entries()) visit(sub, `${at}.${junctor}[${i}]`);
    }
    if (node.not) visit(node.not, `${at}.not`);
  };
  visit(schema, path);
  return errors;
}

/** The CRD schema node in ajv's dialect. */
function toAjv(node: JSONSchemaProps): Json {
  const out: Json = {};
  const copied = [
    'type',
    'format',
    'enum',
    'pattern',
    'minimum',
    'maximum',
    'minLength',
    'maxLength',
    'minItems',
    'maxItems',
    'minProperties',
    'maxProperties',
    'multipleOf',
    'uniqueItems',
    'required',
    'nullable',
  ] as const;
  for (const key of copied) if (node[key] !== undefined) out[key] = node[key];
  if (node['x-kubernetes-int-or-string']) out.type = ['integer', 'string'];
  if (node.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (node.exclusiveMinimum && node.minimum !== undefined) {
    out.exclusiveMinimum = node.minimum;
    delete out.minimum;
  }
  if (node.exclusiveMaximum && node.maximum !== undefined) {
    out.exclusiveMaximum = node.maximum;
    delete out.maximum;
  }
  if (node.properties)
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, toAjv(v)]));
  if (node.items) out.items = toAjv(node.items);
  if (isRecord(node.additionalProperties))
    out.additionalProperties = toAjv(node.additionalProperties as JSONSchemaProps);
  for (const junctor of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (node[junctor]) out[junctor] = node[junctor].map(toAjv);
  }
  if (node.not) out.not = toAjv(node.not);
  return out;
}

/** Kubernetes' name of a JSON value's type in its messages. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** `/spec/ports/0/name` → `spec.ports[0].name`, indexes where the data holds lists. */
function fieldPath(instancePath: string, root: unknown): string {
  let path = '';
  let at: unknown = root;
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) {
      path += `[${segment}]`;
      at = at[Number(segment)];
    } else {
      path += path ? `.${segment}` : segment;
      at = isRecord(at) ? at[segment] : undefined;
    }
  }
  return path;
}

function toFieldErrors(error: ErrorObject, root: unknown): FieldError[] {
  const path = fieldPath(error.instancePath, root);
  const value = error.data;
  const params = error.params as Record<string, unknown>;
  const inBody = `${path} in body`;
  switch (error.keyword) {
    case 'type': {
      const expected = String(params.type)
        .split(',')
        .filter((t) => t !== 'null');
      const actual = jsonTypeName(value);
      return [FieldError.typeInvalid(path, actual, `${inBody} must be of type ${expected.join(',')}: "${actual}"`)];
    }
    case 'required': {
      const missing = String(params.missingProperty);
      return [FieldError.required(path ? `${path}.${missing}` : missing)];
    }
    case 'enum':
      return [
        FieldError.notSupported(
          path,
          value,
          (params.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
        ),
      ];
    case 'format':
      return [
        FieldError.invalid(path, value, `${inBody} must be of type ${String(params.format)}: ${JSON.stringify(value)}`),
      ];
    case 'pattern':
      return [FieldError.invalid(path, value, `${inBody} should match '${String(params.pattern)}'`)];
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const direction = error.keyword.toLowerCase().includes('min') ? 'greater than' : 'less than';
      const orEqual = error.keyword.startsWith('exclusive') ? '' : ' or equal to';
      return [FieldError.invalid(path, value, `${inBody} should be ${direction}${orEqual} ${String(params.limit)}`)];
    }
    case 'maxLength':
      return [
        { type: 'FieldValueTooLong', path, value, message: `Too long: may not be longer than ${String(params.limit)}` },
      ];
    case 'minLength':
      return [FieldError.invalid(path, value, `${inBody} should be at least ${String(params.limit)} chars long`)];
    case 'maxItems':
      return [
        {
          type: 'FieldValueInvalid',
          path,
          message: `Too many: ${(value as unknown[]).length}: must have at most ${String(params.limit)} items`,
        },
      ];
    case 'minItems':
      return [FieldError.invalid(path, value, `${inBody} should have at least ${String(params.limit)} items`)];
    case 'maxProperties':
      return [FieldError.invalid(path, value, `${inBody} should have at most ${String(params.limit)} properties`)];
    case 'minProperties':
      return [FieldError.invalid(path, value, `${inBody} should have at least ${String(params.limit)} properties`)];
    case 'multipleOf':
      return [FieldError.invalid(path, value, `${inBody} should be a multiple of ${String(params.multipleOf)}`)];
    case 'uniqueItems':
      return [FieldError.invalid(path, value, `${inBody} shouldn't contain duplicates`)];
    case 'oneOf':
      return [FieldError.invalid(path, value, `${inBody} must validate one and only one schema (oneOf)`)];
    case 'anyOf':
      return [FieldError.invalid(path, value, `${inBody} must validate at least one schema (anyOf)`)];
    case 'not':
      return [FieldError.invalid(path, value, `${inBody} must not validate the schema (not)`)];
    default:
      return [FieldError.invalid(path, value, `${inBody} ${error.message ?? 'is invalid'}`)];
  }
}
