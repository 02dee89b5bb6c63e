/**
 * The Deployment controller's other modes against real stores, with a stand-in kubelet: Recreate
 * never runs old and new pods at once; a paused Deployment does not roll out until resumed;
 * revisionHistoryLimit deletes the oldest scaled-down ReplicaSets; a rollout that makes no progress
 * says so after its deadline; and a ReplicationController keeps its replicas like a ReplicaSet.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploymentResource, replicaSetResource } from '../../src/api/apps/workloads.js';
import { podResource } from '../../src/api/core/pod.js';
import { replicationControllerResource } from '../../src/api/core/replication-controller.js';
import {
  ControllerManagerRun,
  controllerManagerFixture,
  deploymentRolledOut,
  ownedBy,
} from '../helpers/controller-manager-fixture.js';
import { until } from '../helpers/processes.js';

const ns = 'modes';
const stores = await controllerManagerFixture(ns);
const { client } = stores;
const pods = client.resource(podResource);
const replicaSets = client.resource(replicaSetResource);
const deployments = client.resource(deploymentResource);
const rolledOut = (name: string, replicas: number) => deploymentRolledOut(client, ns, name, replicas);

const spec = (app: string, image: string) => ({
  selector: { matchLabels: { app } },
  template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'main', image }] } },
});
const image = (tag: string) => ({ spec: { template: { spec: { containers: [{ name: 'main', image: tag }] } } } });

describe('Deployment strategies and modes', () => {
  let run: ControllerManagerRun;

  before(() => {
    run = new ControllerManagerRun(stores, ns);
  });

  after(() => run.stop());

  it('Recreate scales the old ReplicaSet to 0 and waits for its pods before the new one starts', async () => {
    await deployments.create(ns, {
      metadata: { name: 'batch' },
      spec: { replicas: 2, strategy: { type: 'Recreate' }, ...spec('batch', 'worker:1') },
    });
    await until(() => rolledOut('batch', 2), 10_000, 'first rollout');
    const mixed: string[] = [];
    const sampler = setInterval(async () => {
      const images = new Set(
        (await pods.list(ns)).items
          .filter((p) => p.metadata.labels?.app === 'batch' && !p.metadata.deletionTimestamp)
          .map((p) => p.spec?.containers?.[0]?.image),
      );
      if (images.size > 1) mixed.push([...images].join());
    }, 10);
    await deployments.patch(ns, 'batch', image('worker:2'), { type: 'strategic' });
    await until(
      async () => {
        const d = await deployments.get(ns, 'batch');
        return (d.status?.observedGeneration ?? 0) >= 2 && (await rolledOut('batch', 2));
      },
      15_000,
      'second rollout',
    );
    clearInterval(sampler);
    assert.deepEqual(mixed, [], 'never old and new pods at once');
  });

  it('a paused Deployment does not roll out a new template until it is resumed', async () => {
    const d = await deployments.create(ns, {
      metadata: { name: 'calm' },
      spec: { replicas: 1, ...spec('calm', 'app:1') },
    });
    await until(() => rolledOut('calm', 1), 10_000, 'first rollout');
    await deployments.patch(ns, 'calm', { spec: { paused: true } });
    await until(
      async () =>
        (await deployments.get(ns, 'calm')).status?.conditions?.some((c) => c.reason === 'DeploymentPaused') ?? false,
      10_000,
      'Progressing says DeploymentPaused',
    );
    await deployments.patch(ns, 'calm', image('app:2'), { type: 'strategic' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal((await replicaSets.list(ns)).items.filter(ownedBy(d)).length, 1, 'no new ReplicaSet while paused');
    await deployments.patch(ns, 'calm', { spec: { paused: false } });
    await until(
      async () => (await replicaSets.list(ns)).items.filter(ownedBy(d)).length === 2,
      10_000,
      'rolls once resumed',
    );
    await until(() => rolledOut('calm', 1), 10_000, 'rolled out');

    // Scaled to 0: no pods, and the counts of 0 left out of the status as Kubernetes serves it.
    await deployments.patch(ns, 'calm', { spec: { replicas: 0 } });
    await until(
      async () => (await pods.list(ns)).items.every((p) => p.metadata.labels?.app !== 'calm'),
      10_000,
      'no pods',
    );
    await until(() => rolledOut('calm', 0), 10_000, 'rolled out at 0');
    const status = (await deployments.get(ns, 'calm')).status ?? {};
    assert.deepEqual(
      ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'].filter((field) => field in status),
      [],
    );
  });

  it('keeps at most revisionHistoryLimit old ReplicaSets', async () => {
    const d = await deployments.create(ns, {
      metadata: { name: 'short' },
      spec: { replicas: 1, revisionHistoryLimit: 1, ...spec('short', 'v:1') },
    });
    for (const tag of ['v:2', 'v:3', 'v:4']) {
      await until(() => rolledOut('short', 1), 10_000, 'rolled out');
      await deployments.patch(ns, 'short', image(tag), { type: 'strategic' });
    }
    await until(
      async () => {
        const owned = (await replicaSets.list(ns)).items.filter(ownedBy(d));
        return (await rolledOut('short', 1)) && owned.length === 2;
      },
      15_000,
      'the new ReplicaSet and one old one',
    );
    const revisions = (await replicaSets.list(ns)).items
      .filter(ownedBy(d))
      .map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'])
      .sort();
    assert.deepEqual(revisions, ['3', '4']);
  });

  it('a rollout whose pods never get ready says ProgressDeadlineExceeded after progressDeadlineSeconds', async () => {
    run.kubeletPaused = true;
    await deployments.create(ns, {
      metadata: { name: 'stuck' },
      spec: { replicas: 1, progressDeadlineSeconds: 1, ...spec('stuck', 'never:1') },
    });
    await until(
      async () => {
        const progressing = (await deployments.get(ns, 'stuck')).status?.conditions?.find(
          (c) => c.type === 'Progressing',
        );
        return progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded';
      },
      10_000,
      'Progressing False, ProgressDeadlineExceeded',
    );
    const available = (await deployments.get(ns, 'stuck')).status?.conditions?.find((c) => c.type === 'Available');
    assert.deepEqual([available?.status, available?.reason], ['False', 'MinimumReplicasUnavailable']);
    run.kubeletPaused = false;
  });

  it('a ReplicationController keeps its replicas', async () => {
    const rc = await client.resource(replicationControllerResource).create(ns, {
      metadata: { name: 'legacy' },
      spec: {
        replicas: 2,
        selector: { app: 'legacy' },
        template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'main', image: 'old' }] } },
      } as never,
    });
    await until(
      async () => (await client.resource(replicationControllerResource).get(ns, 'legacy')).status?.readyReplicas === 2,
      10_000,
      '2 ready',
    );
    const owned = (await pods.list(ns)).items.filter(ownedBy(rc));
    assert.equal(owned.length, 2);
    assert.equal(owned[0]?.metadata.ownerReferences?.[0]?.kind, 'ReplicationController');
  });
});
