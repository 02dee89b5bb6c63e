/**
 * List and paging (store_tests.go RunTestList, RunTestListContinuation): prefixes select exactly
 * their keys, pages of a filtered list are full and consistent, continue tokens are checked.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import type { Storage } from '../interface.js';
import { assertStorageError, createNumbered, keyed, spec, thing } from './fixtures.js';
import type { StorageIt } from './storage-it.js';

export function listCases(storageIt: StorageIt): void {
  describe('list', () => {
    storageIt('returns exactly the keys starting with the prefix, in key order', async ({ store }) => {
      const keys = [
        '/registry/shoots/a',
        '/registry/shoots/a/x',
        '/registry/shoots/ab/y',
        '/registry/shoots/a/z',
        '/registry/shootsx/q',
        '/registry/seeds/s',
        '/registry/ü/1',
        '/registry/üa/2',
        '/registry/ý/3',
      ];
      for (const key of keys) await store.create(key, keyed(key));
      const listed = async (prefix: string) => (await store.list(prefix)).items.map((obj) => obj.key);
      assert.deepEqual(await listed('/registry/shoots/a/'), ['/registry/shoots/a/x', '/registry/shoots/a/z']);
      assert.deepEqual(await listed('/registry/shoots/ab/'), ['/registry/shoots/ab/y']);
      assert.deepEqual(await listed('/registry/shoots/a'), [
        '/registry/shoots/a',
        '/registry/shoots/a/x',
        '/registry/shoots/a/z',
        '/registry/shoots/ab/y',
      ]);
      assert.deepEqual(await listed('/registry/shoots/'), [
        '/registry/shoots/a',
        '/registry/shoots/a/x',
        '/registry/shoots/a/z',
        '/registry/shoots/ab/y',
      ]);
      assert.deepEqual(await listed('/registry/shoots'), [
        '/registry/shoots/a',
        '/registry/shoots/a/x',
        '/registry/shoots/a/z',
        '/registry/shoots/ab/y',
        '/registry/shootsx/q',
      ]);
      assert.deepEqual(await listed('/registry/ü/'), ['/registry/ü/1']);
      assert.deepEqual(await listed('/registry/ü'), ['/registry/ü/1', '/registry/üa/2']);
      assert.deepEqual(await listed('/registry/nothing/'), []);
      assert.equal((await listed('')).length, keys.length);
    });

    storageIt('reports the current revision and the stored resourceVersions', async ({ store }) => {
      const a = await store.create('/registry/things/a', thing('a'));
      await store.create('/registry/other/b', thing('b'));
      const result = await store.list('/registry/things/');
      assert.equal(result.resourceVersion, String(await store.currentRevision()));
      assert.deepEqual(result.items, [a]);
      assert.equal(result.continue, undefined);
    });

    storageIt('pages of a filtered list hold limit matches each and every match once', async ({ store }) => {
      await createNumbered(store, 250);
      const isMultipleOf3 = (obj: KubeObject) => spec(obj).n % 3 === 0;
      // Writes elsewhere between pages move the store's revision on; pages still report the first.
      let elsewhere = 0;
      const writeElsewhere = () => store.create(`/registry/other/${elsewhere++}`, thing('other'));
      const pages = await listAllPages(store, '/registry/things/', 10, isMultipleOf3, writeElsewhere);
      const expected = Array.from({ length: 250 }, (_, n) => n).filter((n) => n % 3 === 0);
      assert.deepEqual(
        pages.flatMap((page) => page.items.map((obj) => spec(obj).n)),
        expected,
      );
      assert.deepEqual(
        pages.map((page) => page.items.length),
        [10, 10, 10, 10, 10, 10, 10, 10, 4],
      );
      assert.equal(new Set(pages.map((page) => page.resourceVersion)).size, 1, 'every page reports the first revision');
    });

    storageIt('sets continue only while more keys remain', async ({ store }) => {
      await createNumbered(store, 250);
      const byHundred = await listAllPages(store, '/registry/things/', 100);
      assert.deepEqual(
        byHundred.map((page) => page.items.length),
        [100, 100, 50],
      );
      const remaining = byHundred.map((page) => page.remainingItemCount);
      if (remaining[0] !== undefined) assert.deepEqual(remaining, [150, 50, undefined]);
      const exact = await listAllPages(store, '/registry/things/', 125);
      assert.deepEqual(
        exact.map((page) => page.items.length),
        [125, 125],
      );
      const all = await store.list('/registry/things/', { limit: 250 });
      assert.equal(all.items.length, 250);
      assert.equal(all.continue, undefined);
    });

    storageIt('listRaw, where a backend has it, pages the same objects as list, as JSON text', async ({ store }) => {
      if (!store.listRaw) return;
      await createNumbered(store, 25);
      const objects = await store.list('/registry/things/');
      const raw: string[] = [];
      let cont: string | undefined;
      let pages = 0;
      do {
        const page = await store.listRaw('/registry/things/', { limit: 10, continue: cont });
        raw.push(...page.items);
        cont = page.continue;
        pages++;
      } while (cont);
      assert.equal(pages, 3);
      assert.deepEqual(
        raw.map((text) => JSON.parse(text)),
        objects.items,
      );
    });

    storageIt('a malformed or foreign continue token fails with InvalidContinue', async ({ store }) => {
      await createNumbered(store, 3);
      const first = await store.list('/registry/things/', { limit: 1 });
      assert.ok(first.continue);
      await assertStorageError(
        store.list('/registry/things/', { limit: 1, continue: 'not a token' }),
        'InvalidContinue',
      );
      const noPosition = Buffer.from('{}').toString('base64url');
      await assertStorageError(store.list('/registry/things/', { continue: noPosition }), 'InvalidContinue');
      await assertStorageError(store.list('/registry/other/', { continue: first.continue }), 'InvalidContinue');
    });
  });
}

async function listAllPages(
  store: Storage,
  prefix: string,
  limit: number,
  predicate?: (obj: KubeObject) => boolean,
  betweenPages?: () => Promise<unknown>,
): Promise<Awaited<ReturnType<Storage['list']>>[]> {
  const pages = [];
  let token: string | undefined;
  do {
    if (token) await betweenPages?.();
    const page = await store.list(prefix, { limit, predicate, continue: token });
    assert.ok(page.items.length <= limit, `a page of ${page.items.length} items exceeds the limit ${limit}`);
    pages.push(page);
    token = page.continue;
    assert.ok(pages.length <= 1000, 'paging does not end');
  } while (token);
  return pages;
}
