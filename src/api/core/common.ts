/**
 * Strategy and table building blocks every kind with a status shares (core and Gardener kinds):
 * keeping the stored status on main-resource updates, keeping everything but the status on
 * `status` updates, generation arithmetic, and the AGE column.
 */
import type { Strategy, SubresourceDefinition, TableColumn } from '../../apiserver/types.js';
import type { FieldError } from '../errors.js';
import { deepCopy, isRecord, type KubeObject } from '../meta.js';

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

/** Keeps the old status on `obj` (or none when the old object had none). */
export function keepOldStatus(obj: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = deepCopy(old.status);
}

/** `old.metadata.generation + 1` when `bump`, else the old generation (1 when the old object had none). */
export function nextGeneration(old: KubeObject, bump: boolean): number {
  const current = typeof old.metadata.generation === 'number' ? old.metadata.generation : 1;
  return bump ? current + 1 : current;
}

/**
 * Restores every top-level field except `status` from `old` (spec, metadata and any unknown
 * field); only the request's `metadata.resourceVersion` survives, for the optimistic-concurrency
 * check.
 */
export function keepSpecAndMetadata(obj: KubeObject, old: KubeObject): void {
  const resourceVersion = obj.metadata?.resourceVersion;
  for (const key of Object.keys(obj)) {
    if (key !== 'status' && key !== 'apiVersion' && key !== 'kind') delete obj[key];
  }
  for (const [key, value] of Object.entries(old)) {
    if (key !== 'status' && key !== 'apiVersion' && key !== 'kind') obj[key] = deepCopy(value);
  }
  if (!isRecord(obj.metadata)) obj.metadata = {};
  if (resourceVersion !== undefined) obj.metadata.resourceVersion = resourceVersion;
  else delete obj.metadata.resourceVersion;
}

/**
 * The `status` subresource strategy: everything but status stays as stored. `bumpGeneration` may
 * ask for a generation increment after a status change; `validateStatus` checks the new status.
 */
export function statusStrategy(
  bumpGeneration?: (obj: KubeObject, old: KubeObject) => boolean,
  validateStatus?: (obj: KubeObject) => FieldError[],
): Strategy {
  return {
    prepareForUpdate(obj, old) {
      keepSpecAndMetadata(obj, old);
      if (typeof old.metadata.generation === 'number' || bumpGeneration) {
        obj.metadata.generation = nextGeneration(old, bumpGeneration?.(obj, old) ?? false);
      }
    },
    validateUpdate: (obj) => validateStatus?.(obj) ?? [],
  };
}

/** The `status` subresource definition built on `statusStrategy`. */
export function statusSubresource(
  bumpGeneration?: (obj: KubeObject, old: KubeObject) => boolean,
  validateStatus?: (obj: KubeObject) => FieldError[],
): SubresourceDefinition {
  return {
    name: 'status',
    strategy: statusStrategy(bumpGeneration, validateStatus),
    verbs: ['get', 'update', 'patch'],
  };
}

/** The number of keys of the map at `obj[field]` (0 when absent). */
export function mapSize(obj: KubeObject, field: string): number {
  const value = obj[field];
  return isRecord(value) ? Object.keys(value).length : 0;
}
