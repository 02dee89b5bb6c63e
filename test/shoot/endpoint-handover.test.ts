/**
 * The endpoint handover of a live migration on one host (docs/live-migration.md "The flows of
 * both seeds"), with two real kube-apiservers on one etcd and one address: the second starts
 * unexposed (`deferListen`) and serves nothing until the first stops listening, binding the
 * address within its retry interval; the first then stops, ending its connections. A continuity
 * probe (a write every 20 ms, a reader, a watch opened before) sees every acknowledged write's
 * event, no 410 and no error: its watch resumed from its last resourceVersion on the second server.
 * Between the two, a client's idle keep-alive connection stays served by the first: stopping to
 * listen must not make it connect anew to an address that nobody binds yet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ShootApiServer } from '../../src/shoot/kube-apiserver.js';
import {
  continuityProblems,
  describeContinuity,
  probeWriterRecords,
  startContinuityProbe,
} from '../helpers/continuity-probe.js';
import { startTestShootApi, type TestShootApi } from '../helpers/shoot-api-server.js';
import { shootClient } from '../helpers/shoot-client.js';
import { checkWrites } from '../helpers/shoot-writer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('handing the shoot address from one kube-apiserver to another', () => {
  let api: TestShootApi;
  let second: ShootApiServer | undefined;

  before(async () => {
    api = await startTestShootApi('shoot--dev--handover');
  });
  after(async () => {
    await second?.stop();
    await api?.cleanup();
  });

  it('keeps serving idle keep-alive connections once it stopped listening', async () => {
    const kubeconfig = await api.kubeconfig('admin', ['system:masters']);
    const kept = await shootClient(kubeconfig);
    const fresh = await shootClient(kubeconfig);
    const server = api.server()!;
    try {
      assert.equal((await kept.request('GET', '/api/v1/namespaces/default')).status, 200);
      server.stopListening();
      await sleep(50);
      const answer = await kept.request('GET', '/api/v1/namespaces/default');
      assert.equal(answer.status, 200, 'served on the connection opened before');
      await assert.rejects(fresh.request('GET', '/api/v1/namespaces/default'), /ECONNREFUSED/);
    } finally {
      kept.close();
      fresh.close();
      await api.stop();
      await api.start();
    }
  });

  it('binds once the first lets go; clients and their watch carry on without a lost event', async (t) => {
    const kubeconfig = await api.kubeconfig('admin', ['system:masters']);
    const probe = await startContinuityProbe(kubeconfig, { namespace: 'default', prefix: 'handover' });
    let report: Awaited<ReturnType<typeof probe.stop>>;
    try {
      await probe.moreWrites(20, 30_000);
      second = await api.startAnother({ deferListen: true });
      assert.equal(second.exposed, false, 'started without listening');
      const exposing = second.expose({ retryMs: 5 });
      await sleep(100);
      assert.equal(second.exposed, false, 'the address is still held by the first');
      const first = api.server()!;
      first.stopListening();
      await exposing;
      assert.equal(second.exposed, true);
      assert.equal(second.url, first.url, 'the same address and port');
      await api.stop();
      await probe.moreWrites(20, 30_000);
    } finally {
      report = await probe.stop();
    }
    t.diagnostic(describeContinuity(report));
    assert.deepEqual(continuityProblems(report), []);
    assert.ok(report.watch.reopens.length >= 1, 'the watch was re-opened on the second server');
    const client = await shootClient(kubeconfig);
    try {
      const { items } = await client.listConfigMaps('default');
      const check = checkWrites(probeWriterRecords(report), items);
      assert.deepEqual(check.missing, []);
      assert.deepEqual(check.changed, []);
    } finally {
      client.close();
    }
  });
});
