/**
 * The shape of one row of the built-in API table (src/api/builtin/*.ts): what `kubectl
 * api-resources` and discovery say about a resource of Kubernetes 1.31 — group, version, kind,
 * plural, singular, scope, verbs, short names, categories and subresources. Written by hand: no
 * npm package carries these facts (kubernetes-models has the schemas, not the discovery data;
 * /work/shared/reference/kubernetes-api-libraries.md). A row holds no behaviour: the registry
 * (src/registry/builtin/) builds each served resource's definition from it.
 */
import type { KindNames } from '../resource-ref.js';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

/** What a stored resource serves, as Kubernetes' generic registry does. */
export const crudVerbs: readonly Verb[] = Object.freeze([
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
]);

/** Reviews and bindings: created and answered, never stored. */
export const createOnly: readonly Verb[] = Object.freeze(['create']);

/** A subresource as discovery lists it; `kind` when it is not the parent's (scale → autoscaling/v1 Scale). */
export interface BuiltinSubresource {
  readonly name: string;
  readonly verbs: readonly string[];
  readonly kind?: { readonly group: string; readonly version: string; readonly kind: string };
}

export interface BuiltinResource extends KindNames {
  readonly singular: string;
  readonly verbs: readonly Verb[];
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly subresources: readonly BuiltinSubresource[];
}

/** `status`: get, patch and update of `.status` alone. */
export const status: BuiltinSubresource = Object.freeze({ name: 'status', verbs: ['get', 'patch', 'update'] });

/** `scale`: the replicas of a workload as an autoscaling/v1 Scale. */
export const scale: BuiltinSubresource = Object.freeze({
  name: 'scale',
  verbs: ['get', 'patch', 'update'],
  kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
});

interface RowOptions {
  shortNames?: readonly string[];
  categories?: readonly string[];
  subresources?: readonly BuiltinSubresource[];
  verbs?: readonly Verb[];
}

/** One row; the singular is the lower-cased kind, as for every built-in resource. */
export function builtin(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  options: RowOptions = {},
): BuiltinResource {
  return Object.freeze({
    group,
    version,
    kind,
    plural,
    namespaced,
    singular: kind.toLowerCase(),
    verbs: options.verbs ?? crudVerbs,
    shortNames: options.shortNames ?? [],
    categories: options.categories ?? [],
    subresources: options.subresources ?? [],
  });
}

/** The rows of one API group version: `row(kind, plural, namespaced, options)`. */
export function groupVersion(group: string, version: string) {
  return (kind: string, plural: string, namespaced: boolean, options?: RowOptions) =>
    builtin(group, version, kind, plural, namespaced, options);
}

/** Namespaced or not, spelled out in the tables. */
export const NAMESPACED = true;
export const CLUSTER = false;
