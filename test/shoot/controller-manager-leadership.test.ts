/**
 * A shoot's kube-controller-manager that loses its Lease while a controller still waits for a
 * cache that never filled (its list failed: the API server was overloaded or going away) leads
 * again once the API answers, and its controllers do their work: the wait ends with the informers
 * that were stopped, instead of holding the stop — and with it every later election — forever.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { jobResource } from '../../src/api/batch/job.js';
import { leaseResource } from '../../src/api/coordination/lease.js';
import { podResource } from '../../src/api/core/pod.js';
import { serviceUnavailable } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { ResourceRef } from '../../src/api/resource-ref.js';
import type { Client, ResourceClient } from '../../src/client/client.js';
import { startShootControllerManager } from '../../src/shoot/controller-manager/controller-manager.js';
import { controllerManagerFixture, fastLeaderElection } from '../helpers/controller-manager-fixture.js';
import { until } from '../helpers/processes.js';

const ns = 'leadership';
const fixture = await controllerManagerFixture(ns);

/** What the API refuses for now, and how often it did. */
const faults = { listPods: false, writeLeases: false };
let podListsRefused = 0;

/** `inner`, with `overrides` in place of some of its methods. */
function overriding<T extends KubeObject>(
  inner: ResourceClient<T>,
  overrides: Partial<ResourceClient<T>>,
): ResourceClient<T> {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop in overrides) return overrides[prop as keyof ResourceClient<T>];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The fixture's client, failing pod lists and Lease writes while `faults` says so. */
const faultyClient: Client = {
  resource<T extends KubeObject>(ref: ResourceRef<T>): ResourceClient<T> {
    const inner = fixture.client.resource(ref);
    const refuse = (what: string) => Promise.reject(serviceUnavailable(`${what}: the test refuses it`));
    if (ref.plural === 'pods') {
      return overriding(inner, {
        list: (...args) => {
          if (!faults.listPods) return inner.list(...args);
          podListsRefused++;
          return refuse('list pods');
        },
      });
    }
    if (ref.plural === 'leases') {
      return overriding(inner, {
        update: (...args) => (faults.writeLeases ? refuse('update lease') : inner.update(...args)),
      });
    }
    return inner;
  },
};

describe('kube-controller-manager losing its Lease while a cache is not yet filled', () => {
  after(() => fixture.close());

  it('leads again and runs its controllers once the API answers', async () => {
    await fixture.client.resource(jobResource).create(ns, {
      metadata: { name: 'waits' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    faults.listPods = true;
    const manager = startShootControllerManager({
      client: faultyClient,
      discover: fixture.discover,
      identity: 'seed-a_1',
      logger: pino({ level: 'silent' }),
      ...fastLeaderElection,
    });
    try {
      await until(async () => manager.leading, 10_000, 'leads');
      // The Job's reconcile waits for the pod cache, whose lists fail; then the Lease cannot be renewed.
      await until(async () => podListsRefused >= 2, 10_000, 'the pod list refused, and retried');
      faults.writeLeases = true;
      await until(async () => !manager.leading, 10_000, 'stops leading');
      faults.writeLeases = false;
      faults.listPods = false;
      await until(async () => manager.leading, 10_000, 'leads again');
      const pods = fixture.client.resource(podResource);
      await until(async () => (await pods.list(ns)).items.length === 1, 10_000, "the Job's pod");
      const lease = await fixture.client.resource(leaseResource).get('kube-system', 'kube-controller-manager');
      assert.equal((lease.spec as { holderIdentity?: string }).holderIdentity, 'seed-a_1');
    } finally {
      faults.listPods = false;
      faults.writeLeases = false;
      await manager.stop();
    }
  });
});
