/**
 * `metadata.managedFields`, read and written as Kubernetes does (apimachinery's
 * util/managedfields): one entry per manager identity (manager, operation, the apiVersion of an
 * Update, subresource), the field set in `fieldsV1`, entries sorted Apply first, then by time,
 * manager, apiVersion and subresource; at most ten Update entries, the oldest merged into
 * `ancient-changes` beyond that. Which list a write starts from (the stored one, the client's, or
 * none) is decided here too.
 */
import { isRecord } from '../../api/meta.js';
import { canonical, type FieldSet, isEmpty, union } from './field-set.js';

export type Operation = 'Apply' | 'Update';

/** One manager's entry: who, how, and the fields owned. */
export interface ManagerEntry {
  readonly manager: string;
  readonly operation: Operation;
  readonly apiVersion: string;
  readonly subresource: string;
  readonly time: string | undefined;
  readonly set: FieldSet;
}

/** Entries by identity (`managerIdentity`). */
export type Managers = Map<string, ManagerEntry>;

/** A managedFields entry as stored (metav1.ManagedFieldsEntry, empty fields omitted). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation: Operation;
  apiVersion?: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldSet;
  subresource?: string;
}

/** Kubernetes' limit on Update entries (DefaultMaxUpdateManagers). */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES = 'ancient-changes';

/**
 * The identity of an entry as Kubernetes builds it (BuildManagerIdentifier): the entry's JSON
 * without time and fields, and without apiVersion for an Apply, so an applier keeps one entry
 * whatever version it applies with. Sorting identities sorts conflicts as Kubernetes prints them.
 */
export function managerIdentity(entry: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>) {
  const id: Record<string, string> = {};
  if (entry.manager) id.manager = entry.manager;
  id.operation = entry.operation;
  if (entry.operation === 'Update' && entry.apiVersion) id.apiVersion = entry.apiVersion;
  if (entry.subresource) id.subresource = entry.subresource;
  return JSON.stringify(id);
}

/**
 * The entries of a managedFields list, or undefined when it is not one (a wrong type, an unknown
 * operation or fieldsType, two entries of one identity). `trusted` skips checking each field set's
 * shape, for lists this server wrote itself.
 */
export function decodeManagedFields(list: unknown, trusted = false): Managers | undefined {
  if (!Array.isArray(list)) return undefined;
  const managers: Managers = new Map();
  for (const raw of list) {
    if (!isRecord(raw)) return undefined;
    const { manager = '', operation, apiVersion = '', time, fieldsType, fieldsV1 = {}, subresource = '' } = raw;
    if (operation !== 'Apply' && operation !== 'Update') return undefined;
    if (fieldsType !== 'FieldsV1') return undefined;
    if (typeof manager !== 'string' || typeof apiVersion !== 'string' || typeof subresource !== 'string') {
      return undefined;
    }
    if (time !== undefined && time !== null && typeof time !== 'string') return undefined;
    if (!trusted && !isFieldSetShape(fieldsV1)) return undefined;
    const entry: ManagerEntry = {
      manager,
      operation,
      apiVersion,
      subresource,
      time: typeof time === 'string' ? time : undefined,
      set: fieldsV1 as FieldSet,
    };
    const id = managerIdentity(entry);
    if (managers.has(id)) return undefined;
    managers.set(id, entry);
  }
  return managers;
}

function isFieldSetShape(value: unknown): boolean {
  if (!isRecord(value)) return false;
  for (const key in value) if (!isFieldSetShape(value[key])) return false;
  return true;
}

/** `[]` or `[{}]`: a client asking to drop every entry (Kubernetes' isResetManagedFields). */
export function isResetManagedFields(list: unknown): boolean {
  if (!Array.isArray(list)) return false;
  return list.length === 0 || (list.length === 1 && isRecord(list[0]) && Object.keys(list[0]).length === 0);
}

/**
 * Where a create, update or patch starts from (Kubernetes' decodeLiveOrNew): the request's own
 * list when it sends a valid, non-empty one (a reset list: none at all), else the stored one. A
 * subresource always starts from the stored list.
 */
export function managersToStartFrom(live: unknown, requested: unknown, subresource: string): Managers {
  const stored = () => decodeManagedFields(live ?? [], true) ?? new Map();
  if (subresource !== '') return stored();
  if (isResetManagedFields(requested)) return new Map();
  if (requested === undefined || requested === null) return stored();
  const managers = decodeManagedFields(requested);
  return managers && managers.size > 0 ? managers : stored();
}

/** The list to store: entries in Kubernetes' order, field sets in fieldsV1's key order. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const entries = [...managers.values()].sort(compareEntries);
  return entries.map((entry) => {
    const out: ManagedFieldsEntry = {
      ...(entry.manager ? { manager: entry.manager } : {}),
      operation: entry.operation,
      ...(entry.apiVersion ? { apiVersion: entry.apiVersion } : {}),
      ...(entry.time ? { time: entry.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: canonical(entry.set),
    };
    if (entry.subresource) out.subresource = entry.subresource;
    return out;
  });
}

function seconds(time: string | undefined): number {
  const ms = time ? Date.parse(time) : Number.NaN;
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareEntries(a: ManagerEntry, b: ManagerEntry): number {
  return (
    compareStrings(a.operation, b.operation) ||
    seconds(a.time) - seconds(b.time) ||
    compareStrings(a.manager, b.manager) ||
    compareStrings(a.apiVersion, b.apiVersion) ||
    compareStrings(a.subresource, b.subresource)
  );
}

/**
 * At most `max` Update entries: beyond that the oldest are merged, per apiVersion, into one
 * `ancient-changes` entry carrying the time of the newest it absorbed (Kubernetes'
 * capManagersManager, run after every update).
 */
export function capUpdateManagers(managers: Managers, max = MAX_UPDATE_MANAGERS): Managers {
  const updaters = [...managers.keys()].filter((id) => managers.get(id)!.operation === 'Update');
  if (updaters.length <= max) return managers;
  updaters.sort((a, b) => seconds(managers.get(a)!.time) - seconds(managers.get(b)!.time) || compareStrings(a, b));
  const out: Managers = new Map(managers);
  const firstOfVersion = new Map<string, string>();
  let count = updaters.length;
  for (let i = 0; i < updaters.length && count > max; i++) {
    const id = updaters[i]!;
    const entry = out.get(id)!;
    const bucket = managerIdentity({
      manager: ANCIENT_CHANGES,
      operation: 'Update',
      apiVersion: entry.apiVersion,
      subresource: '',
    });
    const first = firstOfVersion.get(entry.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(entry.apiVersion, id);
      continue;
    }
    let base = out.get(bucket);
    if (base === undefined) {
      base = out.get(first)!;
      out.delete(first);
    }
    out.delete(id);
    out.set(bucket, {
      manager: ANCIENT_CHANGES,
      operation: 'Update',
      apiVersion: entry.apiVersion,
      subresource: '',
      time: entry.time,
      set: union(base.set, entry.set),
    });
    count--;
  }
  return out;
}

/** The same entries without those whose set became empty. */
export function withoutEmpty(managers: Managers): Managers {
  for (const [id, entry] of managers) if (isEmpty(entry.set)) managers.delete(id);
  return managers;
}
