import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { KubeObject } from '../../src/api/meta.js';
import { isStorageError } from '../../src/storage/interface.js';
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
