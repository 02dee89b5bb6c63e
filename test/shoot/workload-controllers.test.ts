/**
 * kube-controller-manager's ReplicaSet and Deployment controllers
 * (src/shoot/controller-manager/apps/) against real stores in this process, with a stand-in
 * kubelet (test/helpers/pod-stand-in.ts) making pods Running and Ready: a ReplicaSet keeps its
 * replicas, adopts and releases pods and scales down the least valuable first; a Deployment gets
 * its `<name>-<hash>` ReplicaSet, rolls a new template out, rolls back to an old one without a
 * third ReplicaSet, scales, and cascades on deletion; and a controller manager started anew over
 * the same objects changes nothing.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploymentResource, type ReplicaSet, replicaSetResource } from '../../src/api/apps/workloads.js';
import { type Pod, podResource } from '../../src/api/core/pod.js';
import {
  ControllerManagerRun,
  controllerManagerFixture,
  deploymentRolledOut,
  ownedBy,
  versions,
} from '../helpers/controller-manager-fixture.js';
import { until } from '../helpers/processes.js';

const ns = 'apps';
const stores = await controllerManagerFixture(ns);
const { client } = stores;

const pods = client.resource(podResource);
const replicaSets = client.resource(replicaSetResource);
const deployments = client.resource(deploymentResource);

function template(labels: Record<string, string>, image = 'nginx') {
  return { metadata: { labels }, spec: { containers: [{ name: 'main', image }] } };
}

async function podsOf(selector: (pod: Pod) => boolean = () => true): Promise<Pod[]> {
  return (await pods.list(ns)).items.filter(selector);
}

const rolledOut = (name: string, replicas: number) => deploymentRolledOut(client, ns, name, replicas);

describe('workload controllers of kube-controller-manager', () => {
  let run: ControllerManagerRun;

  before(() => {
    run = new ControllerManagerRun(stores, ns);
  });

  after(() => run.stop());

  it('a ReplicaSet creates its pods with generated names and a controller reference, and reports them', async () => {
    const rs = await replicaSets.create(ns, {
      metadata: { name: 'front' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'front' } }, template: template({ app: 'front' }) },
    });
    await until(async () => (await replicaSets.get(ns, 'front')).status?.readyReplicas === 3, 10_000, '3 ready');
    const mine = await podsOf(ownedBy(rs));
    assert.equal(mine.length, 3);
    for (const pod of mine) {
      assert.match(pod.metadata.name ?? '', /^front-[a-z0-9]{5}$/);
      assert.deepEqual(pod.metadata.ownerReferences, [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'front',
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    const status = (await replicaSets.get(ns, 'front')).status;
    assert.deepEqual(
      [
        status?.replicas,
        status?.fullyLabeledReplicas,
        status?.readyReplicas,
        status?.availableReplicas,
        status?.observedGeneration,
      ],
      [3, 3, 3, 3, 1],
    );
  });

  it('adopts an orphan it selects, releases a pod that stops matching, and scales down unready pods first', async () => {
    const rs = await replicaSets.get(ns, 'front');
    // An orphan with its labels is adopted; being the one pod not ready, it is the one deleted (4 > 3).
    run.kubeletPaused = true;
    await pods.create(ns, { metadata: { name: 'stray', labels: { app: 'front' } }, spec: template({}).spec });
    await until(async () => (await pods.find(ns, 'stray')) === null, 10_000, 'the adopted unready pod goes first');
    assert.equal((await podsOf(ownedBy(rs))).length, 3);
    assert.ok(
      (await podsOf(ownedBy(rs))).every((pod) => pod.status?.phase === 'Running'),
      'the ready pods stay',
    );

    // A pod relabelled out of the selector is released (no controller reference) and replaced.
    const [leaving] = await podsOf(ownedBy(rs));
    assert.ok(leaving);
    await pods.patch(ns, leaving.metadata.name ?? '', { metadata: { labels: { app: 'elsewhere' } } });
    await until(
      async () => (await pods.get(ns, leaving.metadata.name ?? '')).metadata.ownerReferences === undefined,
      10_000,
      'released',
    );
    await until(async () => (await podsOf(ownedBy(rs))).length === 3, 10_000, 'replaced');
    run.kubeletPaused = false;
    await until(async () => (await replicaSets.get(ns, 'front')).status?.readyReplicas === 3, 10_000, 'ready again');
    await pods.delete(ns, leaving.metadata.name ?? '');

    // Scaling down to 1 leaves 1; deleting the ReplicaSet takes its pods along (garbage collector).
    await replicaSets.patch(ns, 'front', { spec: { replicas: 1 } });
    await until(async () => (await podsOf(ownedBy(rs))).length === 1, 10_000, 'scaled down to 1');
    await replicaSets.delete(ns, 'front');
    await until(async () => (await podsOf(ownedBy(rs))).length === 0, 10_000, 'its pods go with it');
  });

  it('a Deployment gets a ReplicaSet <name>-<pod-template-hash> with revision 1 and rolls out', async () => {
    const d = await deployments.create(ns, {
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: template({ app: 'web' }, 'nginx:1.26'),
      },
    });
    await until(() => rolledOut('web', 3), 15_000, 'rolled out');
    const [rs, ...others] = (await replicaSets.list(ns)).items.filter(ownedBy(d));
    assert.equal(others.length, 0);
    assert.ok(rs);
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.match(hash ?? '', /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.spec?.selector?.matchLabels?.['pod-template-hash'], hash);
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
    const web = await deployments.get(ns, 'web');
    assert.equal(web.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    const conditions = Object.fromEntries((web.status?.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));
    assert.deepEqual(conditions, {
      Available: ['True', 'MinimumReplicasAvailable'],
      Progressing: ['True', 'NewReplicaSetAvailable'],
    });
    const podsOfRs = await podsOf(ownedBy(rs));
    assert.equal(podsOfRs.length, 3);
    assert.ok(podsOfRs.every((pod) => pod.metadata.labels?.['pod-template-hash'] === hash));
  });

  it('a new image rolls out to a second ReplicaSet; the old template again reuses the first (no third)', async () => {
    const d = await deployments.get(ns, 'web');
    const image = (tag: string) => ({
      spec: { template: { spec: { containers: [{ name: 'main', image: `nginx:${tag}` }] } } },
    });
    await deployments.patch(ns, 'web', image('1.27'), { type: 'strategic' });
    await until(() => rolledOut('web', 3), 20_000, 'the new image rolled out');
    const owned = () => replicaSets.list(ns).then((list) => list.items.filter(ownedBy(d)));
    const byRevision = (list: ReplicaSet[]) =>
      Object.fromEntries(list.map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs]));
    let revisions = byRevision(await owned());
    assert.deepEqual(Object.keys(revisions).sort(), ['1', '2']);
    assert.equal(revisions['1']?.spec?.replicas, 0, 'the old ReplicaSet is scaled to 0');
    assert.equal(revisions['2']?.spec?.replicas, 3);
    const first = revisions['1']?.metadata.name;

    // What `kubectl rollout undo` does: the old template back on the Deployment.
    await deployments.patch(ns, 'web', image('1.26'), { type: 'strategic' });
    await until(
      async () => {
        revisions = byRevision(await owned());
        return revisions['3']?.metadata.name === first && (await rolledOut('web', 3));
      },
      20_000,
      'rolled back onto the first ReplicaSet, now revision 3',
    );
    assert.equal((await owned()).length, 2, 'no third ReplicaSet');
    assert.equal((await deployments.get(ns, 'web')).metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  });

  it('scales through spec.replicas, and writes ScalingReplicaSet events', async () => {
    await deployments.patch(ns, 'web', { spec: { replicas: 5 } });
    await until(() => rolledOut('web', 5), 15_000, 'scaled to 5');
    const d = await deployments.get(ns, 'web');
    const events = (
      await client.resource({ group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true }).list(ns)
    ).items;
    const scaling = events.filter(
      (e) => (e.involvedObject as { uid?: string }).uid === d.metadata.uid && e.reason === 'ScalingReplicaSet',
    );
    assert.ok(
      scaling.some((e) => /^Scaled up replica set web-\w+ from 3 to 5$/.test(String(e.message))),
      JSON.stringify(scaling.map((e) => e.message)),
    );
  });

  it('a controller manager started anew over the same objects creates, deletes and changes nothing', async () => {
    const snapshot = () => versions([pods.list(ns), replicaSets.list(ns), deployments.list(ns)]);
    run.kubeletPaused = true;
    const before = await snapshot();
    await run.restart();
    assert.deepEqual(await snapshot(), before);
  });

  it('deleting the Deployment removes its ReplicaSets and their pods', async () => {
    const d = await deployments.get(ns, 'web');
    const rsUids = new Set((await replicaSets.list(ns)).items.filter(ownedBy(d)).map((rs) => rs.metadata.uid));
    await deployments.delete(ns, 'web');
    await until(
      async () => (await replicaSets.list(ns)).items.every((rs) => !rsUids.has(rs.metadata.uid)),
      15_000,
      'ReplicaSets gone',
    );
    await until(
      async () => (await podsOf((pod) => rsUids.has(pod.metadata.ownerReferences?.[0]?.uid))).length === 0,
      15_000,
      'pods gone',
    );
  });
});
