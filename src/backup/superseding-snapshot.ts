/**
 * Whether a store's backups are superseded by a full snapshot in another store: after a live
 * migration (docs/live-migration.md, "The source bucket") nothing is copied; the source bucket's
 * backups become obsolete once the destination holds a full snapshot of the same cluster at or
 * above every revision the source holds (one revision history: a full snapshot at revision R
 * holds everything any backup up to R holds). Until then the source's backups are part of what
 * there is, so their deletion waits for a full snapshot read back and proven: the object is
 * there, its bytes hash to the SHA-256 the store recorded when it was written (when it keeps
 * one), and they decode as an etcd snapshot whose own SHA-256 checks out.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { BackupStoreError } from './backup-store-error.js';
import { FullSnapshotVerifier } from './snapshot-format.js';
import { hashingStream } from './snapstore/hashing-stream.js';
import type { Snapshot, Snapstore } from './snapstore/snapstore.js';

export interface SupersedingSnapshot {
  /** The verified full snapshot, or undefined when there is none (yet). */
  snapshot?: Snapshot;
  /** The revision it had to reach: the higher of `minRevision` and the source's newest backup. */
  neededRevision: number;
  /** Why no snapshot qualifies (for the entry's `lastError`). */
  reason?: string;
}

/**
 * The newest full snapshot in `target` at or above `minRevision` and at or above the newest
 * revision `source` holds, verified; a corrupt candidate is passed over (an older one may still
 * qualify). A store that cannot be read is a `BackupStoreError`.
 */
export async function findSupersedingSnapshot(
  source: Snapstore,
  target: Snapstore,
  minRevision: number,
): Promise<SupersedingSnapshot> {
  const inSource = await source.list().catch((err: unknown) => {
    throw new BackupStoreError('source', source, err);
  });
  const newestSource = inSource.reduce((max, o) => Math.max(max, o.snapshot.lastRevision), 0);
  const neededRevision = Math.max(minRevision, newestSource);
  const inTarget = await target.list().catch((err: unknown) => {
    throw new BackupStoreError('target', target, err);
  });
  const candidates = inTarget
    .map((o) => o.snapshot)
    .filter((s) => s.kind === 'Full' && s.lastRevision >= neededRevision)
    .reverse();
  const rejected: string[] = [];
  for (const snapshot of candidates) {
    const problem = await verifyFullSnapshotObject(target, snapshot);
    if (problem === undefined) return { snapshot, neededRevision };
    rejected.push(problem);
  }
  const newestFull = inTarget.filter((o) => o.snapshot.kind === 'Full').at(-1)?.snapshot;
  const found = newestFull ? `the newest is ${newestFull.name}` : 'there is none';
  return {
    neededRevision,
    reason:
      `${target.location} holds no verified full snapshot at revision ${neededRevision} or above yet (${found})` +
      (rejected.length > 0 ? `; rejected: ${rejected.join('; ')}` : ''),
  };
}

/**
 * Reads `snapshot` back from `store`: undefined when its bytes match the SHA-256 on record (if the
 * store keeps one) and decode as an etcd full snapshot, else what is wrong. A store that cannot
 * be read (other than the object being gone) is a `BackupStoreError`.
 */
export async function verifyFullSnapshotObject(store: Snapstore, snapshot: Snapshot): Promise<string | undefined> {
  const fail = (err: unknown): never => {
    throw new BackupStoreError('target', store, err);
  };
  const recorded = await store.stat(snapshot, { recordedOnly: true }).catch(fail);
  if (!recorded) return `${snapshot.name} is gone`;
  const hashing = hashingStream();
  const verifier = new FullSnapshotVerifier(snapshot.name);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      verifier.update(chunk);
      callback();
    },
  });
  const bytes = await store.fetch(snapshot).catch(fail);
  try {
    if (snapshot.compression === 'gzip') await pipeline(bytes, hashing.stream, createGunzip(), sink);
    else await pipeline(bytes, hashing.stream, sink);
    verifier.finish();
  } catch (err) {
    return `${snapshot.name} does not decode: ${(err as Error).message}`;
  }
  const { size, sha256 } = hashing.result();
  if (size !== recorded.size) return `${snapshot.name}: ${size} bytes read, ${recorded.size} stored`;
  if (recorded.sha256 !== undefined && recorded.sha256 !== sha256) {
    return `${snapshot.name}: its bytes hash to ${sha256}, ${recorded.sha256} was written`;
  }
  return undefined;
}
