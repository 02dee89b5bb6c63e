/**
 * The conformance suite every `Storage` backend passes (apiserver's storage/testing): a backend's
 * test file calls `runStorageConformance` with a function that opens a fresh, empty store, and
 * the suite registers its node:test cases under `describe(name)`.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import { isStorageError, type Storage, type StorageErrorCode, type StoreEvent, type Watcher } from '../interface.js';

export interface StorageUnderTest {
  /** A fresh store with no objects. The suite closes it, possibly twice: `close()` must be idempotent. */
  store: Storage;
  /** Opens the same data again after the suite closed the previous store; restart cases need it. */
  reopen?: () => Promise<Storage>;
  /** Removes what `open` created, after the suite closed the store. */
  cleanup: () => Promise<void>;
}

export type OpenStorage = () => Promise<StorageUnderTest>;

/** What a case gets: the open store, and a restart that replaces it (when the backend can). */
interface CaseContext {
  store: Storage;
  restart?: () => Promise<Storage>;
}

/** How long a watch case waits for an event before failing. */
const EVENT_TIMEOUT_MS = 5_000;
/** How long a watch must stay silent to count as delivering nothing more. */
const QUIET_MS = 100;

/** What a backend can do beyond the interface; cases needing a missing capability are not registered. */
export interface StorageCapabilities {
  /** Its data outlives the store object (`reopen` is given). Default true. */
  persistent?: boolean;
}

export function runStorageConformance(name: string, open: OpenStorage, capabilities: StorageCapabilities = {}): void {
  const storageIt = (title: string, body: (ctx: CaseContext, t: TestContext) => Promise<void>) =>
    it(title, async (t) => {
      const opened = await open();
      let store = opened.store;
      const { reopen } = opened;
      const restart = reopen
        ? async () => {
            await store.close();
            store = await reopen();
            return store;
          }
        : undefined;
      try {
        await body({ store, restart }, t);
      } finally {
        await store.close();
        await opened.cleanup();
      }
    });

  describe(`${name}: storage conformance`, () => {
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

      storageIt(
        'a failing uid or resourceVersion precondition is a Conflict and keeps the object',
        async ({ store }) => {
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
        },
      );
    });

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
        assert.equal(
          new Set(pages.map((page) => page.resourceVersion)).size,
          1,
          'every page reports the first revision',
        );
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

    if (capabilities.persistent !== false)
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
  });
}

// --- objects ---

function thing(name: string, options: { n?: number; resourceVersion?: string } = {}): KubeObject {
  const metadata: KubeObject['metadata'] = { name, uid: `uid-${name}` };
  if (options.resourceVersion) metadata.resourceVersion = options.resourceVersion;
  return { apiVersion: 'test/v1', kind: 'Thing', metadata, spec: { n: options.n ?? 0 } };
}

/** An object that records its own key, for cases about which keys come back. */
function keyed(key: string): KubeObject {
  return { ...thing(key.split('/').pop()!), key };
}

function spec(obj: KubeObject): { n: number } {
  return obj.spec as { n: number };
}

function withN(obj: KubeObject, n: number): KubeObject {
  return { ...obj, spec: { n } };
}

/** Creates `/registry/things/obj-000` … in key order, `spec.n` counting from 0. */
async function createNumbered(store: Storage, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    await store.create(`/registry/things/obj-${String(n).padStart(3, '0')}`, thing(`obj-${n}`, { n }));
  }
}

// --- list ---

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

// --- watch ---

type Summary = [StoreEvent['type'], string, string | undefined];

/** Type, key and resourceVersion of each event; checks on the way that revision and resourceVersion agree. */
function summarize(events: StoreEvent[]): Summary[] {
  return events.map((e) => {
    assert.equal(e.object.metadata.resourceVersion, String(e.revision), 'event revision and object resourceVersion');
    return [e.type, e.key, e.object.metadata.resourceVersion];
  });
}

const TIMED_OUT = Symbol('timed out');

/**
 * Reads a watcher through one iterator. A read that timed out stays pending and is reused by the
 * next read, so waiting never loses an event.
 */
function readEvents(watcher: Watcher) {
  const iterator = watcher[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<StoreEvent>> | undefined;
  const next = async (ms: number) => {
    pending ??= iterator.next();
    const result = await raceTimeout(pending, ms);
    if (result !== TIMED_OUT) pending = undefined;
    return result;
  };
  return {
    async take(count: number): Promise<StoreEvent[]> {
      const events: StoreEvent[] = [];
      while (events.length < count) {
        const result = await next(EVENT_TIMEOUT_MS);
        if (result === TIMED_OUT) assert.fail(`timed out after ${events.length} of ${count} events`);
        if (result.done) assert.fail(`the watch ended after ${events.length} of ${count} events`);
        events.push(result.value);
      }
      return events;
    },
    async expectQuiet(): Promise<void> {
      const result = await next(QUIET_MS);
      if (result !== TIMED_OUT) assert.fail(`unexpected ${JSON.stringify(result)}`);
    },
    stop: () => watcher.stop(),
  };
}

async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function withTimeout(promise: Promise<unknown>, ms: number, message: string): Promise<void> {
  if ((await raceTimeout(promise, ms)) === TIMED_OUT) assert.fail(message);
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// --- errors ---

async function assertStorageError(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(isStorageError(err), `expected a StorageError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}
