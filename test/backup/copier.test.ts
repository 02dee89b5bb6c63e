/**
 * The copier between real stores (local directories and s3rver; temp dirs, one s3rver per file):
 * byte-identical copies, content-based idempotency, resumption after an abort, selection, the wait
 * for a final snapshot, and errors that name the store and the cause.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  BackupStoreError,
  CopyFailedError,
  type CopyObjectEvent,
  type CopyOptions,
  type CopyProgress,
  copyBackups,
  selectBackups,
} from '../../src/backup/copier.js';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { S3Snapstore } from '../../src/backup/snapstore/s3-snapstore.js';
import { newSnapshot, withFinal } from '../../src/backup/snapstore/snapshot-name.js';
import type {
  PrefixObject,
  SaveOptions,
  Snapshot,
  Snapstore,
  StatOptions,
  StoredContent,
  StoredObject,
} from '../../src/backup/snapstore/snapstore.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, type S3rver, startS3rver } from '../helpers/s3rver.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const PREFIX = 'shoot--dev--a/etcd-main';

let server: S3rver | undefined;
let bucketCount = 0;
const cleanups: Array<() => Promise<void>> = [];

before(async () => {
  server = await startS3rver();
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await server?.stop();
});

type StoreKind = 'local' | 's3';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'copier-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function s3Credentials(overrides: { accessKeyId?: string; endpoint?: string } = {}) {
  assert.ok(server);
  return {
    accessKeyId: overrides.accessKeyId ?? S3RVER_ACCESS_KEY,
    secretAccessKey: S3RVER_SECRET_KEY,
    region: 'us-east-1',
    endpoint: overrides.endpoint ?? server.endpoint,
    forcePathStyle: true,
  };
}

async function freshBucket(): Promise<string> {
  assert.ok(server);
  const bucket = `copier-${process.pid}-${++bucketCount}`;
  await server.createBucket(bucket);
  return bucket;
}

async function openStore(kind: StoreKind): Promise<Snapstore> {
  if (kind === 'local') return new LocalSnapstore({ root: await tempDir(), container: 'backups', prefix: PREFIX });
  const store = new S3Snapstore({
    bucket: await freshBucket(),
    prefix: PREFIX,
    credentials: s3Credentials(),
    tempDirectory: await tempDir(),
    maxAttempts: 1,
  });
  cleanups.push(async () => store.close());
  return store;
}

function at(seconds: number): Date {
  return new Date(T0 + seconds * 1000);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

interface Layout {
  snapshot: Snapshot;
  size: number;
}

/** Three backups (the newest with a final full) and an orphan delta before the oldest full. */
function standardLayout(): Layout[] {
  return [
    { snapshot: newSnapshot('Incr', 1, 5, { now: at(-100) }), size: 4 * KiB },
    { snapshot: newSnapshot('Full', 0, 100, { now: at(0) }), size: 3 * MiB + 11 },
    { snapshot: newSnapshot('Incr', 101, 110, { now: at(20) }), size: 200 * KiB },
    { snapshot: newSnapshot('Incr', 111, 120, { now: at(40), compression: 'none' }), size: 10 * KiB },
    { snapshot: newSnapshot('Full', 0, 200, { now: at(3600) }), size: 2 * MiB },
    { snapshot: newSnapshot('Incr', 201, 210, { now: at(3620) }), size: 50 * KiB },
    { snapshot: newSnapshot('Full', 0, 300, { now: at(7200), final: true }), size: MiB },
  ];
}

/** Saves random objects; returns their content by source name. */
async function fill(store: Snapstore, layout: Layout[]): Promise<Map<string, Buffer>> {
  const contents = new Map<string, Buffer>();
  for (const { snapshot, size } of layout) {
    const data = randomBytes(size);
    await store.save(snapshot, data);
    contents.set(snapshot.name, data);
  }
  return contents;
}

/** What the target must hold after copying `names` of `source`: `.final` stripped, by target name. */
function expectedTarget(source: Map<string, Buffer>, layout: Layout[], names: string[]): Map<string, string> {
  const expected = new Map<string, string>();
  for (const { snapshot } of layout) {
    if (names.includes(snapshot.name))
      expected.set(withFinal(snapshot, false).name, sha256(source.get(snapshot.name)!));
  }
  return expected;
}

/** The store's objects: name → sha256 of the fetched bytes. */
async function storeContents(store: Snapstore): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  for (const { snapshot, size } of await store.list()) {
    const data = await buffer(await store.fetch(snapshot));
    assert.equal(data.length, size, `${snapshot.name}: listed size`);
    contents.set(snapshot.name, sha256(data));
  }
  return contents;
}

function sorted(map: Map<string, string>): [string, string][] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Delegates to `inner`; subclasses change one method. */
class WrappedStore implements Snapstore {
  readonly provider: Snapstore['provider'];
  readonly location: string;
  constructor(readonly inner: Snapstore) {
    this.provider = inner.provider;
    this.location = inner.location;
  }
  list(): Promise<StoredObject[]> {
    return this.inner.list();
  }
  save(snapshot: Snapshot, data: Readable | Buffer, options?: SaveOptions): Promise<StoredContent> {
    return this.inner.save(snapshot, data, options);
  }
  fetch(snapshot: Snapshot): Promise<Readable> {
    return this.inner.fetch(snapshot);
  }
  delete(snapshot: Snapshot): Promise<void> {
    return this.inner.delete(snapshot);
  }
  stat(snapshot: Snapshot, options?: StatOptions): Promise<{ size: number; sha256?: string } | undefined> {
    return this.inner.stat(snapshot, options);
  }
  listPrefix(): Promise<PrefixObject[]> {
    return this.inner.listPrefix();
  }
  deleteFromPrefix(key: string): Promise<void> {
    return this.inner.deleteFromPrefix(key);
  }
}

/** Streams every object in 64 KiB chunks with a pause between them, so an abort lands mid-copy. */
class SlowSource extends WrappedStore {
  override async fetch(snapshot: Snapshot): Promise<Readable> {
    const data = await buffer(await this.inner.fetch(snapshot));
    return Readable.from(
      (async function* () {
        for (let i = 0; i < data.length; i += 64 * KiB) {
          await sleep(3);
          yield data.subarray(i, i + 64 * KiB);
        }
      })(),
    );
  }
}

async function copy(options: CopyOptions) {
  const events: CopyObjectEvent[] = [];
  const progress: CopyProgress[] = [];
  const result = await copyBackups({
    ...options,
    onObject: (e) => events.push(e),
    onProgress: (p) => progress.push(p),
  });
  return { result, events, progress };
}

const PAIRS: [StoreKind, StoreKind][] = [
  ['local', 'local'],
  ['local', 's3'],
  ['s3', 'local'],
];

for (const [sourceKind, targetKind] of PAIRS) {
  describe(`copy ${sourceKind} → ${targetKind}`, () => {
    it('copies every backup byte for byte, drops orphan deltas and .final, and copies nothing on a re-run', async () => {
      const source = await openStore(sourceKind);
      const target = await openStore(targetKind);
      const layout = standardLayout();
      const data = await fill(source, layout);
      const names = layout.slice(1).map((l) => l.snapshot.name);

      const first = await copy({ source, target });
      assert.deepEqual(first.result.copied.map((s) => s.name).sort(), [...names].sort());
      assert.deepEqual(first.result.skipped, []);
      assert.equal(
        first.result.bytes,
        layout.slice(1).reduce((sum, l) => sum + l.size, 0),
      );
      assert.equal(first.result.finalSnapshot, 'not-requested');
      assert.deepEqual(sorted(await storeContents(target)), sorted(expectedTarget(data, layout, names)));
      const final = first.events.find((e) => e.source.isFinal);
      assert.equal(final?.target.name, withFinal(layout[6]!.snapshot, false).name);
      const done = first.progress.at(-1);
      assert.equal(done?.phase, 'done');
      assert.equal(done?.doneObjects, 6);
      assert.equal(done?.copiedBytes, first.result.bytes);

      const second = await copy({ source, target });
      assert.equal(second.result.copied.length, 0, 'nothing copied again');
      assert.equal(second.result.bytes, 0);
      assert.deepEqual(second.result.skipped.map((s) => s.name).sort(), [...names].sort());
      assert.ok(second.events.every((e) => e.action === 'skipped'));
    });

    it('replaces a target object of the same name with other content (same size or not)', async () => {
      const source = await openStore(sourceKind);
      const target = await openStore(targetKind);
      const layout = standardLayout().slice(1, 4);
      const data = await fill(source, layout);
      const [full, delta, other] = layout.map((l) => l.snapshot) as [Snapshot, Snapshot, Snapshot];
      await target.save(full, randomBytes(data.get(full.name)!.length)); // same size, other bytes
      await target.save(delta, randomBytes(7)); // other size
      await target.save(other, data.get(other.name)!); // identical

      const { result, events } = await copy({ source, target });
      const action = (s: Snapshot) => events.find((e) => e.source.name === s.name)?.action;
      assert.equal(action(full), 'replaced');
      assert.equal(action(delta), 'replaced');
      assert.equal(action(other), 'skipped');
      assert.equal(result.copied.length, 2);
      assert.deepEqual(
        sorted(await storeContents(target)),
        sorted(
          expectedTarget(
            data,
            layout,
            layout.map((l) => l.snapshot.name),
          ),
        ),
      );
    });

    it('resumes after an abort mid-copy: nothing partial is listed, the re-run copies only what is missing', async () => {
      const source = await openStore(sourceKind);
      const target = await openStore(targetKind);
      const layout = standardLayout();
      const data = await fill(source, layout);
      const names = layout.slice(1).map((l) => l.snapshot.name);
      const abort = new AbortController();
      let started = 0;
      await assert.rejects(
        copyBackups({
          source: new SlowSource(source),
          target,
          maxParallelCopyOperations: 2,
          signal: abort.signal,
          onProgress: (p) => {
            started = p.doneObjects;
          },
          onObject: (e) => {
            if (e.action === 'copied') abort.abort(new Error('killed'));
          },
        }),
        /killed/,
      );
      assert.ok(started >= 1);
      const partial = await storeContents(target);
      const expected = expectedTarget(data, layout, names);
      assert.ok(partial.size >= 1 && partial.size < expected.size, `${partial.size} objects after the abort`);
      for (const [name, digest] of partial) assert.equal(digest, expected.get(name), `${name} is complete`);

      const { result } = await copy({ source, target });
      // An upload whose whole body was on its way when the abort came may still be stored by the
      // server after the listing above (S3 too): the re-run then skips it. Each object is either
      // skipped (whole in the target) or copied, never both, and nothing listed after the abort
      // is copied again.
      assert.equal(result.copied.length + result.skipped.length, expected.size);
      assert.ok(result.skipped.length >= partial.size, `${result.skipped.length} skipped, ${partial.size} were there`);
      for (const name of partial.keys())
        assert.ok(!result.copied.some((c) => c.name === name), `${name} not copied again`);
      assert.deepEqual(sorted(await storeContents(target)), sorted(expected));
    });
  });
}

describe('selecting backups', () => {
  const objects: StoredObject[] = standardLayout().map((l) => ({ snapshot: l.snapshot, size: l.size }));
  const names = (selected: StoredObject[]) => selected.map((o) => o.snapshot.name);
  const [orphan, full1, d11, d12, full2, d21, full3] = objects.map((o) => o.snapshot.name);

  it('orders the newest backup first, each full before its deltas, and drops orphan deltas', () => {
    const all = names(selectBackups(objects));
    assert.deepEqual(all, [full3, full2, d21, full1, d11, d12]);
    assert.ok(!all.includes(orphan!));
  });

  it('honours maxBackupsToCopy (-1 all, 0 none) and maxBackupAgeDays (by the full snapshot)', () => {
    assert.deepEqual(names(selectBackups(objects, { maxBackupsToCopy: 1 })), [full3]);
    assert.deepEqual(names(selectBackups(objects, { maxBackupsToCopy: 2 })), [full3, full2, d21]);
    assert.deepEqual(names(selectBackups(objects, { maxBackupsToCopy: 0 })), []);
    assert.equal(selectBackups(objects, { maxBackupsToCopy: -1 }).length, 6);
    // One day after T0 + 30 min: the first full (T0) is older than a day, the second (T0 + 1 h) is not.
    const now = at(86_400 + 1800);
    assert.deepEqual(names(selectBackups(objects, { maxBackupAgeDays: 1, now })), [full3, full2, d21]);
    assert.deepEqual(names(selectBackups(objects, { maxBackupAgeDays: 0, now })), []);
    assert.deepEqual(names(selectBackups(objects, { maxBackupAgeDays: 1, maxBackupsToCopy: 1, now })), [full3]);
  });

  it('copies only the selected backups', async () => {
    const source = await openStore('local');
    const layout = standardLayout();
    const data = await fill(source, layout);
    const newest = await openStore('local');
    await copy({ source, target: newest, maxBackupsToCopy: 1 });
    assert.deepEqual(sorted(await storeContents(newest)), sorted(expectedTarget(data, layout, [full3!])));
    const young = await openStore('local');
    await copy({ source, target: young, maxBackupAgeDays: 1, now: () => at(86_400 + 1800) });
    assert.deepEqual(sorted(await storeContents(young)), sorted(expectedTarget(data, layout, [full3!, full2!, d21!])));
  });
});

describe('waiting for a final full snapshot', () => {
  it('waits until a final full snapshot appears, then copies it without .final', async () => {
    const source = await openStore('local');
    const target = await openStore('local');
    const layout = standardLayout().slice(1, 5);
    await fill(source, layout);
    const final = newSnapshot('Full', 0, 400, { now: at(9000), final: true });
    const finalData = randomBytes(100 * KiB);
    const phases: CopyProgress['phase'][] = [];
    let saved = false;
    const copying = copyBackups({
      source,
      target,
      waitForFinalSnapshot: true,
      finalSnapshotCheckIntervalMs: 50,
      onProgress: (p) => {
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
        if (p.phase === 'copying') assert.ok(saved, 'copying starts only after the final snapshot is there');
      },
    });
    await sleep(300);
    await source.save(final, finalData);
    saved = true;
    const result = await copying;
    assert.equal(result.finalSnapshot, 'found');
    assert.deepEqual(phases, ['listing', 'waiting-for-final', 'listing', 'copying', 'done']);
    const copied = await storeContents(target);
    assert.equal(copied.get(withFinal(final, false).name), sha256(finalData));
    assert.equal(copied.size, layout.length + 1);
  });

  it('finds a final snapshot among the 4 newest fulls only', async () => {
    const source = await openStore('local');
    const target = await openStore('local');
    const fulls = [1, 2, 3, 4, 5].map((i) => ({
      snapshot: newSnapshot('Full', 0, i * 100, { now: at(i * 3600), final: i === 1 }),
      size: KiB,
    }));
    await fill(source, fulls);
    const { result } = await copy({
      source,
      target,
      waitForFinalSnapshot: true,
      waitForFinalSnapshotTimeoutMs: 150,
      finalSnapshotCheckIntervalMs: 50,
    });
    assert.equal(result.finalSnapshot, 'timed-out', 'the 5th newest full does not count');
    await fill(source, [{ snapshot: newSnapshot('Full', 0, 250, { now: at(9000), final: true }), size: KiB }]);
    const again = await copy({ source, target, waitForFinalSnapshot: true, finalSnapshotCheckIntervalMs: 50 });
    assert.equal(again.result.finalSnapshot, 'found');
  });

  it('copies anyway when the timeout passes', async () => {
    const source = await openStore('local');
    const target = await openStore('local');
    const layout = standardLayout().slice(1, 4);
    const data = await fill(source, layout);
    const started = Date.now();
    const { result } = await copy({
      source,
      target,
      waitForFinalSnapshot: true,
      waitForFinalSnapshotTimeoutMs: 300,
      finalSnapshotCheckIntervalMs: 50,
    });
    assert.ok(Date.now() - started >= 300, 'waited for the timeout');
    assert.equal(result.finalSnapshot, 'timed-out');
    assert.deepEqual(
      sorted(await storeContents(target)),
      sorted(
        expectedTarget(
          data,
          layout,
          layout.map((l) => l.snapshot.name),
        ),
      ),
    );
  });

  it('stops waiting when aborted', async () => {
    const source = await openStore('local');
    const target = await openStore('local');
    await fill(source, standardLayout().slice(1, 2));
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('stop waiting')), 100);
    const started = Date.now();
    await assert.rejects(
      copyBackups({
        source,
        target,
        waitForFinalSnapshot: true,
        finalSnapshotCheckIntervalMs: 10_000,
        signal: abort.signal,
      }),
      /stop waiting/,
    );
    assert.ok(Date.now() - started < 2000);
    assert.deepEqual(await target.list(), []);
  });

  it('stops at once when aborted while a store listing hangs (a source that never answers)', async () => {
    const target = await openStore('local');
    const hanging = Object.create(target) as Snapstore;
    let listings = 0;
    hanging.list = () => {
      listings++;
      return new Promise<never>(() => {});
    };
    const abort = new AbortController();
    const copy = copyBackups({ source: hanging, target, signal: abort.signal });
    await sleep(50);
    assert.equal(listings, 1, 'the copy is listing the source');
    abort.abort(new Error('task cancelled'));
    await assert.rejects(copy, /task cancelled/);
    assert.deepEqual(await target.list(), []);
  });
});

describe('copy errors', () => {
  async function closedPort(): Promise<number> {
    return new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
  }

  it('names an unreachable source store and the cause', async () => {
    const port = await closedPort();
    const source = new S3Snapstore({
      bucket: 'backups',
      prefix: PREFIX,
      credentials: s3Credentials({ endpoint: `http://127.0.0.1:${port}` }),
      maxAttempts: 1,
    });
    cleanups.push(async () => source.close());
    const target = await openStore('local');
    await assert.rejects(copyBackups({ source, target }), (err: Error) => {
      assert.ok(err instanceof BackupStoreError, String(err));
      assert.equal(err.role, 'source');
      assert.equal(err.code, 'Unreachable');
      assert.equal(
        err.message,
        `source store s3://backups/${PREFIX}: cannot reach http://127.0.0.1:${port} (ECONNREFUSED) while trying to list snapshots`,
      );
      return true;
    });
  });

  it('names a target store with wrong credentials or a missing bucket, without secrets', async () => {
    const source = await openStore('local');
    await fill(source, standardLayout().slice(1, 2));
    const wrongKey = new S3Snapstore({
      bucket: await freshBucket(),
      prefix: PREFIX,
      credentials: s3Credentials({ accessKeyId: 'NOSUCHKEYID' }),
      maxAttempts: 1,
    });
    const noBucket = new S3Snapstore({
      bucket: 'no-such-bucket',
      prefix: PREFIX,
      credentials: s3Credentials(),
      maxAttempts: 1,
    });
    cleanups.push(
      async () => wrongKey.close(),
      async () => noBucket.close(),
    );
    await assert.rejects(copyBackups({ source, target: wrongKey }), (err: Error) => {
      assert.ok(err instanceof BackupStoreError, String(err));
      assert.equal(err.role, 'target');
      assert.equal(err.code, 'AccessDenied');
      assert.match(err.message, /^target store s3:\/\/copier-\S+: access denied .*check the credentials$/);
      assert.doesNotMatch(err.message, /NOSUCHKEYID|S3RVER/);
      return true;
    });
    await assert.rejects(copyBackups({ source, target: noBucket }), (err: Error) => {
      assert.ok(err instanceof BackupStoreError, String(err));
      assert.equal(err.code, 'NoSuchContainer');
      assert.match(err.message, /^target store s3:\/\/no-such-bucket\/\S+: bucket no-such-bucket does not exist$/);
      return true;
    });
  });

  it('finishes the other objects when one fails, then lists the failures', async () => {
    const source = await openStore('local');
    const target = await openStore('local');
    const layout = standardLayout();
    const data = await fill(source, layout);
    const broken = layout[2]!.snapshot;
    class BrokenSource extends WrappedStore {
      override async fetch(snapshot: Snapshot): Promise<Readable> {
        const stream = await this.inner.fetch(snapshot);
        if (snapshot.name !== broken.name) return stream;
        let sent = 0;
        return stream.pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              sent += chunk.length;
              callback(sent > 50 * KiB ? new Error('connection reset by peer') : null, chunk);
            },
          }),
        );
      }
    }
    await assert.rejects(copyBackups({ source: new BrokenSource(source), target }), (err: Error) => {
      assert.ok(err instanceof CopyFailedError, String(err));
      assert.equal(err.failures.length, 1);
      assert.equal(err.failures[0]!.snapshot, broken.name);
      assert.match(
        err.message,
        new RegExp(
          `^copying 1 of 6 snapshot\\(s\\) failed:\\n  ${broken.name}: source store .*: reading ${broken.name} failed: connection reset by peer$`,
        ),
      );
      assert.equal(err.result.copied.length, 5);
      return true;
    });
    const names = layout
      .slice(1)
      .map((l) => l.snapshot.name)
      .filter((n) => n !== broken.name);
    assert.deepEqual(sorted(await storeContents(target)), sorted(expectedTarget(data, layout, names)));
  });

  it('fails an object whose copy in the target does not match the source', async () => {
    const source = await openStore('local');
    const target = await openStore('local');
    const layout = standardLayout().slice(1, 3);
    await fill(source, layout);
    class CorruptingTarget extends WrappedStore {
      override async save(snapshot: Snapshot, data: Readable | Buffer, options?: SaveOptions): Promise<StoredContent> {
        const bytes = Buffer.isBuffer(data) ? data : await buffer(data);
        bytes[0] = bytes[0]! ^ 0xff;
        return this.inner.save(snapshot, bytes, options);
      }
    }
    await assert.rejects(copyBackups({ source, target: new CorruptingTarget(target) }), (err: Error) => {
      assert.ok(err instanceof CopyFailedError, String(err));
      assert.equal(err.failures.length, 2);
      for (const failure of err.failures) {
        assert.match(
          failure.error.message,
          /^target store .*: \S+ does not match the source after the copy: expected \d+ bytes, sha256 [0-9a-f]{64}; stored [0-9a-f]{64}; found \d+ bytes, sha256 [0-9a-f]{64}$/,
        );
      }
      return true;
    });
  });

  it('compares content with source objects that carry no checksum (written by other tools)', async () => {
    assert.ok(server);
    const bucket = await freshBucket();
    const source = new S3Snapstore({ bucket, prefix: PREFIX, credentials: s3Credentials(), maxAttempts: 1 });
    cleanups.push(async () => source.close());
    const snapshot = newSnapshot('Full', 0, 42, { now: at(0) });
    const data = randomBytes(300 * KiB);
    await server.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${source.keyPrefix}/${snapshot.name}`, Body: data }),
    );
    assert.equal((await source.stat(snapshot))?.sha256, undefined);
    const target = await openStore('local');
    assert.equal((await copy({ source, target })).result.copied.length, 1);
    assert.equal((await copy({ source, target })).result.skipped.length, 1);
    // Same size, other bytes: found by hashing, and replaced.
    await target.save(snapshot, randomBytes(data.length));
    const third = await copy({ source, target });
    assert.equal(third.events[0]?.action, 'replaced');
    assert.equal((await storeContents(target)).get(snapshot.name), sha256(data));
  });

  it('refuses nonsensical options', async () => {
    const source = await openStore('local');
    await assert.rejects(copyBackups({ source, target: source, maxParallelCopyOperations: 0 }), RangeError);
    await assert.rejects(copyBackups({ source, target: source, maxBackupsToCopy: -2 }), RangeError);
    await assert.rejects(copyBackups({ source, target: source, waitForFinalSnapshotTimeoutMs: -1 }), RangeError);
  });
});
