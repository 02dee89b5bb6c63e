import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import type { KubeObject } from '../../src/api/meta.js';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { freePort } from '../../src/process/etcd-process.js';
import { type EtcdStore, type EtcdStoreOptions, openEtcdStore } from '../../src/storage/etcd/etcd-store.js';
import {
  isStorageError,
  type StorageErrorCode,
  type StoreEvent,
  type StoreProgress,
} from '../../src/storage/interface.js';
import { runStorageConformance } from '../../src/storage/testing/suite.js';
import { startTestEtcd, type TestEtcd } from '../helpers/etcd.js';

const exec = promisify(execFile);

/** One etcd for the whole file; each conformance case works under its own key prefix. */
let shared: Promise<TestEtcd> | undefined;
const sharedEtcd = () => {
  shared ??= startTestEtcd();
  return shared;
};
after(async () => {
  if (shared) await (await shared).cleanup();
});

/** Removes every key under `prefix`, with a client of its own. */
async function wipe(endpoints: string[], prefix: string): Promise<void> {
  const client = new Etcd3({ hosts: endpoints });
  try {
    await client.delete().prefix(prefix);
  } finally {
    client.close();
  }
}

/** The Range requests `etcd` has answered, from its own metrics. */
async function etcdRangeCount(etcd: TestEtcd): Promise<number> {
  const metrics = await (await fetch(`${etcd.endpoints[0]}/metrics`)).text();
  const line = metrics
    .split('\n')
    .find(
      (l) =>
        l.startsWith('grpc_server_handled_total{') && l.includes('grpc_code="OK"') && l.includes('grpc_method="Range"'),
    );
  assert.ok(line, 'etcd counts its Range requests');
  return Number(line.split(' ').at(-1));
}

let caseNumber = 0;
runStorageConformance('etcd', async () => {
  const { endpoints } = await sharedEtcd();
  const prefix = `/conformance-${++caseNumber}`;
  // `reopen` is a new client on the same etcd: what the first one wrote must all be there.
  const open = () => openEtcdStore({ endpoints, prefix });
  return { store: await open(), reopen: open, cleanup: () => wipe(endpoints, prefix) };
});

function thing(name: string, n = 0): KubeObject {
  return { apiVersion: 'test/v1', kind: 'Thing', metadata: { name, uid: `uid-${name}` }, spec: { n } };
}

function specN(obj: KubeObject): number {
  return (obj.spec as { n: number }).n;
}

/** Runs `body` against a store on the shared etcd and closes it afterwards. */
async function withStore(
  options: Omit<EtcdStoreOptions, 'endpoints'>,
  body: (store: EtcdStore, etcd: TestEtcd) => Promise<void>,
): Promise<void> {
  const etcd = await sharedEtcd();
  const store = await openEtcdStore({ ...options, endpoints: etcd.endpoints });
  try {
    await body(store, etcd);
  } finally {
    await store.close();
    await wipe(etcd.endpoints, options.prefix ?? '/registry/');
  }
}

async function assertStorageError(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(isStorageError(err), `expected a StorageError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

/** The next event of `watcher`, or a failure after `ms`. */
async function nextEvent<T = StoreEvent>(iterator: AsyncIterator<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
  });
  try {
    const result = await Promise.race([iterator.next(), timeout]);
    assert.ok(!result.done, 'the watch ended');
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}

/** Retries `fn` until it stops failing with `Unreachable` (etcd coming back), at most `ms`. */
async function whenReachable<T>(fn: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isStorageError(err, 'Unreachable') || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('etcd store', () => {
  it('stores the JSON without resourceVersion under the key itself; resourceVersion is the mod revision', async () => {
    await withStore({}, async (store, etcd) => {
      const key = '/registry/configmaps/default/a';
      await store.create(key, thing('a'));
      const updated = await store.guaranteedUpdate(key, (cur) => ({ ...cur, spec: { n: 1 } }));
      const { stdout } = await exec('/usr/bin/etcdctl', ['--endpoints', etcd.endpoints[0]!, 'get', key, '-w', 'json'], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      const response = JSON.parse(stdout) as {
        kvs: { key: string; value: string; mod_revision: number; create_revision: number }[];
      };
      assert.equal(response.kvs.length, 1);
      const [kv] = response.kvs;
      assert.equal(Buffer.from(kv!.key, 'base64').toString(), key);
      assert.equal(String(kv!.mod_revision), updated.metadata.resourceVersion);
      assert.ok(kv!.create_revision < kv!.mod_revision);
      const stored = JSON.parse(Buffer.from(kv!.value, 'base64').toString());
      assert.equal(stored.metadata.resourceVersion, undefined);
      assert.deepEqual(stored, { ...updated, metadata: { name: 'a', uid: 'uid-a' } });
      assert.deepEqual(await store.get(key), updated);
    });
  });

  it('pages of one list show the snapshot of its first page while writes happen in between', async () => {
    await withStore({ prefix: '/paging' }, async (store) => {
      const key = (n: number) => `/registry/things/obj-${String(n).padStart(2, '0')}`;
      const before: KubeObject[] = [];
      for (let n = 0; n < 30; n++) before.push(await store.create(key(n), thing(`obj-${n}`, n)));
      const pages: KubeObject[][] = [];
      let page = await store.list('/registry/things/', { limit: 10 });
      const revision = page.resourceVersion;
      pages.push(page.items);
      // Between pages: delete an object not yet listed, change another, add some in and after the range.
      await store.delete(key(15));
      await store.guaranteedUpdate(key(25), (cur) => ({ ...cur, spec: { n: 99 } }));
      await store.create('/registry/things/obj-15a', thing('obj-15a'));
      await store.create(key(40), thing('obj-40'));
      while (page.continue) {
        page = await store.list('/registry/things/', { limit: 10, continue: page.continue });
        assert.equal(page.resourceVersion, revision);
        pages.push(page.items);
      }
      assert.deepEqual(pages.flat(), before);
      const now = await store.list('/registry/things/');
      assert.equal(now.items.length, 31);
      assert.ok(Number(now.resourceVersion) > Number(revision));
    });
  });

  it('a list with a keyFilter reads only the values of the keys it keeps, at the list revision', async () => {
    await withStore({ prefix: '/key-filter' }, async (store, etcd) => {
      const byName = (obj: KubeObject) => obj.metadata.name === 'root';
      const keyFilter = (key: string) => key.endsWith('/root');
      for (let n = 0; n < 12; n++) {
        await store.create(`/registry/things/ns-${String(n).padStart(2, '0')}/root`, thing('root', n));
        await store.create(`/registry/things/ns-${String(n).padStart(2, '0')}/other`, thing('other', n));
      }
      // A value that is not JSON: decoding it fails the list, so a list that passes never read it.
      const raw = new Etcd3({ hosts: etcd.endpoints });
      try {
        await raw.put('/key-filter/registry/things/ns-05/unreadable').value('not json');
      } finally {
        raw.close();
      }
      await assertStorageError(store.list('/registry/things/', { predicate: byName }), 'Internal');
      const first = await store.list('/registry/things/', { predicate: byName, keyFilter, limit: 5 });
      assert.deepEqual(first.items.map(specN), [0, 1, 2, 3, 4]);
      assert.ok(first.continue);
      // Changed after the first page: the next pages still show the first page's revision.
      await store.guaranteedUpdate('/registry/things/ns-07/root', (cur) => ({ ...cur, spec: { n: 70 } }));
      const rest: KubeObject[] = [];
      for (let page = first; page.continue; ) {
        page = await store.list('/registry/things/', {
          predicate: byName,
          keyFilter,
          limit: 5,
          continue: page.continue,
        });
        assert.equal(page.resourceVersion, first.resourceVersion);
        rest.push(...page.items);
      }
      assert.deepEqual(rest.map(specN), [5, 6, 7, 8, 9, 10, 11]);
      assert.ok(rest.every((obj) => Number(obj.metadata.resourceVersion) <= Number(first.resourceVersion)));
    });
  });

  it('reads a list of large values in ranges of at most rangeBytes, small ones in one range', async () => {
    const rangeBytes = 20_000;
    await withStore({ prefix: '/range-bytes', rangeBytes }, async (store, etcd) => {
      const padding = 'x'.repeat(4_000);
      const large: KubeObject[] = [];
      for (let n = 0; n < 120; n++) {
        const name = `obj-${String(n).padStart(3, '0')}`;
        large.push(await store.create(`/registry/large/${name}`, { ...thing(name, n), data: { padding } }));
        await store.create(`/registry/small/${name}`, thing(name, n));
      }
      const valueBytes = JSON.stringify({ ...thing('obj-000', 0), data: { padding } }).length;
      // The first list learns the size; the second reads ranges of what fits in rangeBytes.
      assert.deepEqual((await store.list('/registry/large/')).items, large);
      let before = await etcdRangeCount(etcd);
      assert.deepEqual((await store.list('/registry/large/')).items, large);
      const perRange = Math.floor(rangeBytes / valueBytes);
      assert.equal((await etcdRangeCount(etcd)) - before, Math.ceil(120 / perRange));
      // A page is still the page asked for, continued where it ended.
      const page = await store.list('/registry/large/', { limit: 10 });
      assert.deepEqual(page.items, large.slice(0, 10));
      assert.equal(page.remainingItemCount, 110);
      const next = await store.list('/registry/large/', { limit: 10, continue: page.continue });
      assert.deepEqual(next.items, large.slice(10, 20));
      await store.list('/registry/small/');
      before = await etcdRangeCount(etcd);
      assert.equal((await store.list('/registry/small/')).items.length, 120);
      assert.equal((await etcdRangeCount(etcd)) - before, 1, 'small values: one range');
    });
  });

  it('holdReads keeps reads from etcd until the release, while writes and watches go on', async () => {
    await withStore({ prefix: '/held' }, async (store, etcd) => {
      const a = await store.create('/registry/things/a', thing('a'));
      const events = store.watch('/registry/things/')[Symbol.asyncIterator]();
      const release = await store.holdReads();
      const ranges = await etcdRangeCount(etcd);
      let answered = false;
      const reads = Promise.all([store.get('/registry/things/a'), store.list('/registry/things/')]).then((result) => {
        answered = true;
        return result;
      });
      const b = await store.create('/registry/things/b', thing('b'));
      assert.equal((await nextEvent(events)).key, '/registry/things/b');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(answered, false, 'the reads wait for the release');
      assert.equal(await etcdRangeCount(etcd), ranges, 'no read reached etcd meanwhile');
      release();
      const [got, list] = await reads;
      assert.deepEqual(got, a);
      assert.deepEqual(list.items, [a, b]);
    });
  });

  it('a continue token whose revision was compacted fails with Expired', async () => {
    await withStore({ prefix: '/expired' }, async (store) => {
      for (let n = 0; n < 3; n++) await store.create(`/registry/things/${n}`, thing(String(n)));
      const first = await store.list('/registry/things/', { limit: 1 });
      assert.ok(first.continue);
      await store.create('/registry/things/later', thing('later'));
      await store.compact(await store.currentRevision());
      await assertStorageError(store.list('/registry/things/', { limit: 1, continue: first.continue }), 'Expired');
    });
  });

  it('stopping one watch leaves the others on the same connection running', async () => {
    await withStore({ prefix: '/watches' }, async (store) => {
      const kept = store.watch('/registry/things/')[Symbol.asyncIterator]();
      const watchers = Array.from({ length: 5 }, () => store.watch('/registry/things/'));
      await store.create('/registry/things/a', thing('a'));
      assert.equal((await nextEvent(kept)).key, '/registry/things/a');
      for (const watcher of watchers) watcher.stop();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await store.create('/registry/things/b', thing('b'));
      assert.equal((await nextEvent(kept)).key, '/registry/things/b');
    });
  });

  it('a quiet watch hears its progress: watchProgress hands it on, a plain watch only ever yields events', async () => {
    await withStore({ prefix: '/progress' }, async (store) => {
      const progress = store.watchProgress('/registry/quiet/')[Symbol.asyncIterator]();
      const plain = store.watch('/registry/quiet/')[Symbol.asyncIterator]();
      const plainNext = plain.next();
      const busy = await store.create('/registry/busy/a', thing('a'));
      const written = Number(busy.metadata.resourceVersion);
      // etcd tells a caught-up watch its progress every 2 s (etcd-process.ts); nothing else comes.
      let heard = 0;
      const deadline = Date.now() + 10_000;
      while (heard < written) {
        assert.ok(Date.now() < deadline, `no progress through revision ${written} within 10 s`);
        const item = await nextEvent<StoreEvent | StoreProgress>(progress);
        assert.equal(item.type, 'PROGRESS', 'an event of another prefix came through');
        if (item.type === 'PROGRESS') heard = item.revision;
      }
      const quiet = await store.create('/registry/quiet/b', thing('b'));
      let next = await nextEvent<StoreEvent | StoreProgress>(progress);
      while (next.type === 'PROGRESS') next = await nextEvent<StoreEvent | StoreProgress>(progress);
      assert.equal(next.type, 'ADDED');
      assert.equal(next.revision, Number(quiet.metadata.resourceVersion));
      const first = await plainNext;
      assert.ok(!first.done);
      assert.equal(first.value.type, 'ADDED', 'the plain watch yielded something other than the event');
      assert.equal(first.value.key, '/registry/quiet/b');
    });
  });

  it('rejects a malformed watch resourceVersion on the first step, and anything after close() as Unreachable', async () => {
    await withStore({ prefix: '/closed' }, async (store) => {
      const iterator = store.watch('/registry/things/', { resourceVersion: 'abc' })[Symbol.asyncIterator]();
      await assert.rejects(iterator.next(), (err) => isStorageError(err, 'Internal') && /abc/.test(err.message));
      await store.close();
      await assertStorageError(store.get('/registry/things/a'), 'Unreachable');
      await assertStorageError(store.create('/registry/things/a', thing('a')), 'Unreachable');
      const closedWatch = store.watch('/registry/things/')[Symbol.asyncIterator]();
      await assert.rejects(closedWatch.next(), (err) => isStorageError(err, 'Unreachable'));
    });
  });

  it('an endpoint nobody listens on is Unreachable', async () => {
    const port = await freePort();
    await assertStorageError(openEtcdStore({ endpoints: [`http://127.0.0.1:${port}`] }), 'Unreachable');
  });

  it('talks TLS with client certificates and refuses clients without one', async () => {
    const ca = await generateCertificateAuthority('etcd-ca');
    const server = await issueCertificate(ca, {
      commonName: 'etcd',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    });
    const client = await issueCertificate(ca, { commonName: 'transplant', usage: 'client' });
    const etcd = await startTestEtcd({
      tls: { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem, clientCertAuth: true, client },
    });
    try {
      assert.match(etcd.endpoints[0]!, /^https:/);
      const store = await openEtcdStore({ endpoints: etcd.endpoints, tls: { caPem: ca.certPem, ...client } });
      try {
        const created = await store.create('/registry/things/a', thing('a'));
        assert.deepEqual(await store.get('/registry/things/a'), created);
      } finally {
        await store.close();
      }
      await assertStorageError(openEtcdStore({ endpoints: etcd.endpoints, tls: { caPem: ca.certPem } }), 'Unreachable');
      const otherCa = await generateCertificateAuthority('other-ca');
      await assertStorageError(
        openEtcdStore({ endpoints: etcd.endpoints, tls: { caPem: otherCa.certPem, ...client } }),
        'Unreachable',
      );
    } finally {
      await etcd.cleanup();
    }
  });

  it('keeps every object across an etcd restart; the same store and its watch carry on', async () => {
    const etcd = await startTestEtcd();
    try {
      const store = await openEtcdStore({ endpoints: etcd.endpoints });
      try {
        const written: KubeObject[] = [];
        for (let n = 0; n < 20; n++) written.push(await store.create(`/registry/things/${n}`, thing(String(n), n)));
        const removed = await store.delete('/registry/things/19');
        const revision = await store.currentRevision();
        assert.equal(String(revision), removed.metadata.resourceVersion);
        const watch = store.watch('/registry/things/', { resourceVersion: String(revision) })[Symbol.asyncIterator]();

        await etcd.stop();
        await assertStorageError(store.get('/registry/things/0'), 'Unreachable');
        await etcd.restart();

        assert.equal(await whenReachable(() => store.currentRevision()), revision);
        const listed = await store.list('/registry/things/');
        assert.deepEqual(
          [...listed.items].sort((a, b) => specN(a) - specN(b)),
          written.slice(0, 19),
        );
        const after = await store.guaranteedUpdate('/registry/things/3', (cur) => ({ ...cur, spec: { n: 33 } }));
        const event = await nextEvent(watch);
        assert.deepEqual([event.type, event.object], ['MODIFIED', after]);
        assert.deepEqual(event.prevObject, written[3]);
      } finally {
        await store.close();
      }
    } finally {
      await etcd.cleanup();
    }
  });
});
