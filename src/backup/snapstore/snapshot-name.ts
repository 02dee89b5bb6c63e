/**
 * Snapshot object names exactly as etcd-backup-restore writes and parses them
 * (pkg/snapstore/utils.go `GenerateSnapshotName`, pkg/snapstore/snapshot.go `ParseSnapshot`):
 * `Full-%08d-%08d-%d[.gz][.final]` and `Incr-%08d-%08d-%d[.gz]` — kind, start revision, last
 * revision, unix seconds, compression suffix, final marker. Revisions wider than 8 digits just grow.
 */
import type { Snapshot, SnapshotKind } from './snapstore.js';

const GZIP_SUFFIX = '.gz';
const FINAL_SUFFIX = '.final';
const DIGITS = /^\d+$/;

function pad8(n: number): string {
  return String(n).padStart(8, '0');
}

/** The object name etcd-backup-restore gives `s` (ignores `s.name`). */
export function snapshotName(s: Omit<Snapshot, 'name'>): string {
  const compression = s.compression === 'gzip' ? GZIP_SUFFIX : '';
  const final = s.isFinal ? FINAL_SUFFIX : '';
  return `${s.kind}-${pad8(s.startRevision)}-${pad8(s.lastRevision)}-${s.createdOn}${compression}${final}`;
}

function parseNumber(token: string): number | undefined {
  if (!DIGITS.test(token)) return undefined;
  const n = Number(token);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The snapshot an object name denotes, or undefined when the name is not a snapshot this store
 * understands (other objects, temp files, chunks, lzw/zlib compression, start > last revision).
 * `name` of the result is the name as given.
 */
export function parseSnapshotName(name: string): Snapshot | undefined {
  const tokens = name.split('-');
  if (tokens.length !== 4) return undefined;
  const [kindToken, startToken, lastToken, rest] = tokens as [string, string, string, string];
  if (kindToken !== 'Full' && kindToken !== 'Incr') return undefined;
  const startRevision = parseNumber(startToken);
  const lastRevision = parseNumber(lastToken);
  if (startRevision === undefined || lastRevision === undefined || startRevision > lastRevision) return undefined;
  // `<unix>[.gz][.final]`
  const parts = rest.split('.');
  const createdOn = parseNumber(parts[0] ?? '');
  if (createdOn === undefined) return undefined;
  let suffixes = parts.slice(1);
  const isFinal = suffixes.at(-1) === 'final';
  if (isFinal) suffixes = suffixes.slice(0, -1);
  let compression: Snapshot['compression'];
  if (suffixes.length === 0) compression = 'none';
  else if (suffixes.length === 1 && suffixes[0] === 'gz') compression = 'gzip';
  else return undefined;
  return { kind: kindToken, startRevision, lastRevision, createdOn, compression, isFinal, name };
}

export interface NewSnapshotOptions {
  /** Default gzip, as etcd-backup-restore's `--compress-snapshots` default. */
  compression?: Snapshot['compression'];
  /** A final full snapshot (`.final`); only Full snapshots can be final. */
  final?: boolean;
  /** Creation time; default now. */
  now?: Date;
}

/** A snapshot to save, named the way etcd-backup-restore names it. */
export function newSnapshot(
  kind: SnapshotKind,
  startRevision: number,
  lastRevision: number,
  options: NewSnapshotOptions = {},
): Snapshot {
  for (const [what, n] of [
    ['start revision', startRevision],
    ['last revision', lastRevision],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new RangeError(`snapshot ${what} must be a non-negative integer, got ${n}`);
  }
  if (startRevision > lastRevision) {
    throw new RangeError(
      `snapshot last revision (${lastRevision}) must be at least its start revision (${startRevision})`,
    );
  }
  if (options.final && kind !== 'Full') throw new RangeError('only full snapshots can be final');
  const snapshot: Omit<Snapshot, 'name'> = {
    kind,
    startRevision,
    lastRevision,
    createdOn: Math.floor((options.now ?? new Date()).getTime() / 1000),
    compression: options.compression ?? 'gzip',
    isFinal: options.final ?? false,
  };
  return { ...snapshot, name: snapshotName(snapshot) };
}

/** `s` with the final marker set or cleared (etcd-backup-restore's `SetFinal`; copy clears it). */
export function withFinal(s: Snapshot, isFinal: boolean): Snapshot {
  const { name: _name, ...rest } = s;
  const changed = { ...rest, isFinal };
  return { ...changed, name: snapshotName(changed) };
}

/**
 * etcd-backup-restore's listing order: lastRevision ascending; ties by createdOn, then name. A
 * delta and a full snapshot ending at the same revision put the delta first whatever their times
 * (often the same second): it was flushed just before the full one, since a delta after a full
 * snapshot at R ends after R.
 */
export function compareSnapshots(a: Snapshot, b: Snapshot): number {
  return (
    a.lastRevision - b.lastRevision ||
    kindOrder(a) - kindOrder(b) ||
    a.createdOn - b.createdOn ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

function kindOrder(s: Snapshot): number {
  return s.kind === 'Incr' ? 0 : 1;
}
