/**
 * guaranteedUpdate (store_tests.go RunTestGuaranteedUpdate), the only conflict-safe write:
 * concurrent updaters all land, preconditions hold, and a no-op or failing tryUpdate writes nothing.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import { assertStorageError, spec, thing, withN } from './fixtures.js';
import type { StorageIt } from './storage-it.js';

export function guaranteedUpdateCases(storageIt: StorageIt): void {
  describe('guaranteedUpdate', () => {
    storageIt('hands tryUpdate the current object and returns what it wrote', async ({ store }) => {
      const created = await store.create('/registry/things/a', thing('a'));
      let seen: KubeObject | undefined;
      const updated = await store.guaranteedUpdate('/registry/things/a', (cur) => {
        seen = structuredClone(cur);
        return withN(cur, 5);
      });
      assert.deepEqual(seen, created);
      assert.deepEqual(updated.spec, { n: 5 });
      assert.equal(updated.metadata.resourceVersion, String(await store.currentRevision()));
      assert.deepEqual(await store.get('/registry/things/a'), updated);
    });

    storageIt('20 concurrent read-modify-write updaters all land', async ({ store }) => {
      await store.create('/registry/things/counter', thing('counter'));
      const before = await store.currentRevision();
      let attempts = 0;
      const increment = () =>
        store.guaranteedUpdate('/registry/things/counter', async (cur) => {
          attempts++;
          // Yield between read and write so that the updaters really overlap.
          await new Promise((resolve) => setImmediate(resolve));
          return withN(cur, spec(cur).n + 1);
        });
      const results = await Promise.all(Array.from({ length: 20 }, increment));
      assert.equal(spec(await store.get('/registry/things/counter')).n, 20);
      const revisions = results.map((r) => Number(r.metadata.resourceVersion));
      assert.equal(new Set(revisions).size, 20, 'each updater wrote its own revision');
      assert.ok(Math.min(...revisions) > before);
      assert.equal(await store.currentRevision(), Math.max(...revisions));
      assert.ok(attempts >= 20, `tryUpdate ran ${attempts} times`);
    });

    storageIt('a uid or resourceVersion precondition that does not hold is a Conflict', async ({ store }) => {
      const created = await store.create('/registry/things/a', thing('a'));
      const revision = await store.currentRevision();
      let calls = 0;
      const bump = (cur: KubeObject) => {
        calls++;
        return withN(cur, 1);
      };
      await assertStorageError(store.guaranteedUpdate('/registry/things/a', bump, { uid: 'other' }), 'Conflict');
      await assertStorageError(
        store.guaranteedUpdate('/registry/things/a', bump, { resourceVersion: String(revision - 1) }),
        'Conflict',
      );
      assert.equal(calls, 0);
      assert.equal(await store.currentRevision(), revision);
      const updated = await store.guaranteedUpdate('/registry/things/a', bump, {
        uid: 'uid-a',
        resourceVersion: created.metadata.resourceVersion,
      });
      assert.deepEqual(updated.spec, { n: 1 });
    });

    storageIt('tryUpdate returning null or an unchanged object writes nothing', async ({ store }) => {
      const created = await store.create('/registry/things/a', thing('a'));
      const revision = await store.currentRevision();
      assert.deepEqual(await store.guaranteedUpdate('/registry/things/a', () => null), created);
      assert.deepEqual(await store.guaranteedUpdate('/registry/things/a', (cur) => cur), created);
      assert.equal(await store.currentRevision(), revision);
    });

    storageIt('an error thrown by tryUpdate propagates unchanged and writes nothing', async ({ store }) => {
      await store.create('/registry/things/a', thing('a'));
      const revision = await store.currentRevision();
      const boom = new RangeError('boom');
      await assert.rejects(
        store.guaranteedUpdate('/registry/things/a', async () => {
          throw boom;
        }),
        (err) => err === boom,
      );
      assert.equal(await store.currentRevision(), revision);
    });
  });
}
