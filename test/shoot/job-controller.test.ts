/**
 * The controller manager's Job and TTL-after-finished controllers against real stores (the tests
 * play the kubelet, writing pods' phases): a Job runs its pods to completion one after the other,
 * counts each once through `uncountedTerminatedPods` and the tracking finalizer, and ends with
 * SuccessCriteriaMet and Complete; another controller manager taking over mid-way makes no
 * second pod; failures past the backoff limit and an active deadline fail it; suspending deletes
 * its pods; a finished Job with a TTL is deleted.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { jobResource } from '../../src/api/batch/job.js';
import { eventResource } from '../../src/api/core/event.js';
import { namespaceResource } from '../../src/api/core/namespace.js';
import { podResource } from '../../src/api/core/pod.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { ShootControllerManager } from '../../src/shoot/controller-manager/controller-manager.js';
import { JOB_TRACKING_FINALIZER } from '../../src/shoot/controller-manager/job-status.js';
import { controllerManagerFixture } from '../helpers/controller-manager-fixture.js';
import { runPod } from '../helpers/pod-stand-in.js';
import { until } from '../helpers/processes.js';

// biome-ignore lint/suspicious/noExplicitAny: tests walk the stored JSON.
type Doc = any;

const fixture = await controllerManagerFixture();
const { client } = fixture;
const ns = 'batch';
const jobs = client.resource(jobResource);
const pods = client.resource(podResource);

function job(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    metadata: { name },
    spec: {
      ...spec,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] } },
    },
  };
}

async function podsOf(name: string): Promise<Doc[]> {
  return (await pods.list(ns, { labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
}

async function statusOf(name: string): Promise<Doc> {
  return ((await jobs.get(ns, name)) as Doc).status ?? {};
}

/** The events about a Job, as `type reason message`. */
async function eventsOf(name: string): Promise<string[]> {
  return (await client.resource(eventResource).list(ns)).items
    .filter((e: Doc) => e.involvedObject?.kind === 'Job' && e.involvedObject?.name === name)
    .map((e: Doc) => `${e.type} ${e.reason} ${e.message}`);
}

const conditions = (status: Doc) =>
  (status.conditions ?? []).filter((c: Doc) => c.status === 'True').map((c: Doc) => c.type);

describe('Job and TTL-after-finished controllers', () => {
  let manager: ShootControllerManager;
  after(() => fixture.close());

  it('runs a Job to completion, one pod after the other, counting each once; a takeover makes no second pod', async () => {
    await client.resource(namespaceResource).create('', { metadata: { name: ns } });
    manager = fixture.start('seed-a_1');
    await jobs.create(ns, job('twice', { completions: 2, parallelism: 1 }));
    await until(async () => (await podsOf('twice')).length === 1, 10_000, 'the first pod');
    const [first] = await podsOf('twice');
    assert.deepEqual(first.metadata.finalizers, [JOB_TRACKING_FINALIZER]);
    assert.equal(first.metadata.ownerReferences[0].kind, 'Job');
    assert.equal(first.metadata.labels['job-name'], 'twice');
    assert.match(first.metadata.name, /^twice-/);
    await until(async () => (await statusOf('twice')).active === 1, 10_000, 'active 1');
    assert.ok((await statusOf('twice')).startTime);

    // Another instance takes over: the pod it finds is the one it needs.
    await manager.stop();
    manager = fixture.start('seed-b_2');
    await until(async () => manager.leading, 10_000, 'the second leads');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal((await podsOf('twice')).length, 1, 'no second pod');

    await runPod(client, first, { phase: 'Succeeded' });
    await until(async () => (await podsOf('twice')).length === 2, 10_000, 'the second pod');
    await until(async () => (await statusOf('twice')).succeeded === 1, 10_000, 'one counted');
    const counted = (await podsOf('twice')).find((p) => p.metadata.name === first.metadata.name);
    assert.equal(counted.metadata.finalizers, undefined, 'a counted pod loses its finalizer');

    const second = (await podsOf('twice')).find((p) => p.metadata.name !== first.metadata.name);
    await runPod(client, second, { phase: 'Succeeded' });
    await until(async () => conditions(await statusOf('twice')).includes('Complete'), 10_000, 'Complete');
    const done = await statusOf('twice');
    assert.deepEqual(conditions(done), ['SuccessCriteriaMet', 'Complete']);
    assert.equal(done.succeeded, 2);
    assert.equal(done.active, 0);
    assert.ok(done.completionTime);
    assert.deepEqual(done.uncountedTerminatedPods, {});
    assert.equal((await podsOf('twice')).length, 2, 'no third pod');
    // What `kubectl describe job` lists under Events.
    await until(
      async () => (await eventsOf('twice')).includes('Normal Completed Job completed'),
      5_000,
      'the Completed event',
    );
    const created = (await eventsOf('twice')).filter((e) =>
      e.startsWith('Normal SuccessfulCreate Created pod: twice-'),
    );
    assert.equal(created.length, 2, 'one event per pod created');
  });

  it('runs an Indexed Job: one pod per completion index, complete once every index succeeded', async () => {
    await jobs.create(ns, job('indexed', { completions: 3, parallelism: 2, completionMode: 'Indexed' }));
    await until(async () => (await podsOf('indexed')).length === 2, 10_000, 'two pods');
    const index = (p: Doc) => p.metadata.annotations['batch.kubernetes.io/job-completion-index'];
    const byIndex = async () => new Map((await podsOf('indexed')).map((p) => [index(p), p]));
    let running = await byIndex();
    assert.deepEqual([...running.keys()].sort(), ['0', '1']);
    const one = running.get('1');
    assert.equal(one.spec.hostname, 'indexed-1');
    assert.equal(one.metadata.labels['batch.kubernetes.io/job-completion-index'], '1');
    assert.match(one.metadata.name, /^indexed-1-/);
    assert.deepEqual(one.spec.containers[0].env, [
      {
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: {
          fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
        },
      },
    ]);

    await runPod(client, one, { phase: 'Succeeded' });
    await until(async () => (await byIndex()).has('2'), 10_000, 'index 2 starts');
    await until(async () => (await statusOf('indexed')).completedIndexes === '1', 10_000, 'index 1 done');
    running = await byIndex();
    await runPod(client, running.get('0'), { phase: 'Succeeded' });
    await runPod(client, running.get('2'), { phase: 'Succeeded' });
    await until(async () => conditions(await statusOf('indexed')).includes('Complete'), 10_000, 'Complete');
    const done = await statusOf('indexed');
    assert.equal(done.completedIndexes, '0-2');
    assert.equal(done.succeeded, 3);
    assert.equal((await podsOf('indexed')).length, 3, 'no pod beyond one per index');
  });

  it('fails a Job past its backoff limit, and one past its active deadline (deleting its pods)', async () => {
    await jobs.create(ns, job('fragile', { backoffLimit: 0 }));
    await until(async () => (await podsOf('fragile')).length === 1, 10_000, 'a pod');
    await runPod(client, (await podsOf('fragile'))[0], { phase: 'Failed' });
    await until(async () => conditions(await statusOf('fragile')).includes('Failed'), 10_000, 'Failed');
    const failed = await statusOf('fragile');
    assert.deepEqual(conditions(failed), ['FailureTarget', 'Failed']);
    assert.equal(failed.conditions.find((c: Doc) => c.type === 'Failed').reason, 'BackoffLimitExceeded');
    assert.equal(failed.failed, 1);

    // Long enough for the test to see its pod run first, on a busy machine too.
    await jobs.create(ns, job('slow', { activeDeadlineSeconds: 4 }));
    await until(async () => (await podsOf('slow')).length === 1, 10_000, 'a pod');
    await runPod(client, (await podsOf('slow'))[0], { podIP: '10.1.0.1' });
    await until(async () => conditions(await statusOf('slow')).includes('Failed'), 10_000, 'Failed');
    const slow = await statusOf('slow');
    assert.equal(slow.conditions.find((c: Doc) => c.type === 'Failed').reason, 'DeadlineExceeded');
    assert.equal(slow.failed, 1, 'the running pod counts as failed');
    assert.equal((await podsOf('slow')).length, 0, 'its pod is deleted');
  });

  it('deletes the pods of a suspended Job and starts them again when resumed', async () => {
    await jobs.create(ns, job('paused', { parallelism: 2, completions: 2 }));
    await until(async () => (await podsOf('paused')).length === 2, 10_000, 'two pods');
    await jobs.patch(ns, 'paused', { spec: { suspend: true } });
    await until(async () => (await podsOf('paused')).length === 0, 10_000, 'no pods');
    await until(async () => conditions(await statusOf('paused')).includes('Suspended'), 10_000, 'Suspended');
    assert.equal((await statusOf('paused')).failed ?? 0, 0, 'pods of a suspended Job are not failures');
    await jobs.patch(ns, 'paused', { spec: { suspend: false } });
    await until(async () => (await podsOf('paused')).length === 2, 10_000, 'two pods again');
    const resumed = (await statusOf('paused')).conditions.find((c: Doc) => c.type === 'Suspended');
    assert.deepEqual([resumed.status, resumed.reason], ['False', 'JobResumed']);
  });

  it('deletes a finished Job with ttlSecondsAfterFinished, and its pods', async () => {
    await jobs.create(ns, job('shortlived', { ttlSecondsAfterFinished: 4 }));
    await until(async () => (await podsOf('shortlived')).length === 1, 10_000, 'a pod');
    await runPod(client, (await podsOf('shortlived'))[0], { phase: 'Succeeded' });
    await until(async () => conditions(await statusOf('shortlived')).includes('Complete'), 10_000, 'Complete');
    await until(async () => (await jobs.find(ns, 'shortlived')) === null, 10_000, 'the Job is deleted');
    await until(async () => (await podsOf('shortlived')).length === 0, 10_000, 'its pods too');
  });
});
