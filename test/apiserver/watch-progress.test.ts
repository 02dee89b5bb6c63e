/**
 * A watch's bookmarks carry the store's progress, not only its last event's resourceVersion
 * (watch-handler.ts): a watch on a quiet resource that the server ends (its timeout, a drain, a live
 * migration's switch) tells its client the newest position, so resuming it costs etcd nothing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { KubeObject, WatchEvent } from '../../src/api/meta.js';
import type { GenericStore, WatchQuery } from '../../src/apiserver/registry/generic-store.js';
import type { ResourceWatch } from '../../src/apiserver/registry/watch-events.js';
import type { RequestInfo } from '../../src/apiserver/request-info.js';
import { serveWatch } from '../../src/apiserver/watch-handler.js';

const configMap = (name: string, resourceVersion: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', resourceVersion },
});

/** A store whose watch yields `events`, then waits until it is stopped; it records each query. */
function fakeStore(events: WatchEvent[]) {
  const queries: WatchQuery[] = [];
  let stopWatch = () => {};
  const store = {
    def: { kind: 'ConfigMap' },
    apiVersion: 'v1',
    selectableFieldNames: () => ['metadata.name', 'metadata.namespace'],
    async watch(_namespace: string, query: WatchQuery): Promise<ResourceWatch> {
      queries.push(query);
      const stopped = new Promise<void>((resolve) => {
        stopWatch = resolve;
      });
      async function* stream(): AsyncGenerator<WatchEvent> {
        for (const event of events) yield event;
        await stopped;
      }
      return { [Symbol.asyncIterator]: () => stream(), stop: () => stopWatch() };
    },
  };
  return { store: store as unknown as GenericStore, queries };
}

/** Serves one watch with `query`, lets the server end it once `events` went out, and returns every line the client read. */
async function watchOnce(events: WatchEvent[], query: string) {
  const { store, queries } = fakeStore(events);
  const stops = new Set<() => void>();
  const info = { namespace: 'default', name: '', verb: 'watch' } as unknown as RequestInfo;
  const server = createServer((req, res) => {
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    void serveWatch(req, res, store, info, params, {
      table: false,
      metadataOnly: false,
      includeObject: 'Object',
      bookmarkIntervalSeconds: 3600,
      openWatches: { add: (stop) => stops.add(stop), delete: (stop) => stops.delete(stop) },
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const res: IncomingMessage = await new Promise((resolve) => get(`http://127.0.0.1:${port}/?${query}`, resolve));
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
    });
    // Every event is out once the client has read one line per event.
    while (text.split('\n').length <= events.filter((e) => e.type !== 'BOOKMARK').length) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The server ends the watch, as a drain does.
    for (const stop of stops) stop();
    await once(res, 'end');
    const lines = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as WatchEvent);
    return { lines, queries };
  } finally {
    server.close();
  }
}

const storeProgress = (resourceVersion: string): WatchEvent => ({
  type: 'BOOKMARK',
  object: { metadata: { resourceVersion } } as KubeObject,
});

describe('watch progress', () => {
  it('a watch the server ends tells a client that allows bookmarks the store progress past its last event', async () => {
    const { lines, queries } = await watchOnce(
      [{ type: 'ADDED', object: configMap('a', '5') }, storeProgress('9'), storeProgress('12')],
      'watch=true&resourceVersion=4&allowWatchBookmarks=true',
    );
    assert.equal(queries[0]?.progress, true, 'the store was not asked for its progress');
    assert.deepEqual(
      lines.map((line) => [line.type, line.object.metadata.resourceVersion]),
      [
        ['ADDED', '5'],
        ['BOOKMARK', '12'],
      ],
    );
    assert.equal(lines[1]?.object.kind, 'ConfigMap');
  });

  it('no bookmark ends a watch whose last event is its newest position', async () => {
    const { lines } = await watchOnce(
      [storeProgress('7'), { type: 'MODIFIED', object: configMap('a', '8') }],
      'watch=true&resourceVersion=4&allowWatchBookmarks=true',
    );
    assert.deepEqual(
      lines.map((line) => line.type),
      ['MODIFIED'],
    );
  });

  it('a client that does not allow bookmarks gets none, and the store is not asked for its progress', async () => {
    const { lines, queries } = await watchOnce(
      [{ type: 'ADDED', object: configMap('a', '5') }],
      'watch=true&resourceVersion=4',
    );
    assert.equal(queries[0]?.progress, false);
    assert.deepEqual(
      lines.map((line) => line.type),
      ['ADDED'],
    );
  });
});
