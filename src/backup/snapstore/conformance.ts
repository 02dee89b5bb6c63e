/**
 * The conformance suite every snapstore provider passes: a provider's test file calls
 * `runSnapstoreConformance` with a function that opens a fresh, empty store, and the suite
 * registers its node:test cases under `describe(name)`.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { SnapstoreError } from './errors.js';
import { newSnapshot, parseSnapshotName } from './snapshot-name.js';
import type { Snapshot, Snapstore } from './snapstore.js';

export interface SnapstoreUnderTest {
  /** A fresh store with no objects. */
  store: Snapstore;
  /** Writes an object at `<prefix>/v2/<name>` behind the store's back (any name). */
  putRaw(name: string, data: Buffer): Promise<void>;
  /** Leaves what a save killed mid-way leaves (a temp file, an unfinished multipart upload). */
  interruptSave(snapshot: Snapshot, data: Buffer): Promise<void>;
  /** Removes what `open` created. */
  cleanup(): Promise<void>;
}

export type OpenSnapstore = () => Promise<SnapstoreUnderTest>;

const MiB = 1024 * 1024;
const T0 = new Date('2026-01-01T00:00:00Z');

function at(offsetSeconds: number): Date {
  return new Date(T0.getTime() + offsetSeconds * 1000);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function chunked(data: Buffer, chunkSize: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

export function runSnapstoreConformance(name: string, open: OpenSnapstore): void {
  const storeIt = (title: string, body: (t: SnapstoreUnderTest) => Promise<void>) =>
    it(title, async () => {
      const opened = await open();
      try {
        await body(opened);
      } finally {
        await opened.cleanup();
      }
    });

  describe(`${name}: snapstore conformance`, () => {
    storeIt('saves, lists, fetches, stats and deletes a snapshot of a few MB', async ({ store }) => {
      const full = newSnapshot('Full', 0, 120, { now: at(0) });
      const delta = newSnapshot('Incr', 121, 130, { now: at(20), compression: 'none' });
      const fullData = randomBytes(3 * MiB + 17);
      const deltaData = randomBytes(200 * 1024);
      await store.save(full, fullData);
      await store.save(delta, chunked(deltaData, 64 * 1024));

      const listed = await store.list();
      assert.deepEqual(
        listed.map((o) => [o.snapshot, o.size]),
        [
          [full, fullData.length],
          [delta, deltaData.length],
        ],
      );
      assert.ok((await buffer(await store.fetch(full))).equals(fullData));
      assert.ok((await buffer(await store.fetch(delta))).equals(deltaData));
      assert.deepEqual(await store.stat(full), { size: fullData.length, sha256: sha256(fullData) });
      assert.deepEqual(await store.stat(delta), { size: deltaData.length, sha256: sha256(deltaData) });

      await store.delete(full);
      assert.deepEqual(
        (await store.list()).map((o) => o.snapshot.name),
        [delta.name],
      );
      assert.equal(await store.stat(full), undefined);
      await assert.rejects(store.fetch(full), (err) => SnapstoreError.is(err, 'NotFound'));
      await store.delete(full); // absent: no error
      await store.delete(delta);
      assert.deepEqual(await store.list(), []);
    });

    storeIt('overwrites an object saved again under the same name', async ({ store }) => {
      const s = newSnapshot('Full', 0, 5, { now: at(0) });
      await store.save(s, Buffer.from('first version'));
      await store.save(s, Buffer.from('second'));
      assert.equal((await buffer(await store.fetch(s))).toString(), 'second');
      assert.equal((await store.stat(s))?.size, 6);
    });

    storeIt('lists by lastRevision, then createdOn, and keeps every name form', async ({ store }) => {
      const snapshots = [
        newSnapshot('Incr', 101, 150, { now: at(30) }),
        newSnapshot('Full', 0, 100, { now: at(10) }),
        newSnapshot('Full', 0, 150, { now: at(40), final: true }),
        newSnapshot('Incr', 151, 123_456_789_012, { now: at(50), compression: 'none' }),
        newSnapshot('Full', 0, 100, { now: at(5), compression: 'none' }),
      ];
      for (const s of snapshots) await store.save(s, Buffer.from(s.name));
      const listed = await store.list();
      assert.deepEqual(
        listed.map((o) => o.snapshot.name),
        [
          'Full-00000000-00000100-1767225605',
          'Full-00000000-00000100-1767225610.gz',
          'Incr-00000101-00000150-1767225630.gz',
          'Full-00000000-00000150-1767225640.gz.final',
          'Incr-00000151-123456789012-1767225650',
        ],
      );
      for (const o of listed) assert.deepEqual(o.snapshot, parseSnapshotName(o.snapshot.name));
    });

    storeIt('does not list objects that are not snapshots', async ({ store, putRaw }) => {
      const s = newSnapshot('Full', 0, 10, { now: at(0) });
      await store.save(s, Buffer.from('ok'));
      for (const other of [
        'notes.txt',
        '.tmp-0123abcd',
        'Full-x-00000010-1767225600',
        'Full-00000000-00000010-1767225600.Z',
        'Backup-1',
      ]) {
        await putRaw(other, Buffer.from('junk'));
      }
      assert.deepEqual(
        (await store.list()).map((o) => o.snapshot.name),
        [s.name],
      );
    });

    storeIt('an interrupted save leaves nothing listed', async ({ store, interruptSave }) => {
      const s = newSnapshot('Full', 0, 42, { now: at(0) });
      await interruptSave(s, randomBytes(6 * MiB));
      assert.deepEqual(await store.list(), []);
      assert.equal(await store.stat(s), undefined);
    });

    storeIt('a save aborted mid-way fails and leaves nothing listed', async ({ store }) => {
      const s = newSnapshot('Full', 0, 43, { now: at(0) });
      const controller = new AbortController();
      let progressed = 0;
      await assert.rejects(
        store.save(s, chunked(randomBytes(12 * MiB), MiB), {
          signal: controller.signal,
          onProgress: (bytes) => {
            progressed = bytes;
            if (bytes >= 4 * MiB) controller.abort();
          },
        }),
        (err) => SnapstoreError.is(err, 'Aborted'),
      );
      assert.ok(progressed > 0 && progressed < 12 * MiB, `aborted mid-way (at ${progressed} bytes)`);
      assert.deepEqual(await store.list(), []);
      assert.equal(await store.stat(s), undefined);
    });

    storeIt('refuses names that are not snapshot names', async ({ store }) => {
      const bogus = { ...newSnapshot('Full', 0, 1), name: '../escape' };
      await assert.rejects(store.save(bogus, Buffer.from('x')), (err) => SnapstoreError.is(err, 'Config'));
    });
  });
}
