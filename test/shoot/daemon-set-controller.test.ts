/**
 * kube-controller-manager's DaemonSet controller (src/shoot/controller-manager/apps/daemonset/)
 * against real stores, with a stand-in kubelet (test/helpers/pod-stand-in.ts): one pod per node
 * it may run on — not on a node whose taint it does not tolerate, but on a cordoned one (the
 * default tolerations) — each pinned by a `matchFields metadata.name` node affinity; a new node
 * gets its pod and a deleted one loses it; a new template rolls out to every node; a controller
 * manager started anew changes nothing.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { daemonSetResource } from '../../src/api/apps/workloads.js';
import { nodeResource } from '../../src/api/core/node.js';
import { podResource } from '../../src/api/core/pod.js';
import type { KubeObject } from '../../src/api/meta.js';
import { nodeOfPod } from '../../src/shoot/controller-manager/apps/daemonset/node-placement.js';
import { ControllerManagerRun, controllerManagerFixture, versions } from '../helpers/controller-manager-fixture.js';
import { until } from '../helpers/processes.js';

const ns = 'kube-system';
const stores = await controllerManagerFixture(ns);
const { client } = stores;

const pods = client.resource(podResource);
const daemonSets = client.resource(daemonSetResource);
const nodes = client.resource(nodeResource);
const podNodes = async () =>
  (await pods.list(ns)).items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => nodeOfPod(p) ?? '?')
    .sort();
const container = (image: string) => ({ spec: { template: { spec: { containers: [{ name: 'agent', image }] } } } });

describe('the DaemonSet controller', () => {
  let run: ControllerManagerRun;

  before(async () => {
    const node = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({ metadata: { name }, spec });
    await nodes.create('', node('n1'));
    await nodes.create('', node('n2', { unschedulable: true }));
    await nodes.create('', node('n3', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }));
    run = new ControllerManagerRun(stores, ns);
  });

  after(() => run.stop());

  it('runs one pod per eligible node, pinned by node affinity, with the DaemonSet tolerations', async () => {
    await daemonSets.create(ns, {
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: container('agent:1').spec.template.spec },
      },
    });
    await until(async () => (await daemonSets.get(ns, 'agent')).status?.numberReady === 2, 10_000, '2 ready');
    assert.deepEqual(await podNodes(), ['n1', 'n2'], 'not on the tainted n3');
    const [pod] = (await pods.list(ns)).items;
    const spec = pod?.spec as Record<string, never>;
    assert.deepEqual(spec.affinity, {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeOfPod(pod!)] }] }],
        },
      },
    });
    const tolerated = (spec.tolerations as { key: string; effect: string }[]).map((t) => `${t.key}:${t.effect}`);
    for (const key of [
      'not-ready:NoExecute',
      'unreachable:NoExecute',
      'unschedulable:NoSchedule',
      'disk-pressure:NoSchedule',
    ])
      assert.ok(tolerated.includes(`node.kubernetes.io/${key}`), key);
    assert.match(pod?.metadata.name ?? '', /^agent-[a-z0-9]{5}$/);
    const status = (await daemonSets.get(ns, 'agent')).status;
    assert.deepEqual(
      [
        status?.desiredNumberScheduled,
        status?.currentNumberScheduled,
        status?.numberAvailable,
        status?.updatedNumberScheduled,
        status?.numberMisscheduled,
      ],
      [2, 2, 2, 2, 0],
    );
  });

  it('a new node gets its pod, a deleted node loses it', async () => {
    await nodes.create('', { metadata: { name: 'n4' } });
    await until(async () => (await podNodes()).join() === 'n1,n2,n4', 10_000, 'a pod on n4');
    await nodes.delete('', 'n1');
    await until(async () => (await podNodes()).join() === 'n2,n4', 10_000, 'none for n1');
  });

  it('rolls a new template out to every node', async () => {
    await daemonSets.patch(ns, 'agent', container('agent:2'), { type: 'strategic' });
    await until(
      async () => {
        const ds = await daemonSets.get(ns, 'agent');
        const images = (await pods.list(ns)).items.map(
          (p) => (p.spec?.containers as { image?: string }[] | undefined)?.[0]?.image,
        );
        return (
          ds.status?.updatedNumberScheduled === 2 &&
          ds.status.numberAvailable === 2 &&
          images.join() === 'agent:2,agent:2'
        );
      },
      15_000,
      'agent:2 on both nodes',
    );
  });

  it('a controller manager started anew changes nothing', async () => {
    const snapshot = () => versions([pods.list(ns), daemonSets.list(ns)]);
    run.kubeletPaused = true;
    const before = await snapshot();
    await run.restart();
    assert.deepEqual(await snapshot(), before);
  });
});
