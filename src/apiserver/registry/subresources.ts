/**
 * Which strategy updates a subresource: the kind's own subresources, or the built-in status
 * subresource that changes only `.status` (k8s's per-kind StatusStrategy, generic here because
 * every kind's status subresource behaves the same).
 */
import { methodNotAllowed } from '../../api/errors.js';
import { deepCopy } from '../../api/meta.js';
import type { ResourceDefinition, Strategy } from '../types.js';

const statusSubresource = 'status';

export function hasSubresource(def: ResourceDefinition, name: string): boolean {
  if (name === statusSubresource) return def.hasStatus !== false;
  return (def.subresources ?? []).some((s) => s.name === name);
}

/** The strategy of an update to `subresource` ('' is the main resource). */
export function strategyForSubresource(def: ResourceDefinition, subresource: string): Strategy {
  if (subresource === '') return def.strategy;
  const custom = (def.subresources ?? []).find((s) => s.name === subresource);
  if (custom) return custom.strategy;
  if (subresource === statusSubresource && def.hasStatus !== false) return statusOnlyStrategy;
  throw methodNotAllowed(
    `the server does not allow this method on the requested resource (${def.plural}/${subresource})`,
  );
}

/** The status subresource changes only `.status`; everything else stays as stored. */
const statusOnlyStrategy: Strategy = {
  prepareForUpdate(obj, old) {
    const status = obj.status;
    for (const key of Object.keys(obj)) delete obj[key];
    Object.assign(obj, deepCopy(old));
    if (status === undefined) delete obj.status;
    else obj.status = status;
  },
};
