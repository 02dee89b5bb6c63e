/**
 * How deeply a decoded request body nests. Everything that walks an object on the request path
 * (validation, pruning, patches, managedFields, deep copies) recurses, so a body nested a few
 * thousand levels deep overflowed the stack: a 500 "Maximum call stack size exceeded" that the
 * API fuzzer found. Kubernetes refuses bodies nested deeper than its decoder's limit too; ours
 * is lower, as a JavaScript frame costs more stack than a Go one, and no Kubernetes object (CRD
 * schemas included) comes near it.
 */

/** The deepest nesting of objects and arrays a request body may have. */
export const maxBodyNestingDepth = 512;

/** Whether `value` nests objects or arrays more than `max` levels deep; iterative, so it cannot overflow itself. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(item)) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return false;
}
