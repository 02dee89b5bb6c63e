/**
 * The three patch formats kubectl sends: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
 * strategic merge patch. Strategic merge is implemented for the list fields our kinds carry
 * (`metadata.finalizers` as a set, `metadata.ownerReferences` by uid, `conditions` by type) and its
 * directives (`$patch`, `$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`); every
 * other list is replaced, as Kubernetes does for lists without a patch strategy. The fourth patch
 * type, server-side apply (`application/apply-patch+yaml`), is GenericStore.apply (fieldmanager/).
 */
import fastJsonPatch from 'fast-json-patch';
import { badRequest, invalid, unsupportedMediaType } from '../api/errors.js';
import { deepCopy, isRecord } from '../api/meta.js';

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

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
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
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value) && key in mergeLists) {
      result[key] = mergeList(result[key], value, mergeLists[key]!);
    } else {
      const merged = strategicMergePatch(result[key], value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
  }
  if (retainKeys) {
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) delete result[key];
  }
  return result;
}

function mergeList(current: unknown, patch: unknown[], mergeKey: string | null): unknown[] {
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
      base[index] = strategicMergePatch(base[index], item);
    } else {
      base.push(stripDirectives(item));
    }
  }
  return base;
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
export function applyPatch(type: Exclude<PatchType, 'apply'>, target: unknown, patch: unknown): unknown {
  switch (type) {
    case 'merge':
      return mergePatch(target, patch);
    case 'json':
      return jsonPatch(target, patch);
    case 'strategic':
      return strategicMergePatch(target, patch);
  }
}
