/**
 * kube-controller-manager's StatefulSet controller (src/shoot/controller-manager/apps/statefulset/)
 * against real stores, with a stand-in kubelet (test/helpers/pod-stand-in.ts): pods `<set>-<n>`
 * come one at a time, each only once the one before is Running and Ready, with their
 * PersistentVolumeClaims and revision label; a new template rolls out from the highest ordinal
 * down, and the status names the revisions; scaling down removes the highest ordinal first; a
 * controller manager started anew changes nothing; a retention policy of Delete takes claims along.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { controllerRevisionResource, statefulSetResource } from '../../src/api/apps/workloads.js';
import { persistentVolumeClaimResource } from '../../src/api/core/persistent-volume.js';
import { podResource } from '../../src/api/core/pod.js';
import { ControllerManagerRun, controllerManagerFixture, versions } from '../helpers/controller-manager-fixture.js';
import { until } from '../helpers/processes.js';

const ns = 'data';
const stores = await controllerManagerFixture(ns);
const { client } = stores;

const pods = client.resource(podResource);
const sets = client.resource(statefulSetResource);
const names = async () => (await pods.list(ns)).items.map((p) => p.metadata.name).sort();
const image = (tag: string) => ({
  spec: { template: { spec: { containers: [{ name: 'db', image: `postgres:${tag}` }] } } },
});

describe('the StatefulSet controller', () => {
  let run: ControllerManagerRun;

  before(() => {
    run = new ControllerManagerRun(stores, ns, { kubeletPaused: true });
  });

  after(() => run.stop());

  it('creates db-0, and db-1 only once db-0 runs and is ready, each with its claim', async () => {
    await sets.create(ns, {
      metadata: { name: 'db' },
      spec: {
        replicas: 3,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: image('16').spec.template.spec },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    });
    await until(async () => (await names()).length === 1, 10_000, 'db-0');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(await names(), ['db-0'], 'db-1 waits for db-0 to be ready');
    const first = await pods.get(ns, 'db-0');
    assert.equal(first.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'db-0');
    assert.equal(first.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
    assert.equal(first.spec?.hostname, 'db-0');
    assert.equal(first.spec?.subdomain, 'db');
    const volumes = first.spec?.volumes as { name: string; persistentVolumeClaim?: { claimName: string } }[];
    assert.deepEqual(
      volumes.find((v) => v.name === 'data'),
      { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } },
    );
    assert.ok(await client.resource(persistentVolumeClaimResource).find(ns, 'data-db-0'));

    run.kubeletPaused = false;
    await until(async () => (await sets.get(ns, 'db')).status?.readyReplicas === 3, 15_000, '3 ready');
    assert.deepEqual(await names(), ['db-0', 'db-1', 'db-2']);
    const status = (await sets.get(ns, 'db')).status;
    const revisions = (await client.resource(controllerRevisionResource).list(ns)).items;
    assert.equal(revisions.length, 1);
    assert.equal(status?.currentRevision, revisions[0]?.metadata.name);
    assert.equal(status?.updateRevision, revisions[0]?.metadata.name);
    assert.equal((await pods.get(ns, 'db-2')).metadata.labels?.['controller-revision-hash'], status?.updateRevision);
  });

  it('rolls a new template out from the highest ordinal down; the update revision becomes current', async () => {
    const before = (await sets.get(ns, 'db')).status?.currentRevision;
    // The pods' events in the store's order (a poll could see two pods change between two looks).
    const order: string[] = [];
    const podEvents = await pods.watch(ns, { resourceVersion: (await pods.list(ns)).metadata.resourceVersion });
    const recorded = (async () => {
      for await (const event of podEvents) {
        const pod = event.object;
        const name = pod.metadata.name ?? '';
        const hash = pod.metadata.labels?.['controller-revision-hash'];
        if (event.type !== 'DELETED' && hash !== undefined && hash !== before && !order.includes(name))
          order.push(name);
      }
    })();
    await sets.patch(ns, 'db', image('17'), { type: 'strategic' });
    await until(
      async () => {
        const status = (await sets.get(ns, 'db')).status;
        return status?.currentRevision !== before && status?.updatedReplicas === 3 && status.readyReplicas === 3;
      },
      20_000,
      'rolled out',
    );
    podEvents.stop();
    await recorded;
    assert.deepEqual(order, ['db-2', 'db-1', 'db-0']);
    const status = (await sets.get(ns, 'db')).status;
    assert.equal(status?.currentRevision, status?.updateRevision);
    assert.equal((await client.resource(controllerRevisionResource).list(ns)).items.length, 2);
  });

  it('a controller manager started anew changes nothing; scaling down removes the highest ordinal first', async () => {
    const snapshot = () =>
      versions([pods.list(ns), sets.list(ns), client.resource(controllerRevisionResource).list(ns)]);
    run.kubeletPaused = true;
    const before = await snapshot();
    await run.restart();
    assert.deepEqual(await snapshot(), before);
    run.kubeletPaused = false;

    await sets.patch(ns, 'db', { spec: { replicas: 1 } });
    await until(async () => (await names()).join() === 'db-0', 15_000, 'only db-0 left');
    assert.ok(await client.resource(persistentVolumeClaimResource).find(ns, 'data-db-2'), 'claims are retained');
  });

  it('deletes claims with a scaled-away pod and with the set when the retention policy says Delete', async () => {
    const claims = client.resource(persistentVolumeClaimResource);
    await sets.create(ns, {
      metadata: { name: 'cache' },
      spec: {
        replicas: 2,
        podManagementPolicy: 'Parallel',
        serviceName: 'cache',
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
        selector: { matchLabels: { app: 'cache' } },
        template: { metadata: { labels: { app: 'cache' } }, spec: image('16').spec.template.spec },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    });
    await until(async () => (await sets.get(ns, 'cache')).status?.readyReplicas === 2, 10_000, '2 ready');
    assert.ok(await claims.find(ns, 'data-cache-1'));
    await sets.patch(ns, 'cache', { spec: { replicas: 1 } });
    await until(async () => (await claims.find(ns, 'data-cache-1')) === null, 10_000, 'the scaled-away claim goes');
    assert.ok(await claims.find(ns, 'data-cache-0'), 'the remaining pod keeps its claim');
    await sets.delete(ns, 'cache');
    await until(async () => (await claims.find(ns, 'data-cache-0')) === null, 10_000, 'the claims go with the set');
  });
});
