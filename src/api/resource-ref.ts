/**
 * Plain references to the resources of an API: what a client needs to address a kind (group,
 * version, plural, scope) and, for the type checker, the shape of its objects. A reference holds
 * no server behaviour (strategies, columns, schemas): those live in the registry
 * (`src/registry/`), which builds a kind's definition from its reference.
 */
import type { KubeObject } from './meta.js';

/** Addresses one resource; `T` is the object type its clients read and write. */
export interface ResourceRef<T extends KubeObject = KubeObject> {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Lower-case plural: the URL segment (`shoots`). */
  readonly plural: string;
  readonly namespaced: boolean;
  /** Never set: it only carries `T` for the type checker. */
  readonly __object?: T;
}

/** A frozen reference to a resource whose objects have type `T`. */
export function resourceRef<T extends KubeObject = KubeObject>(ref: {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}): ResourceRef<T> {
  return Object.freeze({ ...ref });
}

/** `group/version`, or just the version for the core group. */
export function apiVersionOf(ref: { group: string; version: string }): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/** `plural.group` (`shoots.core.gardener.cloud`), or the plural alone in the core group: for messages. */
export function qualifiedResource(ref: { group: string; plural: string }): string {
  return ref.group ? `${ref.plural}.${ref.group}` : ref.plural;
}
