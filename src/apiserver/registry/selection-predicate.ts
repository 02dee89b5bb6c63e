/**
 * Which objects a list or watch selects (k8s storage.SelectionPredicate): labels, plus the
 * fields a kind declares selectable. Kept apart from the store because list, watch and the
 * in-process client's field-selector parsing all need the same view of an object's fields.
 */
import type { KubeObject } from '../../api/meta.js';
import { type FieldSelector, type LabelSelector, matchesFields, matchesLabels } from '../selectors.js';
import type { ResourceDefinition } from '../types.js';

export type ObjectPredicate = (obj: KubeObject) => boolean;

/** The predicate of the selectors; undefined when nothing is selected on, so everything matches. */
export function selectionPredicate(
  def: ResourceDefinition,
  labels?: LabelSelector,
  fields?: FieldSelector,
): ObjectPredicate | undefined {
  const hasLabels = labels !== undefined && labels.length > 0;
  const hasFields = fields !== undefined && fields.length > 0;
  if (!hasLabels && !hasFields) return undefined;
  return (obj) =>
    (!hasLabels || matchesLabels(labels, obj.metadata.labels)) &&
    (!hasFields || matchesFields(fields, selectableFields(def, obj)));
}

/** The selectable fields of an object: metadata.name, metadata.namespace and the kind's own. */
export function selectableFields(def: ResourceDefinition, obj: KubeObject): Record<string, string | undefined> {
  const fields: Record<string, string | undefined> = {
    'metadata.name': obj.metadata.name,
    'metadata.namespace': obj.metadata.namespace,
  };
  for (const [path, getter] of Object.entries(def.selectableFields ?? {})) fields[path] = getter(obj);
  return fields;
}

export function selectableFieldNames(def: ResourceDefinition): string[] {
  return ['metadata.name', 'metadata.namespace', ...Object.keys(def.selectableFields ?? {})];
}

/**
 * For a field selector `metadata.name=<name>`, whether a key can hold such an object: names are
 * the keys' last segment, so a list need not read the values of the others.
 */
export function nameKeyFilter(fields: FieldSelector | undefined): ((key: string) => boolean) | undefined {
  const names = new Set((fields ?? []).filter((f) => f.field === 'metadata.name' && f.op === '=').map((f) => f.value));
  if (names.size === 0) return undefined;
  return (key) => {
    const name = key.slice(key.lastIndexOf('/') + 1);
    for (const wanted of names) if (name !== wanted) return false;
    return true;
  };
}
