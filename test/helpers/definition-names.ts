/** What the registry tests compare of every definition: where and under which names a kind is served. */
import type { ResourceDefinition } from '../../src/apiserver/types.js';

/** `[group, version, kind, listKind, plural, singular, namespaced, status subresource served]`. */
export function definitionNames(
  d: ResourceDefinition,
): [string, string, string, string, string, string, boolean, boolean] {
  return [d.group, d.version, d.kind, d.listKind, d.plural, d.singular, d.namespaced, d.hasStatus !== false];
}
