/**
 * Delete (store_tests.go RunTestDelete*): the last state comes back with the deletion revision,
 * and a failing precondition keeps the object.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { assertStorageError, thing, withN } from './fixtures.js';
import type { StorageIt } from './storage-it.js';

export function deleteCases(storageIt: StorageIt): void {
  describe('delete', () => {
    storageIt('returns the last state stamped with the deletion revision', async ({ store }) => {
      await store.create('/registry/things/a', thing('a'));
      await store.guaranteedUpdate('/registry/things/a', (cur) => withN(cur, 3));
      const deleted = await store.delete('/registry/things/a');
      assert.equal(deleted.metadata.resourceVersion, String(await store.currentRevision()));
      assert.deepEqual(deleted.spec, { n: 3 });
      assert.equal(deleted.metadata.uid, 'uid-a');
      await assertStorageError(store.get('/registry/things/a'), 'NotFound');
      const again = await store.create('/registry/things/a', thing('a'));
      assert.ok(Number(again.metadata.resourceVersion) > Number(deleted.metadata.resourceVersion));
    });

    storageIt('a failing uid or resourceVersion precondition is a Conflict and keeps the object', async ({ store }) => {
      const created = await store.create('/registry/things/a', thing('a'));
      await assertStorageError(store.delete('/registry/things/a', { uid: 'other' }), 'Conflict');
      await assertStorageError(store.delete('/registry/things/a', { resourceVersion: '1000000' }), 'Conflict');
      assert.deepEqual(await store.get('/registry/things/a'), created);
      const deleted = await store.delete('/registry/things/a', {
        uid: 'uid-a',
        resourceVersion: created.metadata.resourceVersion,
      });
      assert.equal(deleted.metadata.name, 'a');
      await assertStorageError(store.get('/registry/things/a'), 'NotFound');
    });
  });
}
