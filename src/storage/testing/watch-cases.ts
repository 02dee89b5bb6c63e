/**
 * Watch (store_tests.go RunTestWatch*, watcher_tests.go): live and replayed changes in order,
 * only under the prefix, Expired after compaction, and stop() and close() end the iteration.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import type { StoreEvent } from '../interface.js';
import { assertStorageError, keyed, thing, withN } from './fixtures.js';
import type { StorageIt } from './storage-it.js';
import { EVENT_TIMEOUT_MS, readEvents, summarize, waitFor, withTimeout } from './watch-reader.js';

export function watchCases(storageIt: StorageIt): void {
  describe('watch', () => {
    storageIt('without a resourceVersion delivers only later changes, in order', async ({ store }) => {
      await store.create('/registry/things/old', thing('old'));
      const events = readEvents(store.watch('/registry/things/'));
      const added = await store.create('/registry/things/a', thing('a'));
      const modified = await store.guaranteedUpdate('/registry/things/a', (cur) => withN(cur, 1));
      const deleted = await store.delete('/registry/things/a');
      const got = await events.take(3);
      assert.deepEqual(summarize(got), [
        ['ADDED', '/registry/things/a', added.metadata.resourceVersion],
        ['MODIFIED', '/registry/things/a', modified.metadata.resourceVersion],
        ['DELETED', '/registry/things/a', deleted.metadata.resourceVersion],
      ]);
      assert.deepEqual(got[0]!.object, added);
      assert.equal(got[0]!.prevObject, undefined);
      assert.deepEqual(got[1]!.object, modified);
      assert.deepEqual(got[1]!.prevObject, added);
      await events.expectQuiet();
      events.stop();
    });

    storageIt('"0" as resourceVersion also means from now', async ({ store }) => {
      await store.create('/registry/things/old', thing('old'));
      const events = readEvents(store.watch('/registry/things/', { resourceVersion: '0' }));
      await store.create('/registry/things/new', thing('new'));
      assert.deepEqual(
        (await events.take(1)).map((e) => e.key),
        ['/registry/things/new'],
      );
      events.stop();
    });

    storageIt('DELETED carries the last state with the deletion revision', async ({ store }) => {
      await store.create('/registry/things/a', thing('a'));
      const last = await store.guaranteedUpdate('/registry/things/a', (cur) => withN(cur, 9));
      const events = readEvents(store.watch('/registry/things/'));
      const deleted = await store.delete('/registry/things/a');
      const [event] = await events.take(1);
      assert.equal(event!.type, 'DELETED');
      assert.equal(event!.revision, Number(deleted.metadata.resourceVersion));
      assert.equal(event!.object.metadata.resourceVersion, String(event!.revision));
      assert.deepEqual(event!.object.spec, { n: 9 });
      assert.deepEqual(event!.prevObject, last);
      events.stop();
    });

    storageIt('from an old resourceVersion replays exactly the later changes, then goes live', async ({ store }) => {
      const written: KubeObject[] = [];
      for (let n = 0; n < 5; n++) written.push(await store.create(`/registry/things/${n}`, thing(String(n))));
      const from = written[1]!.metadata.resourceVersion;
      const events = readEvents(store.watch('/registry/things/', { resourceVersion: from }));
      assert.deepEqual(
        (await events.take(3)).map((e) => e.object),
        written.slice(2),
      );
      const live = await store.guaranteedUpdate('/registry/things/0', (cur) => withN(cur, 1));
      const [event] = await events.take(1);
      assert.deepEqual([event!.type, event!.object], ['MODIFIED', live]);
      await events.expectQuiet();
      events.stop();
    });

    storageIt('from a resourceVersion ahead of the store skips changes up to it', async ({ store }) => {
      const ahead = (await store.currentRevision()) + 2;
      const events = readEvents(store.watch('/registry/things/', { resourceVersion: String(ahead) }));
      const written: number[] = [];
      for (const name of ['a', 'b', 'c']) {
        written.push(Number((await store.create(`/registry/things/${name}`, thing(name))).metadata.resourceVersion));
      }
      const expected = written.filter((revision) => revision > ahead);
      assert.deepEqual(
        (await events.take(expected.length)).map((e) => e.revision),
        expected,
      );
      await events.expectQuiet();
      events.stop();
    });

    storageIt('delivers only keys under its prefix, replayed and live', async ({ store }) => {
      // A first write, so that the watch below starts from a real revision rather than "0" (now).
      await store.create('/registry/shoots/a/before', thing('before'));
      const from = await store.currentRevision();
      for (const key of ['/registry/shoots/a/x', '/registry/shoots/ab/y', '/registry/shoots/a']) {
        await store.create(key, keyed(key));
      }
      const replayed = readEvents(store.watch('/registry/shoots/a/', { resourceVersion: String(from) }));
      const live = readEvents(store.watch('/registry/shoots/a/'));
      for (const key of ['/registry/shoots/ab/z', '/registry/shoots/a/w', '/registry/shootsx/a/v']) {
        await store.create(key, keyed(key));
      }
      assert.deepEqual(
        (await replayed.take(2)).map((e) => e.key),
        ['/registry/shoots/a/x', '/registry/shoots/a/w'],
      );
      assert.deepEqual(
        (await live.take(1)).map((e) => e.key),
        ['/registry/shoots/a/w'],
      );
      await Promise.all([replayed.expectQuiet(), live.expectQuiet()]);
      replayed.stop();
      live.stop();
    });

    storageIt('from a compacted resourceVersion fails with Expired', async ({ store }) => {
      const written: KubeObject[] = [];
      for (let n = 0; n < 5; n++) written.push(await store.create(`/registry/things/${n}`, thing(String(n))));
      const compactedAt = Number(written[2]!.metadata.resourceVersion);
      await store.compact(compactedAt);
      const tooOld = readEvents(store.watch('/registry/things/', { resourceVersion: String(compactedAt - 1) }));
      await assertStorageError(tooOld.take(1), 'Expired');
      const justKept = readEvents(store.watch('/registry/things/', { resourceVersion: String(compactedAt) }));
      assert.deepEqual(
        (await justKept.take(2)).map((e) => e.object),
        written.slice(3),
      );
      justKept.stop();
    });

    storageIt('stop() ends the iteration promptly, also while the consumer waits', async ({ store }) => {
      const watcher = store.watch('/registry/things/');
      const seen: StoreEvent[] = [];
      const consumed = (async () => {
        for await (const event of watcher) seen.push(event);
      })();
      await store.create('/registry/things/a', thing('a'));
      await waitFor(() => seen.length === 1);
      watcher.stop();
      await withTimeout(consumed, EVENT_TIMEOUT_MS, 'iteration did not end after stop()');
      await store.create('/registry/things/b', thing('b'));
      assert.deepEqual(
        seen.map((e) => e.key),
        ['/registry/things/a'],
      );
      assert.deepEqual(await watcher[Symbol.asyncIterator]().next(), { done: true, value: undefined });
    });

    storageIt('close() ends open watches', async ({ store }) => {
      const watcher = store.watch('/registry/things/');
      const consumed = (async () => {
        for await (const _ of watcher) {
          // Nothing is written; the loop only has to end.
        }
      })();
      await store.close();
      await withTimeout(consumed, EVENT_TIMEOUT_MS, 'iteration did not end after close()');
    });
  });
}
