/**
 * Views of the fields the batch and service controllers read from objects they read unchecked,
 * as plain JSON (their references, src/api/batch/job.ts, src/api/core/service.ts, carry no
 * guard): a field that is missing or of the wrong type reads as empty, never throws.
 */
import { isRecord, type KubeObject } from '../../api/meta.js';

/** `obj[field]` when it is an object, else an empty one (a view: writes go nowhere). */
export function recordAt(obj: Record<string, unknown> | undefined, field: string): Record<string, unknown> {
  const value = obj?.[field];
  return isRecord(value) ? value : {};
}

/** `obj[field]` when it is a list of objects, else an empty list. */
export function recordsAt(obj: Record<string, unknown> | undefined, field: string): Record<string, unknown>[] {
  const value = obj?.[field];
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function specOf(obj: KubeObject): Record<string, unknown> {
  return recordAt(obj, 'spec');
}

export function statusOf(obj: KubeObject): Record<string, unknown> {
  return recordAt(obj, 'status');
}

/** The reference of the object's controller (`controller: true`), if any. */
export function controllerOf(obj: KubeObject): { kind: string; name: string; uid: string } | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}
