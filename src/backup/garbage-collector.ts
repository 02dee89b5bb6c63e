/**
 * Garbage collection of a backup store, with etcd-backup-restore's two policies:
 *
 * - `Exponential`: every full snapshot of the current hour, the last one of each hour of the past
 *   24 hours, of each day of the past 7 days and of each week of the past 4 weeks; older ones go.
 * - `LimitBased`: the newest `maxBackups` full snapshots.
 *
 * The store is a sequence of streams, each a full snapshot followed by the deltas taken after it.
 * The latest full snapshot and its deltas are what a restore needs: they are never deleted. The
 * deltas of older streams go once they are older than the delta retention period (default 0:
 * right away), and with their full snapshot. Days and weeks are UTC (weeks start on Monday).
 */
import type { Logger } from 'pino';
import type { Snapshot, Snapstore } from './snapstore/snapstore.js';

export type GarbageCollectionPolicy = 'Exponential' | 'LimitBased';

export interface GarbageCollectionOptions {
  /** LimitBased: full snapshots to keep (at least 1); default 7. */
  maxBackups?: number;
  /** How long deltas of older streams are kept, in ms; default 0. */
  deltaRetentionMs?: number;
  logger?: Logger;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday: shifting by 3 days makes week buckets start on Monday. */
const MONDAY_SHIFT_MS = 3 * DAY_MS;
const DEFAULT_MAX_BACKUPS = 7;

interface SnapshotStream {
  /** Undefined for deltas older than every full snapshot. */
  full: Snapshot | undefined;
  deltas: Snapshot[];
}

/** `snapshots` (in the store's order: last revision ascending) split into streams. */
function streamsOf(snapshots: readonly Snapshot[]): SnapshotStream[] {
  const streams: SnapshotStream[] = [];
  for (const snapshot of snapshots) {
    const current = streams.at(-1);
    if (snapshot.kind === 'Full') streams.push({ full: snapshot, deltas: [] });
    else if (current) current.deltas.push(snapshot);
    else streams.push({ full: undefined, deltas: [snapshot] });
  }
  return streams;
}

/** The full snapshots (newest first, the latest excluded) that `policy` keeps. */
function keptFulls(
  olderFulls: readonly Snapshot[],
  policy: GarbageCollectionPolicy,
  now: Date,
  maxBackups: number,
): Set<Snapshot> {
  if (policy === 'LimitBased') return new Set(olderFulls.slice(0, Math.max(maxBackups, 1) - 1));
  const nowMs = now.getTime();
  const currentHourStart = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const kept = new Set<Snapshot>();
  const bucketsTaken = new Set<string>();
  for (const full of olderFulls) {
    const created = full.createdOn * 1000;
    const age = nowMs - created;
    let bucket: string;
    if (created >= currentHourStart) bucket = `all:${full.name}`;
    else if (age < DAY_MS) bucket = `hour:${Math.floor(created / HOUR_MS)}`;
    else if (age < 7 * DAY_MS) bucket = `day:${Math.floor(created / DAY_MS)}`;
    else if (age < 4 * WEEK_MS) bucket = `week:${Math.floor((created + MONDAY_SHIFT_MS) / WEEK_MS)}`;
    else continue;
    // Newest first: the first full of a bucket is its last one.
    if (bucketsTaken.has(bucket)) continue;
    bucketsTaken.add(bucket);
    kept.add(full);
  }
  return kept;
}

/**
 * The snapshots `policy` deletes from `snapshots` (in the store's order) at `now`: deltas first,
 * then full snapshots, oldest first. Pure; `collectGarbage` applies it.
 */
export function selectGarbage(
  snapshots: readonly Snapshot[],
  policy: GarbageCollectionPolicy,
  now: Date,
  options: Omit<GarbageCollectionOptions, 'logger'> = {},
): Snapshot[] {
  const streams = streamsOf(snapshots);
  let latestIndex = streams.length - 1;
  while (latestIndex >= 0 && streams[latestIndex]?.full === undefined) latestIndex--;
  // Without any full snapshot nothing is restorable, and nothing is known to be superfluous.
  if (latestIndex < 0) return [];
  const older = streams.slice(0, latestIndex);
  const olderFulls = older.flatMap((stream) => (stream.full ? [stream.full] : [])).reverse();
  const kept = keptFulls(olderFulls, policy, now, options.maxBackups ?? DEFAULT_MAX_BACKUPS);
  const retentionMs = options.deltaRetentionMs ?? 0;
  const deltas: Snapshot[] = [];
  const fulls: Snapshot[] = [];
  for (const stream of older) {
    const fullKept = stream.full !== undefined && kept.has(stream.full);
    for (const delta of stream.deltas) {
      if (!fullKept || now.getTime() - delta.createdOn * 1000 >= retentionMs) deltas.push(delta);
    }
    if (stream.full && !fullKept) fulls.push(stream.full);
  }
  return [...deltas, ...fulls];
}

/**
 * Deletes what `selectGarbage` selects from `store`; returns what was deleted. A snapshot that
 * cannot be deleted is logged and skipped (the next run tries again).
 */
export async function collectGarbage(
  store: Snapstore,
  policy: GarbageCollectionPolicy,
  now: Date,
  options: GarbageCollectionOptions = {},
): Promise<Snapshot[]> {
  const listed = await store.list();
  const garbage = selectGarbage(
    listed.map((object) => object.snapshot),
    policy,
    now,
    options,
  );
  const deleted: Snapshot[] = [];
  for (const snapshot of garbage) {
    try {
      await store.delete(snapshot);
      deleted.push(snapshot);
    } catch (err) {
      options.logger?.warn(
        { snapshot: snapshot.name, store: store.location, err: err instanceof Error ? err.message : String(err) },
        'garbage collection could not delete a snapshot',
      );
    }
  }
  if (deleted.length > 0) {
    options.logger?.info(
      { policy, deleted: deleted.map((s) => s.name), store: store.location },
      'garbage collection deleted old snapshots',
    );
  }
  return deleted;
}
