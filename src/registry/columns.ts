/**
 * Table building blocks the kinds of several groups share: the AGE column for kinds that place it
 * themselves (the server appends one otherwise, src/apiserver/table.ts), kubectl's age format,
 * counting a map's keys, and the columns and field selectors of a typed kind, which read the
 * stored object through the kind's interface.
 */
import { isRecord, type KubeObject } from '../api/meta.js';
import type { ResourceRef } from '../api/resource-ref.js';
import { storedAs } from '../apiserver/stored-object.js';
import type { ResourceDefinition, TableColumn } from '../apiserver/types.js';

/** The columns of a typed kind, reading each stored object as `T` (src/apiserver/stored-object.ts says why unguarded). */
export function kindColumns<T extends KubeObject>(
  ref: ResourceRef<T>,
  columns: readonly TableColumn<NoInfer<T>>[],
): TableColumn[] {
  return columns.map((column) => ({ ...column, cell: (obj: KubeObject) => column.cell(storedAs(ref, obj)) }));
}

/** The field selectors of a typed kind (field path → value), reading each stored object as `T`. */
export function kindFields<T extends KubeObject>(
  ref: ResourceRef<T>,
  fields: Readonly<Record<string, (obj: NoInfer<T>) => string | undefined>>,
): NonNullable<ResourceDefinition['selectableFields']> {
  return Object.fromEntries(
    Object.entries(fields).map(([path, value]) => [path, (obj: KubeObject) => value(storedAs(ref, obj))]),
  );
}

/**
 * The AGE column, for kinds that place it themselves (the server appends one otherwise). Like
 * k8s's `ConvertToHumanReadableDateType`, the cell is already human-readable.
 */
export const ageColumn: TableColumn = {
  name: 'AGE',
  type: 'date',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (obj) => humanAge(obj.metadata.creationTimestamp),
};

/**
 * How long ago `timestamp` was, as kubectl prints ages (k8s duration.HumanDuration): 45s, 5m3s,
 * 12m, 3h4m, 10h, 3d4h, 12d, 2y30d. `<unknown>` when absent or unparsable.
 */
export function humanAge(timestamp: string | undefined | null, now: number = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - at) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (years < 8 && days % 365 !== 0) return `${years}y${days % 365}d`;
  return `${years}y`;
}

/** The number of keys of the map at `obj[field]` (0 when absent). */
export function mapSize(obj: KubeObject, field: string): number {
  const value = obj[field];
  return isRecord(value) ? Object.keys(value).length : 0;
}
