/**
 * The ReplicaSet controller against a pod cache that lags (its watch delivers each event late):
 * reconciles that run before the cache shows the pods just created create none again — the
 * expectations hold them back — and the ReplicaSet ends with exactly its replicas.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { replicaSetResource } from '../../src/api/apps/workloads.js';
import { podResource } from '../../src/api/core/pod.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { ResourceRef } from '../../src/api/resource-ref.js';
import type { Client, ObjectWatch, ResourceClient } from '../../src/client/client.js';
import { SharedInformerFactory } from '../../src/controller/shared-informers.js';
import {
  ReplicaSetReconciler,
  replicaSetKind,
} from '../../src/shoot/controller-manager/apps/replica-set-controller.js';
import { controllerManagerFixture } from '../helpers/controller-manager-fixture.js';
import { until } from '../helpers/processes.js';

const ns = 'lag';
const { storage, client } = await controllerManagerFixture(ns);
const WATCH_LAG_MS = 300;

/** `client`, but every pod watch event arrives `WATCH_LAG_MS` late. */
const laggingClient: Client = {
  resource<T extends KubeObject>(ref: ResourceRef<T>): ResourceClient<T> {
    const inner = client.resource(ref);
    if (ref.plural !== 'pods') return inner;
    return {
      ...inner,
      resource: inner.resource,
      get: (...args) => inner.get(...args),
      find: (...args) => inner.find(...args),
      list: (...args) => inner.list(...args),
      create: (...args) => inner.create(...args),
      createIfAbsent: (...args) => inner.createIfAbsent(...args),
      update: (...args) => inner.update(...args),
      patch: (...args) => inner.patch(...args),
      delete: (...args) => inner.delete(...args),
      deleteIfPresent: (...args) => inner.deleteIfPresent(...args),
      watch: async (namespace, options): Promise<ObjectWatch<T>> => {
        const watch = await inner.watch(namespace, options);
        return {
          stop: () => watch.stop(),
          async *[Symbol.asyncIterator]() {
            for await (const event of watch) {
              await new Promise((resolve) => setTimeout(resolve, WATCH_LAG_MS));
              yield event;
            }
          },
        };
      },
    };
  },
};

describe('the ReplicaSet controller over a lagging cache', () => {
  const informers = new SharedInformerFactory(laggingClient);
  after(async () => {
    informers.stop();
    await storage.close();
  });

  it('creates each missing pod once, however often it reconciles before the cache catches up', async () => {
    const reconciler = new ReplicaSetReconciler(
      { client: laggingClient, informers, logger: pino({ level: 'silent' }) },
      replicaSetKind,
    );
    await client.resource(replicaSetResource).create(ns, {
      metadata: { name: 'front' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'front' } },
        template: { metadata: { labels: { app: 'front' } }, spec: { containers: [{ name: 'main', image: 'nginx' }] } },
      },
    });
    await until(async () => informers.lister(replicaSetResource).get(ns, 'front') !== undefined, 5_000, 'cached');
    for (let i = 0; i < 5; i++) await reconciler.reconcile({ namespace: ns, name: 'front' });
    assert.equal((await client.resource(podResource).list(ns)).items.length, 3, 'no pod created twice');
    await until(async () => informers.lister(podResource).list(ns).length === 3, 5_000, 'the cache catches up');
    await reconciler.reconcile({ namespace: ns, name: 'front' });
    assert.equal((await client.resource(podResource).list(ns)).items.length, 3);
  });
});
