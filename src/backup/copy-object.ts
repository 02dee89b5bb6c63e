/**
 * Copying one object between stores and proving the copy: streaming it from source to target,
 * then checking size and SHA-256 against what was read and what either store recorded; and the
 * same comparison for an object the target may already hold, so re-runs skip only verified
 * copies. Errors are `BackupStoreError`s that say which store failed.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { BackupStoreError } from './backup-store-error.js';
import type { CopyItem } from './copy-selection.js';
import type { Snapshot, Snapstore, StoredContent } from './snapstore/snapstore.js';

/**
 * Whether the target's object has the source object's size and SHA-256 (hashing whichever store
 * keeps none). With `hashTarget` the target's bytes are read and hashed even when it has a SHA-256
 * on record: a record says what was written, not what is there now.
 */
export async function sameContent(
  source: Snapstore,
  target: Snapstore,
  item: CopyItem,
  options: { hashTarget?: boolean } = {},
): Promise<boolean> {
  const [inSource, inTarget] = await Promise.all([
    digest(source, item.object.snapshot).catch((err: unknown) => {
      throw new BackupStoreError('source', source, err);
    }),
    digest(target, item.target, options.hashTarget).catch((err: unknown) => {
      throw new BackupStoreError('target', target, err);
    }),
  ]);
  return (
    inSource !== undefined &&
    inTarget !== undefined &&
    inSource.size === inTarget.size &&
    inSource.sha256 === inTarget.sha256
  );
}

async function digest(
  store: Snapstore,
  snapshot: Snapshot,
  ignoreRecord = false,
): Promise<{ size: number; sha256: string } | undefined> {
  const stat = await store.stat(snapshot, { recordedOnly: ignoreRecord });
  if (!stat) return undefined;
  if (stat.sha256 && !ignoreRecord) return { size: stat.size, sha256: stat.sha256 };
  const hash = createHash('sha256');
  let size = 0;
  await pipelineAsync(await store.fetch(snapshot), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
    }
  });
  return { size, sha256: hash.digest('hex') };
}

/** Streams one object from source to target and verifies the target's copy; returns its size. */
export async function copyObject(
  source: Snapstore,
  target: Snapstore,
  item: CopyItem,
  signal: AbortSignal | undefined,
  onBytes: (delta: number) => void,
): Promise<number> {
  let fetched: Readable;
  try {
    fetched = await source.fetch(item.object.snapshot);
  } catch (err) {
    throw new BackupStoreError('source', source, err);
  }
  let size = 0;
  let readError: unknown;
  // Until the target starts reading, nothing else listens: an early error must not go unhandled.
  fetched.once('error', (err) => {
    readError ??= err;
  });
  // Errors while reading the source are told apart from the target's (which also end the read).
  // The target hashes what it stores; hashing here too would cost a second pass over every byte.
  async function* counted(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of fetched as AsyncIterable<Buffer>) {
        size += chunk.length;
        onBytes(chunk.length);
        yield chunk;
      }
    } catch (err) {
      readError ??= err;
      throw err;
    }
  }
  let stored: StoredContent;
  try {
    stored = await target.save(item.target, Readable.from(counted(), { objectMode: false }), signal ? { signal } : {});
  } catch (err) {
    fetched.destroy();
    if (readError !== undefined && !signal?.aborted) {
      const why = readError instanceof Error ? readError.message : String(readError);
      throw new BackupStoreError('source', source, `reading ${item.object.snapshot.name} failed: ${why}`);
    }
    throw new BackupStoreError('target', target, err);
  }
  if (size !== item.object.size || stored.size !== size) {
    throw new BackupStoreError(
      'source',
      source,
      `${item.object.snapshot.name} was listed with ${item.object.size} bytes but ${size} were read and ${stored.size} stored`,
    );
  }
  // A source that records its objects' SHA-256 (S3 metadata, a local store's digest) is checked
  // against what arrived; the target's own record is read back, so a store that kept something
  // else than it was given is caught too.
  let inSource: { size: number; sha256?: string } | undefined;
  let saved: { size: number; sha256?: string } | undefined;
  try {
    inSource = await source.stat(item.object.snapshot, { recordedOnly: true });
  } catch (err) {
    throw new BackupStoreError('source', source, err);
  }
  try {
    saved = await target.stat(item.target);
  } catch (err) {
    throw new BackupStoreError('target', target, err);
  }
  const expected = inSource?.sha256 ?? stored.sha256;
  if (
    !saved ||
    saved.size !== size ||
    stored.sha256 !== expected ||
    (saved.sha256 !== undefined && saved.sha256 !== expected)
  ) {
    const found = saved ? `${saved.size} bytes, sha256 ${saved.sha256 ?? 'unknown'}` : 'nothing';
    throw new BackupStoreError(
      'target',
      target,
      `${item.target.name} does not match the source after the copy: expected ${size} bytes, sha256 ${expected}; stored ${stored.sha256}; found ${found}`,
    );
  }
  return size;
}
