/**
 * The continuity probe against a real shoot kube-apiserver over a real etcd and real TLS, with
 * the API server stopped and started again on the same address and store (as the destination's
 * takes over a stable address): the watch re-opens from its last resourceVersion and misses no
 * event, the pauses cover the outage; and with the history compacted while the API server was
 * away, the watch's re-open gets 410 Gone and the report says so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import {
  continuityProblems,
  describeContinuity,
  probeWriterRecords,
  startContinuityProbe,
} from './continuity-probe.js';
import { startTestShootApi, type TestShootApi } from './shoot-api-server.js';
import { type ShootClient, shootClient } from './shoot-client.js';
import { checkWrites } from './shoot-writer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NAMESPACE = 'continuity';
const OUTAGE_MS = 500;

describe('continuity probe', () => {
  let api: TestShootApi;
  let admin: string;
  let client: ShootClient;

  before(async () => {
    api = await startTestShootApi('shoot--dev--probe-test');
    admin = await api.kubeconfig('admin', ['system:masters']);
    client = await shootClient(admin);
    const ns = await client.request('POST', '/api/v1/namespaces', { metadata: { name: NAMESPACE } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
  });

  after(async () => {
    client?.close();
    await api?.cleanup();
  });

  it('resumes its watch across an API server restart with no event missed; the pauses cover the outage', async () => {
    const probe = await startContinuityProbe(admin, { namespace: NAMESPACE, prefix: 'restart' });
    let report: Awaited<ReturnType<typeof probe.stop>> | undefined;
    try {
      await probe.moreWrites(20);
      await api.stop();
      await sleep(OUTAGE_MS);
      await api.start();
      await probe.moreWrites(20);
    } finally {
      report = await probe.stop();
    }
    const summary = describeContinuity(report);
    assert.deepEqual(continuityProblems(report), [], summary);
    assert.ok(report.watch.reopens.length >= 1, `the watch was re-opened: ${summary}`);
    assert.ok(
      report.watch.reopens.every((r) => r.reopenedAt !== undefined),
      `every re-open got through: ${JSON.stringify(report.watch.reopens)}`,
    );
    assert.ok(report.watch.longestDisconnectMs >= OUTAGE_MS, summary);
    assert.ok(report.writes.failed > 0, `writes failed during the outage: ${summary}`);
    // The API was down for OUTAGE_MS: no pause can be shorter than that (a lower bound, not a speed).
    assert.ok((report.writes.longestPause?.durationMs ?? 0) >= OUTAGE_MS, summary);
    assert.ok((report.reads.longestPause?.durationMs ?? 0) >= OUTAGE_MS, summary);
    assert.equal(report.writes.longestPause?.open, false);
    assert.ok(report.writes.acknowledged.length >= 40);
    assert.ok(report.reads.succeeded > 0);
    // Every acknowledged write is stored, and was seen by the watch exactly once, in order.
    const stored = await client.listConfigMaps(NAMESPACE);
    const check = checkWrites(
      probeWriterRecords(report),
      stored.items.filter((cm) => cm.metadata.name.startsWith('restart-')),
    );
    assert.deepEqual([check.missing, check.changed, check.presentThoughRefused], [[], [], []]);
    const seen = report.watch.events.map((e) => e.name);
    for (const write of report.writes.acknowledged) assert.ok(seen.includes(write.name), write.name);
  });

  it('reports a 410 Gone when the history after its watch position was compacted while the API server was away', async () => {
    const probe = await startContinuityProbe(admin, { namespace: NAMESPACE, prefix: 'compacted' });
    const etcd = new Etcd3({ hosts: [...api.etcdEndpoints] });
    let report: Awaited<ReturnType<typeof probe.stop>> | undefined;
    try {
      await probe.moreWrites(10);
      await api.stop();
      // Revisions after the watch's last one, then compaction up to the newest: the watch's
      // position is history etcd no longer has.
      for (let i = 0; i < 3; i++) await etcd.put(`/continuity-probe-test/${i}`).value('x');
      const { header } = await etcd.kv.range({ key: Buffer.from('/continuity-probe-test/0') });
      await etcd.kv.compact({ revision: header.revision, physical: true });
      await api.start();
      await probe.moreWrites(10);
    } finally {
      etcd.close();
      report = await probe.stop();
    }
    const summary = describeContinuity(report);
    assert.equal(report.watch.gone.length, 1, summary);
    assert.equal(report.watch.gone[0]?.code, 410);
    assert.match(continuityProblems(report).join('\n'), /410 Gone on the watch/);
    // After listing again the watch goes on: the writes after the re-list arrive.
    assert.ok(report.watch.openAtStop, summary);
    const last = report.writes.acknowledged.at(-1);
    assert.ok(last && report.watch.events.some((e) => e.name === last.name), summary);
  });
});
