/**
 * Full snapshots: etcd's snapshot stream, optionally gzip-compressed, spooled to a temp file
 * while etcd's appended SHA-256 is checked. The upload to the store follows the temp file as it
 * grows, but its input only ends once the hash checked out: a snapshot that does not check out
 * is never stored (the store's save fails and keeps nothing), and a 1 GB snapshot is never held
 * in memory.
 *
 * The name's revision is read before the stream starts, as etcd-backup-restore does: the
 * database may hold a few later revisions, which the restorer tolerates because it applies only
 * delta events above the revision it restored to.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Etcd3, ISnapshotResponse } from 'etcd3';
import type { Logger } from 'pino';
import { FullSnapshotVerifier, SnapshotIntegrityError } from '../snapshot-format.js';
import { newSnapshot } from '../snapstore/snapshot-name.js';
import type { Snapshot, Snapstore } from '../snapstore/snapstore.js';
import { currentRevision } from './etcd-connection.js';
import { SpoolFile } from './spool-file.js';

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
  let revision: number;
  let stream: SnapshotStream;
  try {
    revision = await currentRevision(client);
    stream = (await client.maintenance.snapshot()) as unknown as SnapshotStream;
  } catch (err) {
    throw new Error(`full snapshot: etcd did not answer: ${message(err)}`, { cause: err });
  }
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
  const spool = await SpoolFile.create(
    path.join(options.tempDir ?? tmpdir(), `.${snapshot.name}.${randomUUID()}.part`),
  );
  // A failed upload stops the reading from etcd too.
  const uploadFailed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, uploadFailed.signal]) : uploadFailed.signal;
  let saveError: unknown;
  const saving = store.save(snapshot, spool.reader(), { signal }).catch((err: unknown) => {
    saveError = err;
    uploadFailed.abort();
  });
  try {
    try {
      const output = spool.writable();
      const verified = verifiedBlobs(blobs, verifier);
      if (snapshot.compression === 'gzip') await pipeline(verified, createGzip(), output, { signal });
      else await pipeline(verified, output, { signal });
      verifier.finish();
    } catch (err) {
      spool.fail(err instanceof Error ? err : new Error(String(err)));
      await saving;
      if (err instanceof SnapshotIntegrityError) throw err;
      if (saveError === undefined) {
        throw new Error(`full snapshot ${snapshot.name}: reading etcd's snapshot stream failed: ${message(err)}`, {
          cause: err,
        });
      }
    }
    spool.seal();
    await saving;
    if (saveError !== undefined) {
      throw new Error(`full snapshot ${snapshot.name}: saving to ${store.location} failed: ${message(saveError)}`, {
        cause: saveError,
      });
    }
  } finally {
    await spool.remove();
  }
  options.logger?.info(
    { snapshot: snapshot.name, bytes: verifier.size, durationMs: Date.now() - started },
    'full snapshot saved',
  );
  return snapshot;
}

/** `blobs` as they are, each fed to `verifier` on the way (cheaper than a Transform stream). */
async function* verifiedBlobs(blobs: AsyncIterable<Buffer>, verifier: FullSnapshotVerifier): AsyncIterable<Buffer> {
  for await (const blob of blobs) {
    verifier.update(blob);
    yield blob;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
