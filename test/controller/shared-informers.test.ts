/**
 * Shared informers (src/controller/shared-informers.ts) against a real store: one cache per
 * resource that listers read, and sources from which every controller sees each change once and in
 * order, whenever it started; a controller that fell behind the kept changes lists again.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { configMapResource } from '../../src/api/core/config-map.js';
import type { KubeObject, WatchEvent } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import { Informer } from '../../src/controller/informer.js';
import { SharedInformerFactory } from '../../src/controller/shared-informers.js';
import { configMapDefinition } from '../../src/registry/core/config-map.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { until } from '../helpers/processes.js';
import { storeClient } from '../helpers/store-client.js';

const storage = openSqliteStore({ path: ':memory:' });
const client = storeClient([new GenericStore(configMapDefinition, storage, new AdmissionChain([]))]);
const configMaps = client.resource(configMapResource);

/** A controller's view through `factory`: what its informer has seen, by name. */
function follow(factory: SharedInformerFactory) {
  const seen = new Map<string, string | undefined>();
  const informer = new Informer(factory.source(configMapResource), {
    upsert: (obj) => seen.set(obj.metadata.name ?? '', (obj as { data?: Record<string, string> }).data?.v),
    remove: (obj) => seen.delete(obj.metadata.name ?? ''),
  });
  informer.start();
  return { seen, informer };
}

describe('shared informers', () => {
  after(() => storage.close());

  it('serve listers and every controller from one cache, each change in order', async () => {
    await configMaps.create('ns', { metadata: { name: 'a', namespace: 'ns' }, data: { v: '1' } });
    const factory = new SharedInformerFactory(client);
    const early = follow(factory);
    await factory.synced(configMapResource);
    assert.deepEqual(
      factory
        .lister(configMapResource)
        .list('ns')
        .map((cm) => cm.metadata.name),
      ['a'],
    );
    await configMaps.create('ns', { metadata: { name: 'b', namespace: 'ns' }, data: { v: '1' } });
    await configMaps.patch('ns', 'a', { data: { v: '2' } });
    const late = follow(factory);
    await configMaps.delete('ns', 'b');
    await configMaps.create('other', { metadata: { name: 'c', namespace: 'other' }, data: { v: '3' } });
    const expected = new Map([
      ['a', '2'],
      ['c', '3'],
    ]);
    for (const { seen } of [early, late]) {
      await until(async () => JSON.stringify([...seen]) === JSON.stringify([...expected]), 5_000, 'every change seen');
    }
    assert.equal(factory.lister(configMapResource).get('other', 'c')?.metadata.name, 'c');
    assert.equal(factory.lister(configMapResource).get('ns', 'b'), undefined);
    assert.deepEqual(
      factory
        .lister(configMapResource)
        .list('ns')
        .map((cm) => cm.metadata.name),
      ['a'],
    );
    assert.ok(factory.has(configMapResource));
    early.informer.stop();
    late.informer.stop();
    factory.stop();
  });

  it('refuses a watch from a position it no longer keeps, so the controller lists again', async () => {
    const factory = new SharedInformerFactory(client);
    const source = factory.source(configMapResource);
    const list = await source.list();
    await assert.rejects(source.watch(String(Number(list.metadata.resourceVersion) + 10)), /list again/);
    const watch = await source.watch(list.metadata.resourceVersion ?? '');
    await configMaps.create('ns', { metadata: { name: 'd', namespace: 'ns' } });
    const iterator = watch[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as WatchEvent<KubeObject>;
    assert.equal(first.type, 'ADDED');
    assert.equal(first.object.metadata.name, 'd');
    watch.stop();
    assert.equal((await iterator.next()).done, true);
    factory.stop();
  });

  it('ends the wait for a first list when stopped before it came, also for a resource asked for after stop()', async () => {
    // Its lists fail (the API server is overloaded or going away): the cache never fills.
    const failing = new SharedInformerFactory({
      resource: (ref) => ({
        ...client.resource(ref),
        list: () => Promise.reject(new Error('connect ECONNREFUSED')),
      }),
    });
    const waiting = failing.syncedAll([configMapResource]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    failing.stop();
    await assert.rejects(waiting, /stopped before its first list/);
    await assert.rejects(failing.synced(configMapResource), /stopped before its first list/);
  });
});
