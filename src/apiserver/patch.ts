/**
 * The three patch formats kubectl sends: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
 * strategic merge patch. Strategic merge merges the lists a kind says how to merge
 * (`ResourceDefinition.listFact`: the built-in kinds' containers by name, ports by port, …), or,
 * for kinds that say nothing, the list fields every kind here carries (`metadata.finalizers` as a
 * set, `metadata.ownerReferences` by uid, `conditions` by type); it honours the directives
 * (`$patch`, `$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`); every other list
 * is replaced, as Kubernetes does for lists without a patch strategy. The fourth patch type,
 * server-side apply (`application/apply-patch+yaml`), is GenericStore.apply (fieldmanager/).
 */
import fastJsonPatch from 'fast-json-patch';
import type { ListFact } from '../api/builtin/list-facts.js';
import { badRequest, invalid, unsupportedMediaType } from '../api/errors.js';
import { deepCopy, isRecord } from '../api/meta.js';

/** How the list at a path (field names, no indexes) merges; undefined: replaced whole. */
export type ListFactOf = (path: readonly string[]) => ListFact | undefined;

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export function patchTypeOf(contentType: string | undefined): PatchType {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  switch (media) {
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/json-patch+json':
      return 'json';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
      return 'apply';
    default:
      throw unsupportedMediaType(
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
  }
}

/** RFC 7386: objects merge recursively, null removes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return deepCopy(patch);
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch must be an array of operations');
  const validationError = fastJsonPatch.validate(operations as fastJsonPatch.Operation[], target);
  if (validationError) {
    throw invalid({ group: '', kind: 'Patch' }, '', [
      { type: 'FieldValueInvalid', path: validationError.operation?.path ?? '', message: validationError.message },
    ]);
  }
  try {
    return fastJsonPatch.applyPatch(deepCopy(target), operations as fastJsonPatch.Operation[], false, true).newDocument;
  } catch (err) {
    throw badRequest(`the json patch could not be applied: ${(err as Error).message}`);
  }
}

/** List fields merged element-wise under strategic merge, by the key that identifies an element. */
const mergeLists: Record<string, string | null> = {
  finalizers: null, // a set of strings
  ownerReferences: 'uid',
  conditions: 'type',
  constraints: 'type',
};

/** The lists of kinds that do not describe theirs, known by their field name. */
function fallbackFact(path: readonly string[]): ListFact | undefined {
  const key = mergeLists[path[path.length - 1] ?? ''];
  if (key === undefined) return undefined;
  return key === null ? { type: 'set' } : { type: 'map', keys: [key], mergeKey: key };
}

export function strategicMergePatch(
  target: unknown,
  patch: unknown,
  listFact: ListFactOf = fallbackFact,
  path: readonly string[] = [],
): unknown {
  if (!isRecord(patch)) return deepCopy(patch);
  const directive = patch.$patch;
  if (directive === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (directive === 'delete') return undefined;
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  const retainKeys = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = Array.isArray(result[field]) ? (result[field] as unknown[]) : [];
      const remove = Array.isArray(value) ? value : [];
      result[field] = current.filter((item) => !remove.includes(item));
      continue;
    }
    const at = [...path, key];
    const fact = Array.isArray(value) ? listFact(at) : undefined;
    if (value === null) {
      delete result[key];
    } else if (fact) {
      const mergeKey = fact.type === 'map' ? fact.mergeKey : null;
      const merged = mergeList(result[key], value as unknown[], mergeKey, listFact, at);
      result[key] = reorder(merged, patch[`$setElementOrder/${key}`], mergeKey);
    } else if (Array.isArray(value)) {
      result[key] = stripDirectives(value);
    } else {
      const merged = strategicMergePatch(result[key], value, listFact, at);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
  }
  if (retainKeys) {
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) delete result[key];
  }
  return result;
}

function mergeList(
  current: unknown,
  patch: unknown[],
  mergeKey: string | null,
  listFact: ListFactOf,
  path: readonly string[],
): unknown[] {
  const base = Array.isArray(current) ? [...current] : [];
  if (mergeKey === null) {
    for (const item of patch) if (!base.includes(item)) base.push(item);
    return base;
  }
  for (const item of patch) {
    if (!isRecord(item)) continue;
    const index = base.findIndex((existing) => isRecord(existing) && existing[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (index >= 0) base.splice(index, 1);
    } else if (index >= 0) {
      base[index] = strategicMergePatch(base[index], item, listFact, path);
    } else {
      base.push(stripDirectives(item));
    }
  }
  return base;
}

/** `$setElementOrder/<list>`: the items it names in its order, the others after them as they were. */
function reorder(items: unknown[], order: unknown, mergeKey: string | null): unknown[] {
  if (!Array.isArray(order)) return items;
  const keyOf = (item: unknown) => (mergeKey === null ? item : isRecord(item) ? item[mergeKey] : undefined);
  const wanted = order.map(keyOf);
  const rank = (item: unknown) => {
    const at = wanted.indexOf(keyOf(item));
    return at < 0 ? wanted.length : at;
  };
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => rank(a.item) - rank(b.item) || a.i - b.i)
    .map((e) => e.item);
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key.startsWith('$')) continue;
    out[key] = stripDirectives(inner);
  }
  return out;
}

/** A merge, JSON or strategic merge patch applied to `target`; server-side apply is GenericStore.apply. */
export function applyPatch(
  type: Exclude<PatchType, 'apply'>,
  target: unknown,
  patch: unknown,
  listFact?: ListFactOf,
): unknown {
  switch (type) {
    case 'merge':
      return mergePatch(target, patch);
    case 'json':
      return jsonPatch(target, patch);
    case 'strategic':
      return strategicMergePatch(target, patch, listFact);
  }
}
