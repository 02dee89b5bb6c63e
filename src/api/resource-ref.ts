/**
 * Plain references to the resources of an API: what a client needs to address a kind (group,
 * version, plural, scope) and, for the type checker, the shape of its objects. A reference holds
 * no server behaviour (strategies, columns, schemas): those live in the registry
 * (`src/registry/`), which builds a kind's definition from its reference.
 *
 * A typed kind's reference carries its guard (`is`): the clients narrow every object they read
 * through it, so `client.resource(shootResource).get(…)` answers a checked `Shoot`.
 */
import { type Check, type KindGuard, kindGuard } from './kind-guard.js';
import type { KubeObject } from './meta.js';

/** Addresses one resource; `T` is the object type its clients read and write. */
export interface ResourceRef<T extends KubeObject = KubeObject> {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Lower-case plural: the URL segment (`shoots`). */
  readonly plural: string;
  readonly namespaced: boolean;
  /**
   * The kind's guard: what the clients check an object they read against before answering it as
   * a `T`. Kinds without one (core and RBAC kinds) are read as `T` unchecked.
   */
  readonly is?: KindGuard<T>;
  /** Never set: it only carries `T` for the type checker. */
  readonly __object?: T;
}

/** A frozen reference to a resource whose objects have type `T`. */
export function resourceRef<T extends KubeObject = KubeObject>(ref: KindNames & { is?: KindGuard<T> }): ResourceRef<T> {
  return Object.freeze({ ...ref });
}

/**
 * The same resource without its guard: objects read through it are not checked. For readers that
 * need only what every object has (names, labels, metadata) — informers enqueueing keys, the
 * namespace controller deleting by name — so that one malformed object cannot stop them for all
 * the others; whoever then reads the object to act on it gets the guard's clear error.
 */
export function unchecked(ref: ResourceRef): ResourceRef {
  const { group, version, kind, plural, namespaced } = ref;
  return resourceRef({ group, version, kind, plural, namespaced });
}

/** Where a kind is served: what a reference holds besides its guard. */
export interface KindNames {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/**
 * A typed kind: its guard, built from the checks of its `spec` and `status`
 * (src/api/kind-guard.ts `kindGuard`), and its reference carrying that guard. A kind's module
 * exports both: `export const { is: isShoot, resource: shootResource } = …`.
 */
export function typedKind<T extends KubeObject>(
  names: KindNames,
  fields: Readonly<Record<string, Check>>,
): { is: KindGuard<T>; resource: ResourceRef<T> } {
  const is = kindGuard<T>(apiVersionOf(names), names.kind, fields);
  return { is, resource: resourceRef<T>({ ...names, is }) };
}

/** `group/version`, or just the version for the core group. */
export function apiVersionOf(ref: { group: string; version: string }): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/** `plural.group` (`shoots.core.gardener.cloud`), or the plural alone in the core group: for messages. */
export function qualifiedResource(ref: { group: string; plural: string }): string {
  return ref.group ? `${ref.plural}.${ref.group}` : ref.plural;
}
