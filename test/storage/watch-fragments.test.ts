/**
 * Fragmented watch responses (src/storage/etcd/watch-fragments.ts) on a real etcd, for both
 * watches of a seed: the API servers' (EtcdWatcher) and the backup sidecar's delta watch.
 *
 * The data: 15 values of 100 KiB put one per revision, 12 more put in one transaction (one
 * revision of 1.2 MB), then all 27 keys deleted in one revision. A watch from the first put
 * catches up on all of it in one response, which etcd 3.4 sends as fragments of at most 2 MiB
 * (its request limit and 512 KiB for gRPC): the first ends inside the transaction's revision. A
 * stream broken right after it must neither lose the rest of the revision nor deliver anything
 * twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Etcd3, type IWatchResponse } from 'etcd3';
import { pino } from 'pino';
import { EtcdEventWatch } from '../../src/backup/snapshotter/delta-snapshots.js';
import { EtcdWatcher, type WatchStream } from '../../src/storage/etcd/etcd-watcher.js';
import type { StoreEvent } from '../../src/storage/interface.js';
import { startTestEtcd, type TestEtcd } from '../helpers/etcd.js';
import { eventually } from '../helpers/processes.js';

const PREFIX = '/fragments/';
const SINGLE_PUTS = 15;
const TRANSACTION_PUTS = 12;
const VALUE = Buffer.alloc(100 * 1024, 7);
const keyOf = (i: number) => `${PREFIX}${String(i).padStart(2, '0')}`;

/** What a watch delivered, as `PUT <key> @<revision>` / `DELETE <key> @<revision>`. */
type Delivered = string[];

/**
 * Opens watch streams through `client`, recording each response's fragment flag; with
 * `breakAfterSplitRevision`, the first stream breaks at the response after the first fragment
 * that ends inside a revision (its last event's revision continues in the next response).
 */
function recordingStreams(client: Etcd3, breakAfterSplitRevision: boolean) {
  const fragments: boolean[] = [];
  let broke = false;
  const open = async (): Promise<WatchStream> => {
    const stream = (await client.watchClient.watch()) as WatchStream;
    let previous: IWatchResponse | undefined;
    // Registered before the watch's own listener: a break here means the watch never sees this response.
    stream.on('data', (response: IWatchResponse) => {
      if (response.created) return;
      fragments.push(response.fragment === true);
      const first = response.events[0]?.kv.mod_revision;
      const split = previous?.fragment === true && previous.events.at(-1)?.kv.mod_revision === first;
      if (breakAfterSplitRevision && !broke && split) {
        broke = true;
        (stream as unknown as NodeJS.EventEmitter).emit(
          'error',
          new Error('broken by the test after a fragment ending inside a revision'),
        );
      }
      previous = response;
    });
    return stream;
  };
  return { open, fragments, broke: () => broke };
}

describe('fragmented etcd watch responses', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let firstRevision: number;
  let expected: Delivered;

  before(async () => {
    etcd = await startTestEtcd();
    client = new Etcd3({ hosts: etcd.endpoints });
    expected = [];
    for (let i = 0; i < SINGLE_PUTS; i++) {
      const put = await client.put(keyOf(i)).value(VALUE).exec();
      const revision = Number(put.header.revision);
      firstRevision ??= revision;
      expected.push(`PUT ${keyOf(i)} @${revision}`);
    }
    const inTransaction = Array.from({ length: TRANSACTION_PUTS }, (_, i) => keyOf(SINGLE_PUTS + i));
    const txn = await client.kv.txn({
      success: inTransaction.map((key) => ({ request_put: { key: Buffer.from(key), value: VALUE } })),
    });
    for (const key of inTransaction) expected.push(`PUT ${key} @${Number(txn.header.revision)}`);
    const deleted = await client.delete().prefix(PREFIX).exec();
    const revision = Number(deleted.header.revision);
    for (let i = 0; i < SINGLE_PUTS + TRANSACTION_PUTS; i++) expected.push(`DELETE ${keyOf(i)} @${revision}`);
  });

  after(async () => {
    client?.close();
    await etcd?.cleanup();
  });

  const apiWatch = async (breakAfterSplitRevision: boolean) => {
    const streams = recordingStreams(client, breakAfterSplitRevision);
    const delivered: Delivered = [];
    const watcher = new EtcdWatcher({
      prefix: PREFIX,
      afterRevision: firstRevision - 1,
      openStream: streams.open,
      createRequest: (startRevision) => ({
        key: Buffer.from(PREFIX),
        range_end: Buffer.from('/fragments0'),
        start_revision: startRevision,
        prev_kv: true,
      }),
      toEvents: (response) =>
        response.events.map(
          (ev) =>
            ({
              type: String(ev.type).toUpperCase() === 'DELETE' ? 'DELETED' : 'ADDED',
              key: ev.kv.key.toString(),
              object: {},
              revision: Number(ev.kv.mod_revision),
            }) as unknown as StoreEvent,
        ),
      reconnectTimeoutMs: 10_000,
      onEnd: () => undefined,
    });
    watcher.start();
    const reading = (async () => {
      for await (const event of watcher.asEventWatcher()) {
        delivered.push(`${event.type === 'DELETED' ? 'DELETE' : 'PUT'} ${event.key} @${event.revision}`);
        if (delivered.length === expected.length) break;
      }
    })();
    await Promise.race([
      reading,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`delivered ${delivered.length}`)), 20_000)),
    ]);
    // Anything delivered twice would come right after the last expected event.
    await new Promise((resolve) => setTimeout(resolve, 300));
    watcher.stop();
    return { delivered, streams };
  };

  it('the API servers’ watch asks for fragments and delivers every event once, in order', async () => {
    const { delivered, streams } = await apiWatch(false);
    assert.ok(streams.fragments.includes(true), `etcd sent fragments (${streams.fragments.join(',')})`);
    assert.deepEqual(delivered, expected);
  });

  it('the API servers’ watch broken after a fragment ending inside a revision loses nothing and repeats nothing', async () => {
    const { delivered, streams } = await apiWatch(true);
    assert.ok(streams.broke(), 'the stream was broken inside a revision');
    assert.deepEqual(delivered, expected);
  });

  it('the delta watch broken after a fragment ending inside a revision delivers whole revisions, each once', async () => {
    const streams = recordingStreams(client, true);
    const proxy = { watchClient: { watch: streams.open } } as unknown as Etcd3;
    const delivered: Delivered = [];
    const revisionsDelivered: number[][] = [];
    const watch = new EtcdEventWatch(
      proxy,
      firstRevision,
      {
        onEvents: (events) => {
          revisionsDelivered.push(events.map((e) => e.kv.modRevision));
          for (const e of events) delivered.push(`${e.type} ${e.kv.key.toString()} @${e.kv.modRevision}`);
        },
        onCompacted: () => assert.fail('not compacted'),
      },
      pino({ level: 'silent' }),
    );
    watch.start();
    try {
      await eventually(async () => (delivered.length >= expected.length ? true : undefined), 20_000, 'every event');
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      watch.stop();
    }
    assert.ok(streams.broke(), 'the stream was broken inside a revision');
    assert.deepEqual(delivered, expected);
    const transaction = Number(expected[SINGLE_PUTS]!.split('@')[1]);
    assert.equal(
      revisionsDelivered.filter((revisions) => revisions.includes(transaction)).length,
      1,
      'the transaction’s revision came in one delivery, whole',
    );
  });
});
