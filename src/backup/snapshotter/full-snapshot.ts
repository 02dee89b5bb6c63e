/**
 * Full snapshots: etcd's snapshot stream, spooled to a temp file while etcd's appended SHA-256
 * is checked, optionally gzip-compressed, and only then saved to the store. A snapshot that does
 * not check out is never uploaded; a 1 GB snapshot is never held in memory.
 *
 * The name's revision is read before the stream starts, as etcd-backup-restore does: the
 * database may hold a few later revisions, which the restorer tolerates because it applies only
 * delta events above the revision it restored to.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Etcd3, ISnapshotResponse } from 'etcd3';
import type { Logger } from 'pino';
import { FullSnapshotVerifier, SnapshotIntegrityError } from '../snapshot-format.js';
import { newSnapshot } from '../snapstore/snapshot-name.js';
import type { Snapshot, Snapstore } from '../snapstore/snapstore.js';
import { currentRevision } from './etcd-connection.js';

export interface FullSnapshotOptions {
  /** Default none, as etcd-druid's `spec.backup.compression.enabled: false`. */
  compression?: Snapshot['compression'];
  /** Mark the snapshot final (`.final`): the last one before the etcd moves away. */
  final?: boolean;
  /** Where the snapshot is spooled; default the system temp dir. */
  tempDir?: string;
  /** Aborts the snapshot and its upload; nothing is saved. */
  signal?: AbortSignal;
  /** Creation time for the name; default now. */
  now?: Date;
  logger?: Logger;
}

/** The grpc stream under `IResponseStream`: object-mode readable, cancellable. */
type SnapshotStream = AsyncIterable<ISnapshotResponse> & { cancel?(): void };

/**
 * Takes a full snapshot of the etcd behind `client` into `store`. Throws SnapshotIntegrityError
 * when etcd's stream does not check out, other errors when etcd or the store fail; in every
 * failure nothing is saved and the temp file is gone.
 */
export async function takeFullSnapshot(
  client: Etcd3,
  store: Snapstore,
  options: FullSnapshotOptions = {},
): Promise<Snapshot> {
  const revision = await currentRevision(client);
  const stream = (await client.maintenance.snapshot()) as unknown as SnapshotStream;
  try {
    return await storeFullSnapshot(revision, snapshotBlobs(stream), store, options);
  } finally {
    // Ends the call when the snapshot failed midway (an early return leaves the stream open).
    stream.cancel?.();
  }
}

async function* snapshotBlobs(stream: SnapshotStream): AsyncIterable<Buffer> {
  for await (const response of stream) yield response.blob;
}

/**
 * Saves etcd snapshot bytes (`blobs`: the bolt database followed by its SHA-256, as etcd's
 * snapshot API sends them) as the full snapshot at `revision`, after checking the hash.
 */
export async function storeFullSnapshot(
  revision: number,
  blobs: AsyncIterable<Buffer>,
  store: Snapstore,
  options: FullSnapshotOptions = {},
): Promise<Snapshot> {
  const started = Date.now();
  const snapshot = newSnapshot('Full', 0, revision, {
    compression: options.compression ?? 'none',
    final: options.final ?? false,
    now: options.now ?? new Date(),
  });
  const verifier = new FullSnapshotVerifier(`etcd snapshot stream for ${snapshot.name}`);
  const file = path.join(options.tempDir ?? tmpdir(), `.${snapshot.name}.${randomUUID()}.part`);
  const verify = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      verifier.update(chunk);
      callback(null, chunk);
    },
  });
  const signal = options.signal ? { signal: options.signal } : {};
  try {
    try {
      const output = createWriteStream(file, { mode: 0o600 });
      if (snapshot.compression === 'gzip') await pipeline(blobs, verify, createGzip(), output, signal);
      else await pipeline(blobs, verify, output, signal);
      verifier.finish();
    } catch (err) {
      if (err instanceof SnapshotIntegrityError) throw err;
      throw new Error(`full snapshot ${snapshot.name}: reading etcd's snapshot stream failed: ${message(err)}`, {
        cause: err,
      });
    }
    try {
      await store.save(snapshot, createReadStream(file), signal);
    } catch (err) {
      throw new Error(`full snapshot ${snapshot.name}: saving to ${store.location} failed: ${message(err)}`, {
        cause: err,
      });
    }
  } finally {
    await rm(file, { force: true });
  }
  options.logger?.info(
    { snapshot: snapshot.name, bytes: verifier.size, durationMs: Date.now() - started },
    'full snapshot saved',
  );
  return snapshot;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
