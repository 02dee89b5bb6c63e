import assert from 'node:assert/strict';
import { fstatSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { KubeObject } from '../../src/api/meta.js';
import { isStorageError } from '../../src/storage/interface.js';
import { syncFileData } from '../../src/storage/sqlite/durable-revision.js';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../../src/storage/sqlite/sqlite-store.js';
import { runStorageConformance } from '../../src/storage/testing/suite.js';

/** A store on a file in a fresh temp dir; the dir goes away in cleanup. */
async function openTempStore(options: Omit<SqliteStoreOptions, 'path'> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'transplant-sqlite-'));
  const path = join(dir, 'store.db');
  const open = () => openSqliteStore({ ...options, path });
  return {
    path,
    store: open(),
    reopen: async () => open(),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

runStorageConformance('sqlite file', () => openTempStore());

runStorageConformance(
  'sqlite :memory:',
  async () => ({
    store: openSqliteStore({ path: ':memory:' }),
    cleanup: async () => {},
  }),
  { persistent: false },
);

function thing(name: string, n = 0): KubeObject {
  return { apiVersion: 'test/v1', kind: 'Thing', metadata: { name, uid: `uid-${name}` }, spec: { n } };
}

/** Runs `body` against a temp-file store and removes it afterwards. */
async function withStore(
  options: Omit<SqliteStoreOptions, 'path'>,
  body: (store: SqliteStore, path: string) => Promise<void>,
): Promise<void> {
  const { store, path, cleanup } = await openTempStore(options);
  try {
    await body(store, path);
  } finally {
    await store.close();
    await cleanup();
  }
}

describe('sqlite store', () => {
  it('keeps the file in WAL mode with the expected tables', async () => {
    await withStore({}, async (store, path) => {
      await store.create('/registry/things/a', thing('a'));
      const peek = new Database(path, { readonly: true });
      try {
        assert.equal(peek.pragma('journal_mode', { simple: true }), 'wal');
        const tables = peek.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
        assert.deepEqual(tables, ['history', 'kv', 'meta']);
        const row = peek.prepare('SELECT create_revision, mod_revision FROM kv').get();
        assert.deepEqual(row, { create_revision: 1, mod_revision: 1 });
      } finally {
        peek.close();
      }
    });
  });

  it('lists 10k objects quickly', async () => {
    await withStore({}, async (store) => {
      for (let n = 0; n < 10_000; n++) {
        await store.create(`/registry/things/obj-${String(n).padStart(5, '0')}`, thing(`obj-${n}`, n));
      }
      const started = performance.now();
      const all = await store.list('/registry/things/');
      const fullMs = performance.now() - started;
      const filteredStart = performance.now();
      const filtered = await store.list('/registry/things/', {
        predicate: (obj) => (obj.spec as { n: number }).n % 1000 === 0,
        limit: 5,
      });
      const filteredMs = performance.now() - filteredStart;
      assert.equal(all.items.length, 10_000);
      assert.equal(filtered.items.length, 5);
      console.log(
        `sqlite list of 10k objects: full ${fullMs.toFixed(1)} ms, filtered page of 5 ${filteredMs.toFixed(1)} ms`,
      );
    });
  });

  it('ends a watcher that falls behind its buffer with Expired', async () => {
    await withStore({ watchBufferLimit: 3 }, async (store) => {
      const watcher = store.watch('/registry/things/');
      for (let n = 0; n < 5; n++) await store.create(`/registry/things/${n}`, thing(String(n)));
      const iterator = watcher[Symbol.asyncIterator]();
      await assert.rejects(iterator.next(), (err) => isStorageError(err, 'Expired'));
      assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    });
  });

  it('fails a watch with a malformed resourceVersion on its first step', async () => {
    await withStore({}, async (store) => {
      const iterator = store.watch('/registry/things/', { resourceVersion: 'abc' })[Symbol.asyncIterator]();
      await assert.rejects(iterator.next(), (err) => isStorageError(err, 'Internal') && /abc/.test(err.message));
    });
  });

  it('compacts history outside the retention window on its timer', async () => {
    await withStore({ historyRetention: { revisions: 3, seconds: 0 }, compactionIntervalMs: 10 }, async (store) => {
      for (let n = 0; n < 10; n++) await store.create(`/registry/things/${n}`, thing(String(n)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await store.compactedRevision(), 7);
    });
  });

  it('keeps history younger than the retention time however many revisions there are', async () => {
    await withStore({ historyRetention: { revisions: 3, seconds: 60 }, compactionIntervalMs: 0 }, async (store) => {
      for (let n = 0; n < 10; n++) await store.create(`/registry/things/${n}`, thing(String(n)));
      assert.equal(await store.applyRetention(), 0);
      assert.equal(await store.applyRetention(Date.now() + 61_000), 7);
    });
  });

  it('reports a closed store as Unreachable', async () => {
    await withStore({}, async (store) => {
      await store.close();
      await assert.rejects(store.get('/registry/things/a'), (err) => isStorageError(err, 'Unreachable'));
    });
  });
});

/** A log sync the test lets through: each waits for `release`, then really syncs. */
function heldSync() {
  let open!: () => void;
  let gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const synced: number[] = [];
  let held = true;
  return {
    synced,
    syncFile: async (fd: number) => {
      if (held) await gate;
      await syncFileData(fd);
      synced.push(fd);
    },
    release: () => {
      open();
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    /** Lets this and every later sync through. */
    releaseAll: () => {
      held = false;
      open();
    },
  };
}

/** Whether `promise` is still unsettled after the event loop has turned for a while. */
async function stillPending(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  const first = await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise((resolve) => setTimeout(() => resolve(pending), 50)),
  ]);
  return first === pending;
}

describe('sqlite store: a write counts once its log is synced', () => {
  it('acknowledges, returns on reads and feeds watchers a write only after the sync that covers it', async () => {
    const sync = heldSync();
    await withStore({ syncFile: sync.syncFile }, async (store) => {
      const first = store.create('/registry/things/a', thing('a'));
      sync.release();
      const { metadata } = await first;
      const fromNow = store.watch('/registry/things/')[Symbol.asyncIterator]();
      const fromFirst = store.watch('/registry/things/', { resourceVersion: metadata.resourceVersion! });
      const created = store.create('/registry/things/b', thing('b'));
      const replayed = store.watch('/registry/things/', { resourceVersion: metadata.resourceVersion! });
      const read = store.get('/registry/things/b');
      const listed = store.list('/registry/things/');
      const events = [
        fromNow.next(),
        fromFirst[Symbol.asyncIterator]().next(),
        replayed[Symbol.asyncIterator]().next(),
      ];
      for (const waiting of [created, read, listed, ...events]) assert.equal(await stillPending(waiting), true);
      sync.release();
      assert.equal((await created).metadata.resourceVersion, '2');
      assert.equal((await read).metadata.name, 'b');
      assert.equal((await listed).resourceVersion, '2');
      for (const event of await Promise.all(events)) {
        assert.equal(event.done, false);
        assert.equal(event.value?.key, '/registry/things/b');
      }
    });
  });

  it('gives an answer that rests on an unsynced commit (NotFound, AlreadyExists) only once it is synced', async () => {
    const sync = heldSync();
    await withStore({ syncFile: sync.syncFile }, async (store) => {
      const first = store.create('/registry/things/a', thing('a'));
      sync.release();
      await first;
      const deleted = store.delete('/registry/things/a');
      const created = store.create('/registry/things/b', thing('b'));
      const gone = store.get('/registry/things/a');
      const exists = store.create('/registry/things/b', thing('b'));
      const updateOfGone = store.guaranteedUpdate('/registry/things/a', async (obj) => obj);
      for (const waiting of [gone, exists, updateOfGone]) assert.equal(await stillPending(waiting), true);
      sync.releaseAll();
      await Promise.all([deleted, created]);
      await assert.rejects(gone, (err) => isStorageError(err, 'NotFound'));
      await assert.rejects(exists, (err) => isStorageError(err, 'KeyExists'));
      await assert.rejects(updateOfGone, (err) => isStorageError(err, 'NotFound'));
    });
  });

  it('covers every commit made while a sync runs with one more sync, of the store’s log file', async () => {
    const sync = heldSync();
    await withStore({ syncFile: sync.syncFile }, async (store, path) => {
      const first = store.create('/registry/things/a', thing('a'));
      // Let the first sync start before the next commits.
      await new Promise((resolve) => setImmediate(resolve));
      const more = ['b', 'c', 'd'].map((name) => store.create(`/registry/things/${name}`, thing(name)));
      sync.release();
      await first;
      sync.release();
      await Promise.all(more);
      assert.equal(sync.synced.length, 2);
      const log = statSync(`${path}-wal`);
      for (const fd of sync.synced) assert.equal(fstatSync(fd).ino, log.ino);
    });
  });

  it('fails the writes a failed sync covered, and every later one, and feeds no watcher', async () => {
    const failing = async () => {
      throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    };
    await withStore({ syncFile: failing }, async (store) => {
      const watcher = store.watch('/registry/things/')[Symbol.asyncIterator]();
      const event = watcher.next();
      for (const name of ['a', 'b']) {
        await assert.rejects(
          store.create(`/registry/things/${name}`, thing(name)),
          (err) => isStorageError(err, 'Internal') && /syncing the write-ahead log failed: EIO/.test(err.message),
        );
      }
      await assert.rejects(store.get('/registry/things/a'), (err) => isStorageError(err, 'Internal'));
      assert.equal(await stillPending(event), true);
    });
  });
});
