/**
 * Restart, for persistent backends: objects, resourceVersions and the revision counter survive
 * reopening, and a watch from before the restart resumes after it.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { assertStorageError, thing, withN } from './fixtures.js';
import type { StorageIt } from './storage-it.js';
import { readEvents, summarize } from './watch-reader.js';

export function restartCases(storageIt: StorageIt): void {
  describe('restart', () => {
    storageIt('keeps objects, resourceVersions and the revision counter', async ({ store, restart }) => {
      assert.ok(restart, 'a persistent backend must give reopen');
      const a = await store.create('/registry/things/a', thing('a'));
      const a2 = await store.guaranteedUpdate('/registry/things/a', (cur) => withN(cur, 2));
      await store.create('/registry/things/b', thing('b'));
      const bGone = await store.delete('/registry/things/b');
      const revision = await store.currentRevision();
      assert.equal(String(revision), bGone.metadata.resourceVersion);
      const reopened = await restart();
      assert.equal(await reopened.currentRevision(), revision);
      assert.deepEqual(await reopened.get('/registry/things/a'), a2);
      assert.equal((await reopened.get('/registry/things/a')).metadata.uid, a.metadata.uid);
      await assertStorageError(reopened.get('/registry/things/b'), 'NotFound');
      const c = await reopened.create('/registry/things/c', thing('c'));
      assert.ok(Number(c.metadata.resourceVersion) > revision);
      assert.deepEqual(
        (await reopened.list('/registry/things/')).items.map((obj) => obj.metadata.name),
        ['a', 'c'],
      );
    });

    storageIt('a watch from a resourceVersion before the restart resumes after it', async ({ store, restart }) => {
      assert.ok(restart, 'a persistent backend must give reopen');
      const from = (await store.create('/registry/things/first', thing('first'))).metadata.resourceVersion;
      const added = await store.create('/registry/things/a', thing('a'));
      const deleted = await store.delete('/registry/things/a');
      const reopened = await restart();
      const events = readEvents(reopened.watch('/registry/things/', { resourceVersion: from }));
      const live = await reopened.create('/registry/things/b', thing('b'));
      assert.deepEqual(summarize(await events.take(3)), [
        ['ADDED', '/registry/things/a', added.metadata.resourceVersion],
        ['DELETED', '/registry/things/a', deleted.metadata.resourceVersion],
        ['ADDED', '/registry/things/b', live.metadata.resourceVersion],
      ]);
      events.stop();
    });
  });
}
