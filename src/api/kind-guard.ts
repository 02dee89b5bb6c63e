/**
 * Type guards for the kinds the controllers read, one per kind (`isShoot`, `isEtcd`, …), built
 * from a short description of the fields the code relies on. Objects travel as untyped JSON and
 * keep every field a client sent; a guard checks only what the kind's TypeScript interface
 * declares (apiVersion and kind where set, `spec` and `status` objects, the types of the fields
 * read, Gardener's closed value sets), so that code past it reads `shoot.spec.seedName` instead of
 * looking a path up and testing what it found.
 *
 * A guard also says why an object is not of its kind (`isShoot.problem(obj)`:
 * `status.lastOperation.type: "Foo" is not one of Create, Reconcile, …`): the clients
 * (src/client/client.ts `checked`) put that into the error they answer a malformed object with.
 * Checks stop at the first problem and walk only the declared fields, so a guard costs about as
 * much as the lookups it replaces.
 */
import { isRecord, type KubeObject } from './meta.js';

/** Why `value` (found at `path`) cannot be relied on, or undefined when it can. */
export type Check = (value: unknown, path: string) => string | undefined;

/** A type guard for one kind, which can also say what is wrong with an object that is not one. */
export interface KindGuard<T extends KubeObject> {
  (obj: unknown): obj is T;
  /** The first field that does not match, as `path: what is wrong`; undefined when `obj` is a `T`. */
  problem(obj: unknown): string | undefined;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}

function expected(what: string): Check {
  return (value, path) => `${path}: must be ${what}, not ${describe(value)}`;
}

export const aString: Check = (value, path) =>
  typeof value === 'string' ? undefined : expected('a string')(value, path);

export const aBoolean: Check = (value, path) =>
  typeof value === 'boolean' ? undefined : expected('a boolean')(value, path);

export const aNumber: Check = (value, path) =>
  typeof value === 'number' && Number.isFinite(value) ? undefined : expected('a number')(value, path);

/** Kubernetes' IntOrString (`maxSurge: 1` or `maxSurge: 25%`). */
export const anIntOrString: Check = (value, path) =>
  (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'string'
    ? undefined
    : expected('an integer or a string')(value, path);

/** Any JSON object (free-form fields such as `providerConfig` or an extension's `status.state`). */
export const anObject: Check = (value, path) => (isRecord(value) ? undefined : expected('an object')(value, path));

/** An object of strings (labels, annotations). */
export const aStringMap: Check = (value, path) => {
  if (!isRecord(value)) return expected('a map of strings')(value, path);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') return `${path}.${key}: must be a string, not ${describe(entry)}`;
  }
  return undefined;
};

/** One of a closed set of strings. */
export function oneOf(values: readonly string[]): Check {
  return (value, path) =>
    typeof value === 'string' && values.includes(value)
      ? undefined
      : `${path}: ${describe(value)} is not one of ${values.join(', ')}`;
}

/** Absent (undefined), or what `check` accepts. */
export function optional(check: Check): Check {
  return (value, path) => (value === undefined ? undefined : check(value, path));
}

/** null (a Go pointer's "unset", e.g. `status.seedName` after a Migrate), or what `check` accepts. */
export function nullable(check: Check): Check {
  return (value, path) => (value === null ? undefined : check(value, path));
}

/** A list whose every entry `check` accepts. */
export function listOf(check: Check): Check {
  return (value, path) => {
    if (!Array.isArray(value)) return expected('a list')(value, path);
    for (let i = 0; i < value.length; i++) {
      const problem = check(value[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/**
 * An object whose listed fields `fields` accept (every other field may be anything). Keys are
 * those of `T`, so a misspelt field name does not compile.
 */
export function shape<T>(fields: { readonly [K in keyof T]?: Check }): Check {
  const entries = Object.entries(fields) as [string, Check][];
  return (value, path) => {
    if (!isRecord(value)) return expected('an object')(value, path);
    for (const [field, check] of entries) {
      const problem = check(value[field], path ? `${path}.${field}` : field);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** Whether `value` passes `check`: for readers of one part of an object that has not been through a guard. */
export function conforms<T>(check: Check, value: unknown): value is T {
  return check(value, '') === undefined;
}

/**
 * The guard of a kind: an object with `metadata`, whose `apiVersion` and `kind` (when set: a
 * create may leave them to the client) are the kind's, and whose `fields` (`spec`, `status`)
 * pass their checks (kinds without a spec, such as SecretBinding, name their top-level fields).
 */
export function kindGuard<T extends KubeObject>(
  apiVersion: string,
  kind: string,
  fields: Readonly<Record<string, Check>>,
): KindGuard<T> {
  const check = shape<Record<string, unknown>>({
    apiVersion: optional(oneOf([apiVersion])),
    kind: optional(oneOf([kind])),
    metadata: anObject,
    ...fields,
  });
  const problem = (obj: unknown) => check(obj, '');
  return Object.assign((obj: unknown): obj is T => problem(obj) === undefined, { problem });
}
