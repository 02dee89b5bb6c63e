/**
 * kube-scheduler against a real shoot API server, as `system:kube-scheduler` (so its RBAC is
 * what is tested too): of two instances one leads; pending pods are bound by their requests;
 * one that fits nowhere is reported Unschedulable with a FailedScheduling event and bound once a
 * node with room appears; a restarted scheduler binds nothing twice.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { eventResource } from '../../src/api/core/event.js';
import { nodeResource } from '../../src/api/core/node.js';
import { podResource } from '../../src/api/core/pod.js';
import { isConflict } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { RestClient } from '../../src/client/rest-client.js';
import { bindingFor, type KubeScheduler, startKubeScheduler } from '../../src/shoot/scheduler/kube-scheduler.js';
import { eventually } from '../helpers/processes.js';
import { startTestShootApi, type TestShootApi } from '../helpers/shoot-api-server.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' }, pino.destination(2));
const fast = { leaseDurationMs: 1_000, renewDeadlineMs: 600, retryPeriodMs: 100 };

describe('kube-scheduler', () => {
  let api: TestShootApi;
  let admin: RestClient;
  let schedulerClient: RestClient;
  const schedulers: KubeScheduler[] = [];

  before(async () => {
    api = await startTestShootApi();
    admin = new RestClient(loadKubeconfig(await api.kubeconfig('admin', ['system:masters'])));
    schedulerClient = new RestClient(loadKubeconfig(await api.kubeconfig('system:kube-scheduler', [])));
  });

  after(async () => {
    for (const scheduler of schedulers) await scheduler.stop();
    admin?.close();
    schedulerClient?.close();
    await api?.cleanup();
  });

  const start = (identity: string) => {
    const scheduler = startKubeScheduler({
      client: schedulerClient,
      bind: async (pod, node) => {
        const { namespace = '', name = '' } = pod.metadata;
        await schedulerClient
          .resource(podResource)
          .createSubresource(namespace, name, 'binding', bindingFor(pod, node));
      },
      identity,
      logger,
      ...fast,
    });
    schedulers.push(scheduler);
    return scheduler;
  };

  async function addNode(name: string): Promise<void> {
    await admin.resource(nodeResource).create('', { metadata: { name } });
    const allocatable = { cpu: '1', memory: '2Gi', pods: '110' };
    const status = { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True' }] };
    await admin.resource(nodeResource).patch('', name, { status }, { subresource: 'status' });
  }

  async function addPod(name: string): Promise<void> {
    const resources = { requests: { cpu: '600m' } };
    await admin.resource(podResource).create('default', {
      metadata: { name, namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'nginx:1.27', resources }] },
    } as KubeObject);
  }

  const nodeOf = async (name: string) =>
    ((await admin.resource(podResource).get('default', name)).spec as { nodeName?: string }).nodeName;

  it('binds pods by their requests; reports one that fits nowhere and binds it when a node with room comes', async () => {
    const first = start('seed-a_1');
    const second = start('seed-b_2');
    await addNode('node-a');
    await addNode('node-b');
    for (const name of ['p1', 'p2', 'p3']) await addPod(name);
    const placed = await eventually(
      async () => {
        const nodes = await Promise.all(['p1', 'p2', 'p3'].map(nodeOf));
        return nodes.filter(Boolean).length === 2 ? nodes : undefined;
      },
      10_000,
      'two pods bound',
    );
    assert.notEqual(first.leading, second.leading, 'one leads, the other waits');
    assert.deepEqual(placed.filter(Boolean).sort(), ['node-a', 'node-b'], 'one per node: 600m of 1 cpu each');
    const waiting = ['p1', 'p2', 'p3'][placed.indexOf(undefined)]!;
    const message =
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.';
    const condition = await eventually(
      async () => {
        const pod = await admin.resource(podResource).get('default', waiting);
        const conditions = (pod.status as { conditions?: Record<string, unknown>[] }).conditions ?? [];
        return conditions.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      },
      10_000,
      'the third pod is reported unschedulable',
    );
    assert.deepEqual([condition.reason, condition.message], ['Unschedulable', message]);
    const events = await admin.resource(eventResource).list('default');
    const reasons = events.items.map((e) => `${e.reason}:${(e.involvedObject as { name: string }).name}`);
    assert.ok(reasons.includes(`FailedScheduling:${waiting}`), reasons.join());
    assert.equal(reasons.filter((r) => r.startsWith('Scheduled:')).length, 2);

    await addNode('node-c');
    await eventually(async () => ((await nodeOf(waiting)) === 'node-c' ? true : undefined), 10_000, 'bound to node-c');
  });

  it('a restarted scheduler binds nothing twice; the binding subresource refuses a bound pod with 409', async () => {
    const before = await admin.resource(podResource).list('default');
    for (const scheduler of schedulers.splice(0)) await scheduler.stop();
    start('seed-a_3');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const afterRestart = await admin.resource(podResource).list('default');
    assert.deepEqual(
      afterRestart.items.map((p) => p.metadata.resourceVersion),
      before.items.map((p) => p.metadata.resourceVersion),
      'no pod was written again',
    );
    const bound = before.items[0]!;
    await assert.rejects(
      schedulerClient
        .resource(podResource)
        .createSubresource('default', bound.metadata.name!, 'binding', bindingFor(bound, 'node-c')),
      (err) => isConflict(err) && /is already assigned to node/.test((err as Error).message),
    );
  });
});
