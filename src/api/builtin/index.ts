/**
 * Every built-in resource of Kubernetes 1.31 with default-enabled APIs (the rows of core.ts,
 * workloads.ts and cluster.ts), and lookups into them. A group version's preferred version is
 * the first one listed for its group.
 */
import { clusterResources } from './cluster.js';
import { coreResources } from './core.js';
import type { BuiltinResource } from './resource.js';
import { workloadResources } from './workloads.js';

export type { BuiltinResource, BuiltinSubresource, Verb } from './resource.js';

export const builtinResources: readonly BuiltinResource[] = Object.freeze([
  ...coreResources,
  ...workloadResources,
  ...clusterResources,
]);

/** The row of `plural` in `group`/`version`; throws for a resource the table lacks (a typo in code). */
export function builtinResource(group: string, version: string, plural: string): BuiltinResource {
  const row = builtinResources.find((r) => r.group === group && r.version === version && r.plural === plural);
  if (!row) throw new TypeError(`no built-in resource ${plural} in ${group || 'core'}/${version}`);
  return row;
}

/** The preferred version's row of every resource (the first of its group listed), as `kubectl api-resources` shows them. */
export function preferredResources(): BuiltinResource[] {
  const seen = new Set<string>();
  return builtinResources.filter((r) => {
    const key = `${r.group}/${r.plural}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Stored resources (they can be read back); the others are reviews and bindings, answered at once. */
export function isStored(row: BuiltinResource): boolean {
  return row.verbs.includes('get');
}
