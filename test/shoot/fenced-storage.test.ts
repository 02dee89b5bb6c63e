import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta.js';
import { FencedStorage } from '../../src/shoot/fenced-storage.js';
import { isStorageError } from '../../src/storage/interface.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { runStorageConformance } from '../../src/storage/testing/suite.js';

runStorageConformance(
  'fenced sqlite :memory:',
  async () => ({ store: new FencedStorage(openSqliteStore({ path: ':memory:' })), cleanup: async () => {} }),
  { persistent: false },
);

const thing = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns' },
});
const unreachable = (err: unknown) => isStorageError(err, 'Unreachable') && /stopping/.test(err.message);

describe('FencedStorage', () => {
  it('waits for writes under way, then refuses every call and ends open watches', async () => {
    const inner = openSqliteStore({ path: ':memory:' });
    const store = new FencedStorage(inner);
    await store.create('/registry/configmaps/ns/a', thing('a'));
    const watcher = store.watch('/registry/');
    const consumed = (async () => {
      for await (const _ of watcher) {
        // The watch only has to end.
      }
    })();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowWrite = store.guaranteedUpdate('/registry/configmaps/ns/a', async (cur) => {
      await gate;
      return { ...cur, data: { late: 'but acknowledged' } };
    });
    let fenced = false;
    const fencing = store.fence().then(() => {
      fenced = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fenced, false, 'fence() waits for the write under way');
    await assert.rejects(store.create('/registry/configmaps/ns/b', thing('b')), unreachable);
    await assert.rejects(store.get('/registry/configmaps/ns/a'), unreachable);
    release();
    await fencing;
    assert.deepEqual((await slowWrite).data, { late: 'but acknowledged' });
    await consumed;
    // A watch opened after the fence has no events and no error; it ends when stopped.
    const late = store.watch('/registry/');
    const first = late[Symbol.asyncIterator]().next();
    const pending = await Promise.race([
      first.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('open'), 50)),
    ]);
    assert.equal(pending, 'open');
    late.stop();
    assert.deepEqual(await first, { done: true, value: undefined });
    assert.deepEqual((await inner.get('/registry/configmaps/ns/a')).data, { late: 'but acknowledged' });
    await store.close();
  });
});
