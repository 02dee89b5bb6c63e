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
  /** A store of the same provider on the same container with another prefix. */
  reopen(prefix: string): Snapstore;
  /** Writes an object at `key` relative to the container, behind the store's back. */
  putRawAt(key: string, data: Buffer): Promise<void>;
  /** Every object key in the container (relative to it, `/`-separated), sorted. */
  rawKeys(): Promise<string[]>;
  /** Removes what `open` created. */
  cleanup(): Promise<void>;
}

/** The prefix every store the suite opens uses (`<entry>/etcd-main`, as a shoot's etcd-main). */
export const CONFORMANCE_PREFIX = 'shoot--a--b/etcd-main';

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
    storeIt(
      'lists and deletes everything under a prefix, nothing beside it, and never a whole container',
      async ({ store, reopen, putRawAt, rawKeys }) => {
        const entry = reopen('shoot--a--b');
        const full = newSnapshot('Full', 0, 10, { now: at(0) });
        const delta = newSnapshot('Incr', 11, 20, { now: at(20) });
        await store.save(full, Buffer.from('full'));
        await store.save(delta, Buffer.from('delta!'));
        const inside = [
          'shoot--a--b/etcd-main/v2/.tmp-0123abcd',
          'shoot--a--b/etcd-main/v2/chunks/Full-00000000-00000010-1767225600/1',
          'shoot--a--b/etcd-events/v2/Full-00000000-00000005-1767225600',
          'shoot--a--b/v1/old-layout',
        ];
        const beside = ['shoot--a--bb/etcd-main/v2/keep', 'shoot--a--b-x', 'other/shoot--a--b/keep', 'keep'];
        for (const key of [...inside, ...beside]) await putRawAt(key, Buffer.from('xyz'));

        const listed = await entry.listPrefix();
        assert.deepEqual(
          listed.map((o) => o.key).sort(),
          [
            'etcd-events/v2/Full-00000000-00000005-1767225600',
            `etcd-main/v2/${delta.name}`,
            'etcd-main/v2/.tmp-0123abcd',
            'etcd-main/v2/chunks/Full-00000000-00000010-1767225600/1',
            `etcd-main/v2/${full.name}`,
            'v1/old-layout',
          ].sort(),
        );
        assert.equal(listed.find((o) => o.key.endsWith(delta.name))?.size, 6);

        await entry.deleteFromPrefix(`etcd-main/v2/${full.name}`);
        await entry.deleteFromPrefix(`etcd-main/v2/${full.name}`); // absent: no error
        assert.deepEqual(
          (await store.list()).map((o) => o.snapshot.name),
          [delta.name],
        );
        for (const o of await entry.listPrefix()) await entry.deleteFromPrefix(o.key);
        assert.deepEqual(await entry.listPrefix(), []);
        assert.deepEqual(await store.list(), []);
        assert.deepEqual(await rawKeys(), [...beside].sort());

        await assert.rejects(entry.deleteFromPrefix('../keep'), (err) => SnapstoreError.is(err, 'Config'));
        for (const whole of ['', '/', '.']) {
          await assert.rejects(reopen(whole).listPrefix(), (err) => SnapstoreError.is(err, 'Config'));
          await assert.rejects(reopen(whole).deleteFromPrefix('keep'), (err) => SnapstoreError.is(err, 'Config'));
        }
        assert.deepEqual(await rawKeys(), [...beside].sort());
      },
    );

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
