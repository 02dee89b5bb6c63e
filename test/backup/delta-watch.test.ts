/**
 * EtcdEventWatch hands a large watch response over in slices of whole revisions, with the event
 * loop free between two slices and etcd held back meanwhile; a stream broken while slices wait
 * is reopened after the last event received, not the last delivered. A fake watch stream stands
 * in for etcd's (the real one is in snapshotter.test.ts).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import type { DeltaEvent } from '../../src/backup/snapshot-format.js';
import { DELIVERY_SLICE_BYTES, EtcdEventWatch, takeRevisions } from '../../src/backup/snapshotter/delta-snapshots.js';

const KIB = 1024;

function event(revision: number, valueBytes: number): DeltaEvent {
  return {
    type: 'PUT',
    kv: {
      key: Buffer.from(`/k/${revision}`),
      value: Buffer.alloc(valueBytes),
      createRevision: revision,
      modRevision: revision,
      version: 1,
      lease: 0,
    },
    time: new Date(),
  };
}

describe('takeRevisions', () => {
  it('takes whole revisions up to the byte limit, and at least one revision', () => {
    const queue = [event(1, 60), event(2, 60), event(2, 60), event(3, 60), event(4, 60)];
    // 1 and both events of 2 (the limit is reached inside revision 2, which is not split).
    assert.deepEqual(
      takeRevisions(queue, 100).map((e) => e.kv.modRevision),
      [1, 2, 2],
    );
    assert.deepEqual(
      takeRevisions(queue, 1).map((e) => e.kv.modRevision),
      [3],
    );
    assert.deepEqual(
      takeRevisions(queue, 1_000).map((e) => e.kv.modRevision),
      [4],
    );
    assert.equal(queue.length, 0);
  });
});

/** A watch stream as etcd3's watch client gives it, recording what the watch does with it. */
class FakeStream extends EventEmitter {
  readonly writes: unknown[] = [];
  paused = false;
  pauses = 0;
  write(request: unknown): void {
    this.writes.push(request);
  }
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {}
  cancel(): void {}
  /** A response with a PUT of `valueBytes` at each of `revisions`. */
  respond(revisions: number[], valueBytes: number): void {
    const events = revisions.map((revision) => ({
      type: 'Put',
      kv: {
        key: Buffer.from(`/k/${revision}`),
        value: Buffer.alloc(valueBytes),
        create_revision: String(revision),
        mod_revision: String(revision),
        version: '1',
        lease: '0',
      },
    }));
    this.emit('data', { created: false, canceled: false, events });
  }
}

function fakeClient(streams: FakeStream[]): Etcd3 {
  return { watchClient: { watch: async () => streams.shift() } } as unknown as Etcd3;
}

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(condition(), 'condition not reached');
};

describe('EtcdEventWatch', () => {
  it('delivers a large response in slices, the event loop free and etcd held back in between', async () => {
    const stream = new FakeStream();
    const slices: { revisions: number[]; bytes: number; paused: boolean; otherWorkRan: boolean }[] = [];
    /** Other work, queued while a slice is delivered: it runs before the next slice. */
    let otherWorkRan = true;
    const watch = new EtcdEventWatch(
      fakeClient([stream]),
      1,
      {
        onEvents: (events) => {
          slices.push({
            revisions: events.map((e) => e.kv.modRevision),
            bytes: events.reduce((sum, e) => sum + e.kv.value.length + e.kv.key.length, 0),
            paused: stream.paused,
            otherWorkRan,
          });
          otherWorkRan = false;
          setImmediate(() => {
            otherWorkRan = true;
          });
        },
        onCompacted: () => assert.fail('not compacted'),
      },
      pino({ level: 'silent' }),
    );
    watch.start();
    await until(() => stream.writes.length === 1);
    const revisions = Array.from({ length: 100 }, (_, i) => i + 1);
    stream.respond(revisions, 100 * KIB);
    await until(() => watch.receivedThrough === 100);
    assert.ok(slices.length >= 4, `${slices.length} slices`);
    assert.deepEqual(
      slices.flatMap((s) => s.revisions),
      revisions,
    );
    for (const slice of slices) assert.ok(slice.bytes < DELIVERY_SLICE_BYTES + 101 * KIB, `${slice.bytes} bytes`);
    assert.ok(
      slices.every((s) => s.otherWorkRan),
      'other work ran between two slices',
    );
    assert.ok(
      slices.slice(1).every((s) => s.paused),
      'etcd held back while slices wait',
    );
    assert.equal(stream.paused, false, 'resumed once all are delivered');
    watch.stop();
  });

  it('reopens a broken stream after the last event received, delivering each event once', async () => {
    const first = new FakeStream();
    const second = new FakeStream();
    const delivered: number[] = [];
    const watch = new EtcdEventWatch(
      fakeClient([first, second]),
      1,
      {
        onEvents: (events) => delivered.push(...events.map((e) => e.kv.modRevision)),
        onCompacted: () => assert.fail('not compacted'),
      },
      pino({ level: 'silent' }),
    );
    watch.start();
    await until(() => first.writes.length === 1);
    first.respond([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 1024 * KIB);
    // Broken while most slices still wait: the next stream starts after revision 10.
    first.emit('error', new Error('connection reset'));
    await until(() => second.writes.length === 1);
    assert.equal(
      (second.writes[0] as { create_request: { start_revision: number } }).create_request.start_revision,
      11,
    );
    second.respond([11, 12], 1 * KIB);
    await until(() => watch.receivedThrough === 12);
    assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    watch.stop();
  });
});
