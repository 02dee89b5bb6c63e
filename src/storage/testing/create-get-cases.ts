/**
 * Create and get (store_tests.go RunTestCreate, RunTestGet): the backend stamps resourceVersions
 * from one revision counter, and a taken or missing key is a typed StorageError.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { assertStorageError, thing, withN } from './fixtures.js';
import type { StorageIt } from './storage-it.js';

export function createAndGetCases(storageIt: StorageIt): void {
  describe('create and get', () => {
    storageIt('create stamps the resourceVersion itself and get returns what create returned', async ({ store }) => {
      const created = await store.create('/registry/things/a', thing('a', { resourceVersion: '999' }));
      assert.equal(created.metadata.resourceVersion, String(await store.currentRevision()));
      assert.notEqual(created.metadata.resourceVersion, '999');
      assert.equal(created.metadata.uid, 'uid-a');
      assert.deepEqual(created.spec, { n: 0 });
      assert.deepEqual(await store.get('/registry/things/a'), created);
    });

    storageIt('create on a taken key fails with KeyExists and changes nothing', async ({ store }) => {
      const first = await store.create('/registry/things/a', thing('a'));
      const revision = await store.currentRevision();
      await assertStorageError(store.create('/registry/things/a', thing('a', { n: 7 })), 'KeyExists');
      assert.equal(await store.currentRevision(), revision);
      assert.deepEqual(await store.get('/registry/things/a'), first);
    });

    storageIt('get, guaranteedUpdate and delete of a missing key fail with NotFound', async ({ store }) => {
      await store.create('/registry/things/a', thing('a'));
      await assertStorageError(store.get('/registry/things/b'), 'NotFound');
      await assertStorageError(
        store.guaranteedUpdate('/registry/things/b', (cur) => cur),
        'NotFound',
      );
      await assertStorageError(store.delete('/registry/things/b'), 'NotFound');
    });

    storageIt('every write takes a new revision from one counter shared by all keys', async ({ store }) => {
      const a = await store.create('/registry/things/a', thing('a'));
      const b = await store.create('/registry/other/b', thing('b'));
      const a2 = await store.guaranteedUpdate('/registry/things/a', (cur) => withN(cur, 1));
      const bGone = await store.delete('/registry/other/b');
      const revisions = [a, b, a2, bGone].map((obj) => Number(obj.metadata.resourceVersion));
      assert.deepEqual(
        revisions,
        [...revisions].sort((x, y) => x - y),
      );
      assert.equal(new Set(revisions).size, 4);
      assert.equal(await store.currentRevision(), revisions[3]);
    });
  });
}
