/**
 * Validation ratcheting (Kubernetes' CRDValidationRatcheting, on by default since 1.30): on
 * update, a schema error at a field the update did not change is dropped, so objects stored
 * before a CRD's schema was tightened can still be updated (a controller writing their status).
 */
import { isDeepStrictEqual } from 'node:util';
import type { FieldError } from '../../api/errors.js';
import { isRecord } from '../../api/meta.js';

/**
 * The errors of `obj` at fields whose value differs from `old`'s; a missing required field counts
 * as changed when the object that lacks it changed.
 */
export function ratchet(errors: readonly FieldError[], obj: unknown, old: unknown): FieldError[] {
  return errors.filter((e) => {
    const path = e.type === 'FieldValueRequired' ? e.path.replace(/(\.[^.[\]]+|\[\d+\])$/, '') : e.path;
    return !isDeepStrictEqual(valueAt(obj, path), valueAt(old, path));
  });
}

/** The value at a field path (`spec.ports[1].name`), undefined when there is none. */
export function valueAt(root: unknown, path: string): unknown {
  let at = root;
  for (const [, name, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (index !== undefined) at = Array.isArray(at) ? at[Number(index)] : undefined;
    else at = isRecord(at) ? at[name!] : undefined;
    if (at === undefined) return undefined;
  }
  return at;
}
