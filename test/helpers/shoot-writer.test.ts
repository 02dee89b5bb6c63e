/**
 * The writer and the downtime poller against a real shoot kube-apiserver over a real etcd, with a
 * real outage: the API server is stopped for a while and started again on the same address and
 * etcd. Every acknowledged write must be found afterwards, writes during the outage fail, and the
 * poller's longest gap covers the outage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestShootApi } from './shoot-api-server.js';
import { type ShootClient, shootClient } from './shoot-client.js';
import { checkWrites, measureDowntime, startShootWriter } from './shoot-writer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A shoot API server that the test can take down and bring back on the same address and etcd. */
interface OutageTarget {
  client: ShootClient;
  /** Stops the API server for `ms`, then starts it again; resolves once it serves. */
  outage(ms: number): Promise<{ stoppedAt: number; restartedAt: number }>;
  cleanup(): Promise<void>;
}

async function startOutageTarget(): Promise<OutageTarget> {
  const api = await startTestShootApi('shoot--dev--writer-test');
  let client: ShootClient | undefined;
  const cleanup = async () => {
    client?.close();
    await api.cleanup();
  };
  try {
    client = await shootClient(await api.kubeconfig('admin', ['system:masters']));
    return {
      client,
      async outage(ms) {
        const stoppedAt = Date.now();
        await api.stop();
        await sleep(ms);
        const restartedAt = Date.now();
        await api.start();
        return { stoppedAt, restartedAt };
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

describe('shoot writer and downtime poller', () => {
  let target: OutageTarget;

  before(async () => {
    target = await startOutageTarget();
    const ns = await target.client.request('POST', '/api/v1/namespaces', { metadata: { name: 'writes' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
  });

  after(async () => {
    await target?.cleanup();
  });

  it('records every write: acknowledged ones are all there afterwards, the ones during an outage failed', async () => {
    const writer = startShootWriter(target.client, { namespace: 'writes', prefix: 'w', update: 'counter' });
    const poller = measureDowntime(target.client);
    while (writer.acknowledgedCount < 50) await sleep(20);
    const { stoppedAt, restartedAt } = await target.outage(800);
    const afterRestart = writer.acknowledgedCount;
    while (writer.acknowledgedCount < afterRestart + 50) await sleep(20);
    const records = await writer.stop();
    const downtime = await poller.stop();

    assert.ok(records.failed.length > 0, 'writes during the outage failed');
    for (const failure of records.failed) {
      assert.ok(
        failure.sentAt >= stoppedAt - 5_000 && failure.failedAt >= stoppedAt,
        `a failure belongs to the outage: ${JSON.stringify(failure)}`,
      );
    }
    const during = records.acknowledged.filter((w) => w.sentAt > stoppedAt + 50 && w.acknowledgedAt < restartedAt);
    assert.deepEqual(during, [], 'no write was acknowledged while the API server was down');
    const updates = records.acknowledged.filter((w) => w.kind === 'update');
    assert.ok(updates.length >= 20, `the counter was updated (${updates.length} times)`);

    const { items } = await target.client.listConfigMaps('writes');
    const check = checkWrites(records, items);
    assert.deepEqual(check.missing, []);
    assert.deepEqual(check.changed, []);
    assert.equal(check.updateLost, undefined);
    assert.deepEqual(check.presentThoughRefused, []);
    const creates = records.acknowledged.filter((w) => w.name !== 'counter');
    assert.equal(
      items.filter((i) => i.metadata.name !== 'counter').length,
      creates.length + check.presentThoughFailed.length,
      'nothing but the acknowledged creates (and those whose outcome was unknown) is there',
    );

    const gap = downtime.longest;
    assert.ok(gap, 'the poller saw the outage');
    assert.equal(gap.open, false);
    assert.ok(
      gap.start >= stoppedAt - 60 && gap.start <= stoppedAt + 200,
      `gap starts at the stop: ${gap.start - stoppedAt} ms`,
    );
    assert.ok(gap.durationMs >= 800 - 60, `gap covers the outage: ${gap.durationMs} ms`);
    assert.ok(gap.end >= restartedAt, 'the gap ends when the API server serves again');
    assert.ok(downtime.probes > 20, `${downtime.probes} probes`);
  });

  it('checkWrites reports a lost create, a changed object and a lost update', () => {
    const base = { sentAt: 1, acknowledgedAt: 2 };
    const records = {
      namespace: 'writes',
      update: 'c',
      acknowledged: [
        { ...base, kind: 'create' as const, name: 'a', resourceVersion: '10', data: { round: '0' } },
        { ...base, kind: 'create' as const, name: 'b', resourceVersion: '11', data: { round: '1' } },
        { ...base, kind: 'create' as const, name: 'c', resourceVersion: '12', data: { round: '2' } },
        { ...base, kind: 'update' as const, name: 'c', resourceVersion: '14', data: { round: '3' } },
      ],
      failed: [
        { kind: 'create' as const, name: 'd', data: {}, sentAt: 3, failedAt: 4, status: 503 },
        { kind: 'create' as const, name: 'e', data: {}, sentAt: 5, failedAt: 6, status: 500 },
      ],
    };
    const items = [
      { metadata: { name: 'b', resourceVersion: '11' }, data: { round: 'other' } },
      { metadata: { name: 'c', resourceVersion: '12' }, data: { round: '2' } },
      { metadata: { name: 'd', resourceVersion: '13' }, data: {} },
      { metadata: { name: 'e', resourceVersion: '15' }, data: {} },
    ];
    const check = checkWrites(records, items);
    assert.deepEqual(
      check.missing.map((w) => w.name),
      ['a'],
    );
    assert.deepEqual(
      check.changed.map((c) => c.write.name),
      ['b'],
    );
    assert.equal(check.updateLost?.last.resourceVersion, '14');
    assert.deepEqual(
      check.presentThoughRefused.map((f) => f.name),
      ['d'],
      'a 503 said the create was not applied',
    );
    assert.deepEqual(
      check.presentThoughFailed.map((f) => f.name),
      ['e'],
      "a 500's outcome was unknown",
    );
  });
});
