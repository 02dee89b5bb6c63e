/**
 * Checks an object of a built-in kind against Kubernetes' OpenAPI schema of it, through the
 * kubernetes-models package (its compiled ajv validators; schemas of 1.33, which keep every kind
 * of 1.31), and turns what the schema refuses into Kubernetes field errors: `spec.replicas:
 * Invalid value: "string": spec.replicas in body must be of type integer: "string"`, as the API
 * server words a schema error.
 *
 * Each kind's model is loaded on first use (`require`, synchronous because strategies are): the
 * first one costs ~45 ms (ajv and the shared schemas), later ones a few milliseconds, a check
 * ~10 µs. What the schemas cannot say is left to the semantic checks beside the kinds
 * (src/api/core, src/api/apps, src/api/batch …): name formats, selectors, immutable fields.
 * The validators let unknown fields pass (kubernetes-models drops `additionalProperties`);
 * model-types.ts finds and drops them from the kinds' type declarations.
 */
import { createRequire } from 'node:module';
import { FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';

const require = createRequire(import.meta.url);

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

type Validate = (this: unknown) => void;

const validators = new Map<string, Validate>();

/** The kubernetes-models module path of a kind: `v1/Pod`, `apps/v1/Deployment`. */
export function modelPath(ref: { group: string; version: string; kind: string }): string {
  return ref.group ? `${ref.group}/${ref.version}/${ref.kind}` : `${ref.version}/${ref.kind}`;
}

function validatorOf(ref: { group: string; version: string; kind: string }): Validate {
  const path = modelPath(ref);
  let validate = validators.get(path);
  if (!validate) {
    const model = (require(`kubernetes-models/${path}`) as Record<string, { prototype: { validate: Validate } }>)[
      ref.kind
    ];
    if (!model) throw new TypeError(`kubernetes-models has no ${path}`);
    validate = model.prototype.validate;
    validators.set(path, validate);
  }
  return validate;
}

/** What the kind's schema refuses in `obj` (apiVersion and kind must already be set). */
export function schemaErrors(ref: { group: string; version: string; kind: string }, obj: KubeObject): FieldError[] {
  try {
    validatorOf(ref).call(obj);
    return [];
  } catch (err) {
    const errors = (err as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) throw err;
    return toFieldErrors(errors as AjvError[], obj);
  }
}

/**
 * One field error per refused field. An int-or-string (`anyOf` integer, string) reports each
 * branch too; only the `anyOf` is kept for that path.
 */
export function toFieldErrors(errors: readonly AjvError[], obj: unknown): FieldError[] {
  const alternatives = new Set(
    errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath),
  );
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors) {
    if (alternatives.has(error.instancePath) && error.keyword !== 'anyOf' && error.keyword !== 'oneOf') continue;
    const fieldError = toFieldError(error, obj);
    const key = `${fieldError.type}:${fieldError.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(fieldError);
  }
  return out;
}

function toFieldError(error: AjvError, obj: unknown): FieldError {
  const segments = pointerSegments(error.instancePath);
  const path = fieldPath(segments);
  const value = valueAt(obj, segments);
  switch (error.keyword) {
    case 'required': {
      const missing = String(error.params.missingProperty ?? '');
      return FieldError.required(path ? `${path}.${missing}` : missing);
    }
    case 'enum':
      return FieldError.notSupported(path, value, ((error.params.allowedValues as unknown[]) ?? []).map(String));
    case 'type':
      return typeError(path, value, String(error.params.type));
    case 'anyOf':
    case 'oneOf':
      return typeError(path, value, 'integer or string');
    case 'format':
      return typeError(path, value, String(error.params.format));
    default:
      return FieldError.invalid(path, value, `${path} in body ${error.message ?? `fails ${error.keyword}`}`);
  }
}

/** Kubernetes' wording of a schema type error: the value's JSON type, then what the schema wants. */
function typeError(path: string, value: unknown, wanted: string): FieldError {
  const actual = jsonType(value);
  return {
    type: 'FieldValueTypeInvalid',
    path,
    value,
    message: `Invalid value: "${actual}": ${path} in body must be of type ${wanted}: "${actual}"`,
  };
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** `/spec/template/spec/containers/0/ports/0` → its segments, unescaped (RFC 6901). */
function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Kubernetes' field path: `spec.template.spec.containers[0].ports[0]`. */
export function fieldPath(segments: readonly string[]): string {
  let path = '';
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path ? `.${segment}` : segment;
  }
  return path;
}

function valueAt(obj: unknown, segments: readonly string[]): unknown {
  let value: unknown = obj;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
