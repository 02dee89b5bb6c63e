/**
 * The controller manager's namespace, endpoints and EndpointSlice controllers against real stores:
 * a deleted namespace is emptied (its conditions saying what remains and which finalizers hold
 * it), then finalized and gone; a Service's Endpoints and EndpointSlice follow its pods' IPs and
 * readiness, named target ports resolved; a restarted controller manager changes nothing.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { configMapResource } from '../../src/api/core/config-map.js';
import { namespaceResource } from '../../src/api/core/namespace.js';
import { podResource } from '../../src/api/core/pod.js';
import { endpointsResource, serviceResource } from '../../src/api/core/service.js';
import { endpointSliceResource } from '../../src/api/discovery/endpoint-slice.js';
import type { KubeObject } from '../../src/api/meta.js';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
} from '../../src/shoot/controller-manager/endpointslice-controller.js';
import {
  NamespaceDeletionReconciler,
  namespaceDeletionConditions,
} from '../../src/shoot/controller-manager/namespace-controller.js';
import { controllerManagerFixture } from '../helpers/controller-manager-fixture.js';
import { runPod } from '../helpers/pod-stand-in.js';
import { until } from '../helpers/processes.js';

// biome-ignore lint/suspicious/noExplicitAny: tests walk the stored JSON.
type Doc = any;

const fixture = await controllerManagerFixture();
const { client } = fixture;

function pod(namespace: string, name: string, labels: Record<string, string>): KubeObject {
  return {
    metadata: { name, namespace, labels },
    spec: {
      nodeName: 'worker-1',
      containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }],
    },
  };
}

describe('namespace, endpoints and EndpointSlice controllers', () => {
  after(() => fixture.close());

  it('keeps conditions as Kubernetes does: True with the problem, else False with the all-clear', () => {
    const conditions = namespaceDeletionConditions(
      [],
      [{ type: 'NamespaceContentRemaining', reason: 'SomeResourcesRemain', message: 'x' }],
    );
    assert.deepEqual(
      conditions.map((c) => [c.type, c.status, c.reason]),
      [
        ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
        ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
        ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
        ['NamespaceContentRemaining', 'True', 'SomeResourcesRemain'],
        ['NamespaceFinalizersRemaining', 'False', 'ContentRemoved'],
      ],
    );
  });

  it('gives a Service Endpoints and an EndpointSlice from its ready and not-ready pods', async () => {
    const ns = 'web';
    await client.resource(namespaceResource).create('', { metadata: { name: ns } });
    const first = fixture.start('seed-a_1');
    const pods = client.resource(podResource);
    await client.resource(serviceResource).create(ns, {
      metadata: { name: 'frontend', labels: { tier: 'front' } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    for (const name of ['web-1', 'web-2', 'other']) {
      await pods.create(ns, pod(ns, name, { app: name === 'other' ? 'other' : 'web' }));
    }
    await runPod(client, { metadata: { namespace: ns, name: 'web-1' } }, { podIP: '10.0.0.1' });
    await runPod(client, { metadata: { namespace: ns, name: 'web-2' } }, { podIP: '10.0.0.2', ready: false });
    await runPod(client, { metadata: { namespace: ns, name: 'other' } }, { podIP: '10.0.0.3' });

    const endpoints = client.resource(endpointsResource);
    await until(
      async () => ((await endpoints.find(ns, 'frontend')) as Doc)?.subsets?.[0]?.notReadyAddresses?.length === 1,
      10_000,
      'Endpoints with both pods',
    );
    const ep = (await endpoints.get(ns, 'frontend')) as Doc;
    assert.deepEqual(ep.subsets, [
      {
        addresses: [
          {
            ip: '10.0.0.1',
            nodeName: 'worker-1',
            targetRef: { kind: 'Pod', namespace: ns, name: 'web-1', uid: ep.subsets[0].addresses[0].targetRef.uid },
          },
        ],
        notReadyAddresses: [
          {
            ip: '10.0.0.2',
            nodeName: 'worker-1',
            targetRef: {
              kind: 'Pod',
              namespace: ns,
              name: 'web-2',
              uid: ep.subsets[0].notReadyAddresses[0].targetRef.uid,
            },
          },
        ],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    assert.equal(ep.metadata.labels.tier, 'front', 'the Service labels are copied');

    const slices = client.resource(endpointSliceResource);
    const managed = async () =>
      (await slices.list(ns, { labelSelector: `${SERVICE_NAME_LABEL}=frontend` })).items as Doc[];
    await until(async () => (await managed())[0]?.endpoints?.length === 2, 10_000, 'a slice with both pods');
    const [slice] = await managed();
    assert.equal(slice.metadata.labels[MANAGED_BY_LABEL], MANAGED_BY);
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(
      slice.endpoints.map((e: Doc) => [e.addresses[0], e.conditions.ready, e.conditions.serving]),
      [
        ['10.0.0.1', true, true],
        ['10.0.0.2', false, false],
      ],
    );
    assert.equal(slice.metadata.ownerReferences[0].kind, 'Service');

    // Ready now: both addresses; a second controller manager taking over changes nothing else.
    await runPod(client, { metadata: { namespace: ns, name: 'web-2' } }, { podIP: '10.0.0.2' });
    await until(
      async () => ((await endpoints.get(ns, 'frontend')) as Doc).subsets?.[0]?.addresses?.length === 2,
      10_000,
      'both ready',
    );
    await until(
      async () => (await managed())[0]?.endpoints?.every((e: Doc) => e.conditions.ready),
      10_000,
      'slice ready',
    );
    const sliceVersion = (await managed())[0].metadata.resourceVersion;
    const endpointsVersion = (await endpoints.get(ns, 'frontend')).metadata.resourceVersion;

    // Another controller manager takes over (the first one stops): it rewrites nothing.
    await first.stop();
    const second = fixture.start('seed-b_2');
    await until(async () => second.leading, 10_000, 'the second leads');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal((await managed()).length, 1, 'no second slice');
    assert.equal((await managed())[0].metadata.resourceVersion, sliceVersion, 'the slice is unchanged');
    assert.equal((await endpoints.get(ns, 'frontend')).metadata.resourceVersion, endpointsVersion);

    // A pod terminating (held by a finalizer, as a kubelet holds it during its grace period): out
    // of Endpoints; in the slice, terminating and no longer ready, but still serving.
    await pods.patch(ns, 'web-1', { metadata: { finalizers: ['example.com/hold'] } });
    await pods.delete(ns, 'web-1');
    await until(
      async () => ((await endpoints.get(ns, 'frontend')) as Doc).subsets?.[0]?.addresses?.length === 1,
      10_000,
      'one address left',
    );
    await until(
      async () => (await managed())[0]?.endpoints?.some((e: Doc) => e.conditions.terminating),
      10_000,
      'the endpoint terminating',
    );
    const terminating = (await managed())[0].endpoints.find((e: Doc) => e.addresses[0] === '10.0.0.1');
    assert.deepEqual(terminating.conditions, { ready: false, serving: true, terminating: true });
    // Gone (the finalizer released, then its node's final delete): out of the slice too.
    await pods.patch(ns, 'web-1', { metadata: { finalizers: null } });
    await pods.delete(ns, 'web-1', { gracePeriodSeconds: 0 });
    await until(async () => (await managed())[0]?.endpoints?.length === 1, 10_000, 'one endpoint left');

    // The Service going: its Endpoints go, and its slices with it (the garbage collector).
    await client.resource(serviceResource).delete(ns, 'frontend');
    await until(async () => (await endpoints.find(ns, 'frontend')) === null, 10_000, 'Endpoints gone');
    await until(async () => (await managed()).length === 0, 10_000, 'slices gone');
  });

  it('empties a deleted namespace, says what holds it, then removes it', async () => {
    const ns = 'doomed';
    const namespaces = client.resource(namespaceResource);
    const configMaps = client.resource(configMapResource);
    await namespaces.create('', { metadata: { name: ns } });
    await configMaps.create(ns, { metadata: { name: 'plain' } });
    await configMaps.create(ns, { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    // On no node: it goes at once (a bound pod would wait for its node to stop it).
    const unbound = pod(ns, 'p', { app: 'x' });
    delete (unbound.spec as { nodeName?: string }).nodeName;
    await client.resource(podResource).create(ns, unbound);
    await namespaces.delete('', ns);

    const condition = async (type: string) =>
      ((await namespaces.find('', ns)) as Doc)?.status?.conditions?.find((c: Doc) => c.type === type);
    await until(async () => (await condition('NamespaceFinalizersRemaining'))?.status === 'True', 10_000, 'held');
    const held = (await namespaces.get('', ns)) as Doc;
    assert.equal(held.status.phase, 'Terminating');
    assert.equal(
      (await condition('NamespaceFinalizersRemaining')).message,
      'Some finalizers are remaining: example.com/hold in 1 resource instances',
    );
    assert.equal(
      (await condition('NamespaceContentRemaining')).message,
      'Some resources are remaining: configmaps. has 1 resource instances',
    );
    assert.equal(await configMaps.find(ns, 'plain'), null, 'the rest is gone');
    assert.equal(await client.resource(podResource).find(ns, 'p'), null);
    assert.deepEqual(held.spec.finalizers, ['kubernetes'], 'not finalized while content remains');

    await configMaps.patch(ns, 'held', { metadata: { finalizers: null } });
    await until(async () => (await namespaces.find('', ns)) === null, 10_000, 'the namespace goes');
  });

  it('says so in the namespace when discovery fails, and goes on once it works', async () => {
    // Stores of their own, with no controller manager running: only the reconcilers here act.
    const quiet = await controllerManagerFixture();
    try {
      const ns = 'undiscovered';
      const namespaces = quiet.client.resource(namespaceResource);
      await namespaces.create('', { metadata: { name: ns } });
      await namespaces.delete('', ns);
      const failing = new NamespaceDeletionReconciler(quiet.client, async () => {
        throw new Error('the server could not find the requested resource');
      });
      await assert.rejects(failing.reconcile({ namespace: '', name: ns }));
      const failed = (await namespaces.get('', ns)) as Doc;
      const condition = failed.status.conditions.find((c: Doc) => c.type === 'NamespaceDeletionDiscoveryFailure');
      assert.deepEqual(
        [condition.status, condition.reason, condition.message],
        ['True', 'DiscoveryFailed', 'the server could not find the requested resource'],
      );
      await new NamespaceDeletionReconciler(quiet.client, quiet.discover).reconcile({ namespace: '', name: ns });
      assert.equal(await namespaces.find('', ns), null, 'emptied and finalized');
    } finally {
      await quiet.close();
    }
  });
});
