/**
 * The pod garbage collector of the shoot's kube-controller-manager
 * (src/shoot/controller-manager/pod-gc-controller.ts) against real stores: a pod bound to a node
 * that does not exist is deleted after the quarantine, and so are the pods of a node that goes
 * away; pods on a node that exists, and pods on no node, are left alone.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { nodeResource } from '../../src/api/core/node.js';
import { podResource } from '../../src/api/core/pod.js';
import { SharedInformerFactory } from '../../src/controller/shared-informers.js';
import { podGcController } from '../../src/shoot/controller-manager/pod-gc-controller.js';
import { controllerManagerFixture } from '../helpers/controller-manager-fixture.js';
import { until } from '../helpers/processes.js';

const ns = 'apps';
const fixture = await controllerManagerFixture(ns);
const { client } = fixture;
const pods = client.resource(podResource);
const nodes = client.resource(nodeResource);
const informers = new SharedInformerFactory(client);
const logger = pino({ level: 'silent' });

const pod = (name: string, nodeName?: string) =>
  pods.create(ns, {
    metadata: { name },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'nginx' }] },
  });
const exists = async (name: string) => (await pods.find(ns, name)) !== null;

describe('pod garbage collector', () => {
  after(async () => {
    informers.stop();
    await fixture.close();
  });

  it('deletes pods of nodes that do not exist after the quarantine, and no other pod', async () => {
    await nodes.create('', { metadata: { name: 'alive' } });
    await pod('on-alive', 'alive');
    await pod('on-gone', 'gone');
    await pod('on-none');
    const quarantineMs = 300;
    const controller = podGcController({ client, informers, logger }, { quarantineMs });
    const started = Date.now();
    controller.start();
    try {
      await until(async () => !(await exists('on-gone')), 10_000, 'the orphaned pod is deleted');
      assert.ok(Date.now() - started >= quarantineMs, 'not before the quarantine');
      await new Promise((resolve) => setTimeout(resolve, 2 * quarantineMs));
      assert.ok(await exists('on-alive'), 'a pod on an existing node stays');
      assert.ok(await exists('on-none'), 'a pod on no node stays');

      // A node going away: its pods go after the quarantine (no kubelet is left to stop them).
      await nodes.delete('', 'alive');
      await until(async () => !(await exists('on-alive')), 10_000, "the gone node's pod is deleted");
      assert.ok(await exists('on-none'));
    } finally {
      controller.stop();
    }
  });
});
