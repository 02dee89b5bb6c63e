/**
 * The hand-over between kubectl's client-side apply and server-side apply, as apimachinery makes
 * it (lastAppliedManager, lastAppliedUpdater), for the manager `kubectl` only: a server-side apply
 * may take over, without conflict, the fields the last client-side apply set
 * (`kubectl.kubernetes.io/last-applied-configuration`) that still hold the values it set; and an
 * object that keeps that annotation gets it rewritten to the new configuration, so a later
 * client-side apply computes its patch from what was applied last.
 */
import { isRecord } from '../../api/meta.js';
import { difference, type FieldSet, isEmpty } from './field-set.js';
import { compareObjects, fieldSetOf } from './field-sets-of.js';
import type { Conflict } from './ownership.js';
import { goJson } from './path-element.js';
import type { SchemaNode } from './schema.js';

type Json = Record<string, unknown>;

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** The only manager the hand-over is for (other managers opt out by their name). */
export const KUBECTL_MANAGER = 'kubectl';

function lastAppliedOf(obj: Json): string | undefined {
  const annotations = isRecord(obj.metadata) ? obj.metadata.annotations : undefined;
  const value = isRecord(annotations) ? annotations[LAST_APPLIED_ANNOTATION] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The fields the last client-side apply set that the live object still holds with the same
 * value; undefined without a usable annotation (not JSON, another apiVersion).
 */
export function fieldsOfLastApplied(live: Json, apiVersion: string, schema: SchemaNode): FieldSet | undefined {
  const text = lastAppliedOf(live);
  if (text === undefined) return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(lastApplied) || lastApplied.apiVersion !== apiVersion) return undefined;
  const { added, modified, removed } = compareObjects(lastApplied, live, schema);
  return difference(difference(difference(fieldSetOf(lastApplied, schema), modified), added), removed);
}

/** The conflicts left once the fields in `allowed` are no longer counted. */
export function conflictsBeyond(conflicts: readonly Conflict[], allowed: FieldSet): Conflict[] {
  return conflicts.flatMap((c) => {
    const fields = difference(c.fields, allowed);
    return isEmpty(fields) ? [] : [{ ...c, fields }];
  });
}

/** Rewrites the annotation of `object` (when it has one) to `config`, as kubectl would have written it. */
export function syncLastApplied(object: Json, config: Json): Json {
  if (lastAppliedOf(object) === undefined) return object;
  const metadata = object.metadata as Json;
  return {
    ...object,
    metadata: {
      ...metadata,
      annotations: { ...(metadata.annotations as Json), [LAST_APPLIED_ANNOTATION]: lastAppliedJson(config) },
    },
  };
}

/** The configuration without the annotation itself, as Go's JSON encoder writes a map (keys sorted). */
function lastAppliedJson(config: Json): string {
  const copy: Json = { ...config };
  if (isRecord(config.metadata) && isRecord(config.metadata.annotations)) {
    const { [LAST_APPLIED_ANNOTATION]: _dropped, ...annotations } = config.metadata.annotations;
    copy.metadata = { ...config.metadata, annotations };
  }
  return `${sortedJson(copy)}\n`;
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (!isRecord(value)) return goJson(value);
  const keys = Object.keys(value)
    .filter((key) => value[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${goJson(key)}:${sortedJson(value[key])}`).join(',')}}`;
}
