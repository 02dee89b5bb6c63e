/**
 * The Job controller over caches that lag behind its own writes by any number of events (each
 * cache shows a prefix of the writes made through its client, as a watch that delivers late): a
 * pass that reads a Job older than the status the last pass wrote must not take the pods that
 * pass counted and released for never succeeded — it would make pods again and count them twice.
 * One scenario spelled out, then seeded random orders of cache catch-ups, pod completions and
 * passes; every run must end Complete with each pod made and counted once.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { jobResource } from '../../src/api/batch/job.js';
import { podResource } from '../../src/api/core/pod.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { ResourceRef } from '../../src/api/resource-ref.js';
import type { Client, ResourceClient } from '../../src/client/client.js';
import type { Lister } from '../../src/controller/shared-informers.js';
import { JobReconciler } from '../../src/shoot/controller-manager/job-controller.js';
import { controllerManagerFixture } from '../helpers/controller-manager-fixture.js';
import { runPod } from '../helpers/pod-stand-in.js';

// biome-ignore lint/suspicious/noExplicitAny: tests walk the stored JSON.
type Doc = any;

const ns = 'stale';
const fixture = await controllerManagerFixture(ns);

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** A cache that shows the first `position` writes of its log. */
class LaggingCache implements Lister {
  readonly log: { key: string; obj: KubeObject | null }[] = [];
  position = 0;
  #state(): Map<string, KubeObject> {
    const state = new Map<string, KubeObject>();
    for (const { key, obj } of this.log.slice(0, this.position)) {
      if (obj) state.set(key, obj);
      else state.delete(key);
    }
    return state;
  }
  list(namespace?: string): KubeObject[] {
    return [...this.#state().values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }
  get(namespace: string, name: string): KubeObject | undefined {
    return this.#state().get(`${namespace}/${name}`);
  }
  catchUp(): void {
    this.position = this.log.length;
  }
}

/** The fixture's client, every write of a resource with a cache appended to that cache's log. */
function loggingClient(caches: Record<string, LaggingCache>): Client {
  return {
    resource<T extends KubeObject>(ref: ResourceRef<T>): ResourceClient<T> {
      const inner = fixture.client.resource(ref);
      const cache = caches[ref.plural];
      if (!cache) return inner;
      const logged = async (write: Promise<T>) => {
        const obj = await write;
        cache.log.push({ key: keyOf(obj), obj });
        return obj;
      };
      const loggedDelete = async (namespace: string, name: string, write: Promise<void>) => {
        await write;
        cache.log.push({ key: `${namespace}/${name}`, obj: await inner.find(namespace, name) });
      };
      return {
        resource: inner.resource,
        get: (...args) => inner.get(...args),
        find: (...args) => inner.find(...args),
        list: (...args) => inner.list(...args),
        watch: (...args) => inner.watch(...args),
        create: (...args) => logged(inner.create(...args)),
        createIfAbsent: (...args) => logged(inner.createIfAbsent(...args)),
        update: (...args) => logged(inner.update(...args)),
        patch: (...args) => logged(inner.patch(...args)),
        delete: (namespace, name, options) => loggedDelete(namespace, name, inner.delete(namespace, name, options)),
        deleteIfPresent: (namespace, name, options) =>
          loggedDelete(namespace, name, inner.deleteIfPresent(namespace, name, options)),
      };
    },
  };
}

const isFinished = (job: Doc) =>
  (job.status?.conditions ?? []).some((c: Doc) => ['Complete', 'Failed'].includes(c.type) && c.status === 'True');

/** A Job of two completions two at a time (the batch e2e's `long`) and a controller over lagging caches. */
async function lagging(name: string) {
  const jobs = new LaggingCache();
  const pods = new LaggingCache();
  const client = loggingClient({ jobs, pods });
  const reconciler = new JobReconciler(client, { jobs, pods }, async () => {});
  const job = await client.resource(jobResource).create(ns, {
    metadata: { name },
    spec: {
      completions: 2,
      parallelism: 2,
      template: {
        spec: { restartPolicy: 'Never', nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  });
  const podApi = client.resource(podResource);
  const created = new Set<string>();
  const podsOfJob = async () => {
    const items = (await podApi.list(ns)).items.filter(
      (p) => p.metadata.ownerReferences?.[0]?.uid === job.metadata.uid,
    );
    for (const pod of items) created.add(pod.metadata.uid ?? '');
    return items as Doc[];
  };
  return {
    jobs,
    pods,
    created,
    podsOfJob,
    reconcile: () => reconciler.reconcile({ namespace: ns, name }),
    status: async (): Promise<Doc> => (await client.resource(jobResource).get(ns, name)).status ?? {},
    job: async (): Promise<Doc> => client.resource(jobResource).get(ns, name),
    /** The node runs `pod` to completion. */
    succeed: (pod: Doc) => runPod(client, pod, { phase: 'Succeeded' }),
    /** The node stops the pods being deleted: Succeeded if they ran, then gone (their finalizers permitting). */
    async terminate() {
      for (const pod of (await podsOfJob()).filter((p) => p.metadata.deletionTimestamp)) {
        if (pod.status?.phase === 'Running') await runPod(client, pod, { phase: 'Succeeded' });
        await podApi.deleteIfPresent(ns, pod.metadata.name, { gracePeriodSeconds: 0 });
      }
    },
  };
}

/** A small seeded PRNG (mulberry32): a failing seed replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the Job controller over caches that lag behind its writes', () => {
  after(() => fixture.close());

  it('makes no pod again for pods it counted while its Job cache still shows the Job from before', async () => {
    const run = await lagging('counted');
    run.jobs.catchUp();
    await run.reconcile();
    run.pods.catchUp();
    run.jobs.catchUp();
    await run.reconcile();
    const [first, second] = await run.podsOfJob();
    await run.succeed(first);
    run.pods.catchUp();
    run.jobs.catchUp();
    const before = run.jobs.position;
    // Counts the first pod: its uid recorded, its finalizer removed, then succeeded 1.
    await run.reconcile();
    assert.equal((await run.status()).succeeded, 1);
    // The pod cache shows the released pod and the second one succeeded; the Job cache does not
    // yet show the counting writes.
    await run.succeed(second);
    run.pods.catchUp();
    run.jobs.position = before;
    // (Before it waited, this pass made a third pod, then failed to write the status it computed from the old Job.)
    const result = await run.reconcile().catch((err: Error) => ({ failed: err.message }));
    assert.equal((await run.podsOfJob()).length, 2, 'no third pod');
    assert.ok('requeueAfterMs' in result && result.requeueAfterMs, 'it waits for its cache to show its own status');
    run.jobs.catchUp();
    await run.reconcile();
    const done = await run.job();
    assert.ok(isFinished(done));
    assert.equal(done.status.succeeded, 2);
    assert.equal(run.created.size, 2);
  });

  it('ends Complete, each pod made and counted once, whatever order the caches catch up in', async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const rnd = random(seed);
      const run = await lagging(`seed-${seed}`);
      const finishOne = async () => {
        const running = (await run.podsOfJob()).filter(
          (p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase),
        );
        const pod = running[Math.floor(rnd() * running.length)];
        if (pod) await run.succeed(pod);
      };
      for (let step = 0; step < 30; step++) {
        const r = rnd();
        if (r < 0.2 && run.jobs.position < run.jobs.log.length) run.jobs.position++;
        else if (r < 0.4 && run.pods.position < run.pods.log.length) run.pods.position++;
        else if (r < 0.5) await finishOne();
        else if (r < 0.55) await run.terminate();
        else await run.reconcile().catch(() => undefined); // a conflict: the controller retries
        await run.podsOfJob();
      }
      // Then everything settles: the caches catch up, the node finishes its pods, the controller looks again.
      for (let round = 0; round < 10 && !isFinished(await run.job()); round++) {
        await run.terminate();
        await finishOne();
        run.jobs.catchUp();
        run.pods.catchUp();
        await run.reconcile().catch(() => undefined);
        await run.podsOfJob();
      }
      const job = await run.job();
      const problems = [
        ...(isFinished(job) ? [] : ['not finished']),
        ...(job.status?.succeeded === 2 ? [] : [`succeeded ${job.status?.succeeded}`]),
        ...(run.created.size === 2 ? [] : [`${run.created.size} pods made`]),
      ];
      if (problems.length > 0) failures.push(`seed ${seed}: ${problems.join(', ')}`);
    }
    assert.deepEqual(failures, []);
  });
});
