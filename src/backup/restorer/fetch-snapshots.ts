/**
 * Brings snapshot objects from the store to local files, checked on the way: a full snapshot
 * streams through gunzip and etcd's SHA-256 check into a file (never whole in memory); a delta's
 * SHA-256, JSON and revisions are checked before it is kept. A store object that does not check
 * out fails here, before the restore touches any data dir.
 */
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip, gunzip } from 'node:zlib';
import { tapStream } from '../../streams/tap-stream.js';
import {
  type DeltaEvent,
  decodeDeltaSnapshot,
  FullSnapshotVerifier,
  groupByRevision,
  SnapshotIntegrityError,
} from '../snapshot-format.js';
import { SnapstoreError } from '../snapstore/errors.js';
import type { Snapshot, Snapstore } from '../snapstore/snapstore.js';
import { RestoreError } from './restore-error.js';

const gunzipAsync = promisify(gunzip);
const GUNZIP_CHUNK_BYTES = 1024 * 1024;
const WRITE_CHUNK_BYTES = 1024 * 1024;

async function fetchObject(store: Snapstore, snapshot: Snapshot): Promise<Readable> {
  try {
    return await store.fetch(snapshot);
  } catch (err) {
    if (SnapstoreError.is(err, 'NotFound')) {
      throw new RestoreError(`${snapshot.name} is listed in ${store.location} but could not be fetched: it is gone`, {
        object: snapshot.name,
        cause: err,
      });
    }
    throw err;
  }
}

/** A decompression failure is the object's fault: its bytes are not what its name says. */
function corruptCompression(snapshot: Snapshot, err: unknown): SnapshotIntegrityError {
  return new SnapshotIntegrityError(snapshot.name, `not valid gzip data: ${(err as Error).message}`);
}

/** Told the bytes of each chunk fetched from the store, as stored (before decompression). */
export type FetchedBytesObserver = (bytes: number) => void;

/**
 * Writes the full snapshot's etcd bytes (decompressed, with etcd's SHA-256 still appended, as
 * `etcdctl snapshot restore` wants them) to `file`, checking the hash as they stream.
 * Returns the file's size.
 */
export async function fetchFullSnapshot(
  store: Snapstore,
  snapshot: Snapshot,
  file: string,
  onFetched?: FetchedBytesObserver,
): Promise<number> {
  const verifier = new FullSnapshotVerifier(snapshot.name);
  // Stores hand out small chunks (64 KiB from files); writing them one by one costs more than
  // copying them into large ones.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const takePending = () => {
    const joined = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return joined;
  };
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      verifier.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      callback(null, pendingBytes >= WRITE_CHUNK_BYTES ? takePending() : undefined);
    },
    flush(callback) {
      callback(null, pendingBytes > 0 ? takePending() : undefined);
    },
  });
  const source = await fetchObject(store, snapshot);
  const count = tapStream((chunk) => onFetched?.(chunk.length));
  const out = createWriteStream(file, { mode: 0o600 });
  try {
    if (snapshot.compression === 'gzip') {
      // zlib's default 16 KiB output chunks cost more in per-chunk overhead than in inflating.
      const gunzipStream = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
      let gunzipFailure: unknown;
      gunzipStream.once('error', (err) => {
        gunzipFailure = err;
      });
      await pipeline(source, count, gunzipStream, check, out).catch((err: unknown) => {
        throw gunzipFailure === err ? corruptCompression(snapshot, err) : err;
      });
    } else {
      await pipeline(source, count, check, out);
    }
  } catch (err) {
    throw fetchFailure(store, snapshot, err);
  }
  verifier.finish();
  return verifier.size;
}

function fetchFailure(store: Snapstore, snapshot: Snapshot, err: unknown): Error {
  if (err instanceof SnapshotIntegrityError || err instanceof RestoreError || err instanceof SnapstoreError) return err;
  return new RestoreError(`fetching ${snapshot.name} from ${store.location} failed: ${(err as Error).message}`, {
    object: snapshot.name,
    cause: err,
  });
}

/** What a fetched delta covers: the mod revisions of its first and last events. */
export interface DeltaSummary {
  events: number;
  firstRevision: number;
  lastRevision: number;
  /** The most operations and bytes one revision (one replayed transaction) holds, for etcd's request limits. */
  largestRevision: { ops: number; bytes: number };
}

/**
 * Fetches a delta, checks it (`checkDeltaEvents`) and writes its decompressed bytes to `file`
 * for the replay, which reads them back with `readDeltaSnapshot`.
 */
export async function fetchDeltaSnapshot(
  store: Snapstore,
  snapshot: Snapshot,
  file: string,
  onFetched?: FetchedBytesObserver,
): Promise<DeltaSummary> {
  let bytes: Buffer;
  try {
    const source = await fetchObject(store, snapshot);
    const chunks: Buffer[] = [];
    for await (const chunk of source) {
      chunks.push(chunk as Buffer);
      onFetched?.((chunk as Buffer).length);
    }
    bytes = Buffer.concat(chunks);
  } catch (err) {
    throw fetchFailure(store, snapshot, err);
  }
  if (snapshot.compression === 'gzip') {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (err) {
      throw corruptCompression(snapshot, err);
    }
  }
  const summary = checkDeltaEvents(snapshot, decodeDeltaSnapshot(bytes, snapshot.name));
  await writeFile(file, bytes, { mode: 0o600 });
  return summary;
}

/** The events of a delta written by `fetchDeltaSnapshot` (checked again: the file is only a spool). */
export async function readDeltaSnapshot(snapshot: Snapshot, file: string): Promise<DeltaEvent[]> {
  return decodeDeltaSnapshot(await readFile(file), snapshot.name);
}

/**
 * A delta's events must cover its revisions without a hole (every etcd revision is at least one
 * event; a missing one means lost writes) and end at the revision its name states.
 */
export function checkDeltaEvents(snapshot: Snapshot, events: readonly DeltaEvent[]): DeltaSummary {
  const first = events[0];
  const last = events.at(-1);
  if (!first || !last) throw new RestoreError(`${snapshot.name} holds no events`, { object: snapshot.name });
  let previous = first.kv.modRevision;
  for (const event of events) {
    const revision = event.kv.modRevision;
    if (revision > previous + 1) {
      throw new RestoreError(
        `${snapshot.name} lacks revisions ${previous + 1}..${revision - 1}: its events jump from ${previous} to ${revision}`,
        { object: snapshot.name },
      );
    }
    previous = revision;
  }
  if (first.kv.modRevision < snapshot.startRevision || last.kv.modRevision !== snapshot.lastRevision) {
    throw new RestoreError(
      `${snapshot.name} holds revisions ${first.kv.modRevision}..${last.kv.modRevision}, not the ${snapshot.startRevision}..${snapshot.lastRevision} its name states`,
      { object: snapshot.name },
    );
  }
  const largestRevision = { ops: 0, bytes: 0 };
  for (const group of groupByRevision(events)) {
    largestRevision.ops = Math.max(largestRevision.ops, group.events.length);
    const bytes = group.events.reduce((sum, e) => sum + e.kv.key.length + e.kv.value.length, 0);
    largestRevision.bytes = Math.max(largestRevision.bytes, bytes);
  }
  return {
    events: events.length,
    firstRevision: first.kv.modRevision,
    lastRevision: last.kv.modRevision,
    largestRevision,
  };
}
