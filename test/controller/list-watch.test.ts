/**
 * clientListWatch reading in pages; unionListWatch: the objects of several list-watches once each (the newer version of an object
 * listed twice), watched from the oldest list's resourceVersion, and a watch that ends as soon as
 * one of its sources ends so that the informer lists again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeList, KubeObject, WatchEvent } from '../../src/api/meta.js';
import { resourceRef } from '../../src/api/resource-ref.js';
import type { Client, ListOptions } from '../../src/client/client.js';
import { clientListWatch, type ListWatch, unionListWatch } from '../../src/controller/list-watch.js';

function obj(name: string, resourceVersion: string): KubeObject {
  return { metadata: { name, namespace: 'ns', resourceVersion } };
}

/** A list-watch serving `items` at `resourceVersion` and a watch fed through `push`/`end`. */
function fakeSource(items: KubeObject[], resourceVersion: string) {
  const watchedFrom: string[] = [];
  let push: (event: WatchEvent) => void = () => undefined;
  let end: () => void = () => undefined;
  const source: ListWatch = {
    list: async () => ({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items }) as KubeList,
    watch: async (from) => {
      watchedFrom.push(from);
      const queue: WatchEvent[] = [];
      let wake: (() => void) | undefined;
      let ended = false;
      push = (event) => {
        queue.push(event);
        wake?.();
      };
      end = () => {
        ended = true;
        wake?.();
      };
      return {
        stop: () => end(),
        async *[Symbol.asyncIterator]() {
          for (;;) {
            if (queue.length > 0) yield queue.shift()!;
            else if (ended) return;
            else await new Promise<void>((resolve) => (wake = resolve));
          }
        },
      };
    },
  };
  return { source, watchedFrom, push: (e: WatchEvent) => push(e), end: () => end() };
}

describe('unionListWatch', () => {
  it('lists each object once, at its newer version, with the oldest resourceVersion of the lists', async () => {
    const a = fakeSource([obj('x', '5'), obj('y', '7')], '10');
    const b = fakeSource([obj('y', '9'), obj('z', '3')], '8');
    const list = await unionListWatch(a.source, b.source).list();
    assert.equal(list.metadata.resourceVersion, '8');
    const versions = Object.fromEntries(list.items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
    assert.deepEqual(versions, { x: '5', y: '9', z: '3' });
  });

  it('merges the watches of all sources and fails once one ends, unless stopped', async () => {
    const a = fakeSource([], '1');
    const b = fakeSource([], '1');
    const watch = await unionListWatch(a.source, b.source).watch('4');
    assert.deepEqual([a.watchedFrom, b.watchedFrom], [['4'], ['4']]);
    const seen: string[] = [];
    const consumed = (async () => {
      for await (const event of watch) seen.push(`${event.type} ${event.object.metadata.name}`);
    })();
    a.push({ type: 'ADDED', object: obj('x', '5') });
    b.push({ type: 'MODIFIED', object: obj('y', '6') });
    await new Promise((resolve) => setTimeout(resolve, 10));
    a.end();
    await assert.rejects(consumed, /list again/);
    assert.deepEqual(seen.sort(), ['ADDED x', 'MODIFIED y']);

    const stopped = await unionListWatch(a.source, b.source).watch('4');
    const drained = (async () => {
      for await (const _ of stopped);
    })();
    stopped.stop();
    await drained;
  });
});

describe('clientListWatch with a page size', () => {
  it('lists every page at the first page’s resourceVersion, asking for no more than a page at a time', async () => {
    const asked: ListOptions[] = [];
    const pages: KubeList[] = [
      { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '40', continue: 'c1' }, items: [obj('a', '1')] },
      { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '40', continue: 'c2' }, items: [obj('b', '2')] },
      { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '40' }, items: [obj('c', '3')] },
    ];
    const resource = {
      list: async (_namespace: string, options: ListOptions) => {
        asked.push(options);
        return pages[asked.length - 1]!;
      },
    };
    const client = { resource: () => resource } as unknown as Client;
    const ref = resourceRef({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true });
    const list = await clientListWatch(client, ref, 'ns', { metadataOnly: true }, { pageSize: 2 }).list();
    assert.deepEqual(
      list.items.map((o) => o.metadata.name),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(list.metadata, { resourceVersion: '40' });
    assert.deepEqual(asked, [
      { metadataOnly: true, limit: 2 },
      { metadataOnly: true, limit: 2, continue: 'c1' },
      { metadataOnly: true, limit: 2, continue: 'c2' },
    ]);
  });
});
