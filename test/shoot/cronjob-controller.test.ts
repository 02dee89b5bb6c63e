/**
 * The CronJob controller against real stores, on a clock of the test's: a run at each scheduled
 * time as a Job `<cronjob>-<minutes>` owned by the CronJob, once however often it is reconciled
 * or restarted; after a time away only the latest missed run, and none past the starting
 * deadline; Forbid waits for the active run, Replace replaces it; finished Jobs beyond the
 * history limit go. Schedules: five fields, descriptors, @every and time zones.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cronJobResource, jobResource } from '../../src/api/batch/job.js';
import { namespaceResource } from '../../src/api/core/namespace.js';
import type { KubeObject } from '../../src/api/meta.js';
import { SharedInformerFactory } from '../../src/controller/shared-informers.js';
import { CronJobReconciler, jobNameFor } from '../../src/shoot/controller-manager/cronjob-controller.js';
import { parseSchedule } from '../../src/shoot/controller-manager/cronjob-schedule.js';
import { controllerManagerFixture } from '../helpers/controller-manager-fixture.js';
import { until } from '../helpers/processes.js';

// biome-ignore lint/suspicious/noExplicitAny: tests walk the stored JSON.
type Doc = any;

const fixture = await controllerManagerFixture();
const { client } = fixture;
const ns = 'cron';
const cronJobs = client.resource(cronJobResource);
const jobs = client.resource(jobResource);
const informers = new SharedInformerFactory(client);
const MINUTE = 60_000;

/** A reconciler (a controller manager instance) whose clock reads `clock.now`. */
function reconciler(clock: { now: Date }): CronJobReconciler {
  return new CronJobReconciler(
    client,
    { cronJobs: informers.lister(cronJobResource), jobs: informers.lister(jobResource) },
    () => informers.syncedAll([cronJobResource, jobResource]),
    () => clock.now,
  );
}

async function createCronJob(name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  const created = await cronJobs.create(ns, {
    metadata: { name },
    spec: {
      schedule: '*/5 * * * *',
      ...spec,
      jobTemplate: {
        metadata: { labels: { team: 'batch' } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
      },
    },
  });
  await until(async () => informers.lister(cronJobResource).get(ns, name) !== undefined, 5_000, 'cached');
  return created;
}

/** Reconciles once the cache shows the CronJob's and its Jobs' latest state. */
async function reconcile(r: CronJobReconciler, name: string): Promise<void> {
  const [cj, list] = [await cronJobs.get(ns, name), await jobs.list(ns)];
  await until(
    async () =>
      informers.lister(cronJobResource).get(ns, name)?.metadata.resourceVersion === cj.metadata.resourceVersion &&
      informers.lister(jobResource).list(ns).length === list.items.length &&
      list.items.every(
        (j) =>
          informers.lister(jobResource).get(ns, j.metadata.name ?? '')?.metadata.resourceVersion ===
          j.metadata.resourceVersion,
      ),
    5_000,
    'the cache caught up',
  );
  await r.reconcile({ namespace: ns, name });
}

async function jobsOf(name: string): Promise<Doc[]> {
  return (await jobs.list(ns)).items.filter((j) => j.metadata.ownerReferences?.[0]?.name === name);
}

/** The first time of `*\/5 * * * *` after `date`. */
function nextFiveMinutes(date: Date): Date {
  return new Date(Math.floor(date.getTime() / (5 * MINUTE)) * 5 * MINUTE + 5 * MINUTE);
}

async function finish(job: Doc, type: 'Complete' | 'Failed'): Promise<void> {
  const now = new Date().toISOString().slice(0, 19) + 'Z';
  await jobs.update(
    ns,
    {
      ...job,
      status: {
        ...(job.status ?? {}),
        startTime: now,
        ...(type === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }),
        conditions: [
          {
            type: type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget',
            status: 'True',
            lastTransitionTime: now,
          },
          { type, status: 'True', lastTransitionTime: now },
        ],
      },
    },
    { subresource: 'status' },
  );
}

describe('CronJob controller', () => {
  before(async () => {
    await client.resource(namespaceResource).create('', { metadata: { name: ns } });
    await informers.syncedAll([cronJobResource, jobResource]);
  });
  after(async () => {
    informers.stop();
    await fixture.close();
  });

  it('reads schedules as kube-controller-manager does', () => {
    const at = new Date('2026-03-01T10:31:20Z');
    assert.equal(parseSchedule('@hourly', undefined).next(at).toISOString(), '2026-03-01T11:00:00.000Z');
    assert.equal(parseSchedule('*/15 * * * *', undefined).next(at).toISOString(), '2026-03-01T10:45:00.000Z');
    assert.equal(
      parseSchedule('0 9 * * *', 'Europe/Berlin').next(at).toISOString(),
      '2026-03-02T08:00:00.000Z',
      '09:00 in Berlin',
    );
    assert.equal(
      parseSchedule('CRON_TZ=America/New_York 0 9 * * *', undefined).next(at).toISOString(),
      '2026-03-01T14:00:00.000Z',
    );
    assert.equal(parseSchedule('@every 90s', undefined).next(at).toISOString(), '2026-03-01T10:32:50.000Z');
    assert.equal(
      parseSchedule('*/5 * * * *', undefined).mostRecent(new Date('2026-03-01T09:00:00Z'), at)?.toISOString(),
      '2026-03-01T10:30:00.000Z',
      'only the latest missed time',
    );
    assert.throws(() => parseSchedule('61 * * * *', undefined));
    assert.throws(() => parseSchedule('* * * *', undefined));
    assert.throws(() => parseSchedule('* * * * *', 'Mars/Olympus'));
  });

  it('creates one Job per scheduled time, named by it, however often reconciled or restarted', async () => {
    const cj = await createCronJob('tick', {});
    const created = new Date(cj.metadata.creationTimestamp ?? '');
    const clock = { now: new Date(created.getTime() + 1_000) };
    const first = reconciler(clock);
    await reconcile(first, 'tick');
    assert.equal((await jobsOf('tick')).length, 0, 'nothing is due yet');

    const due = nextFiveMinutes(created);
    clock.now = new Date(due.getTime() + 10_000);
    await reconcile(first, 'tick');
    await reconcile(first, 'tick');
    await reconcile(reconciler(clock), 'tick');
    const made = await jobsOf('tick');
    assert.deepEqual(
      made.map((j) => j.metadata.name),
      [jobNameFor('tick', due)],
    );
    assert.equal(made[0].metadata.labels.team, 'batch');
    assert.equal(made[0].metadata.ownerReferences[0].kind, 'CronJob');
    const status = ((await cronJobs.get(ns, 'tick')) as Doc).status;
    assert.equal(status.lastScheduleTime, due.toISOString().replace('.000Z', 'Z'));
    assert.deepEqual(
      status.active.map((r: Doc) => r.name),
      [jobNameFor('tick', due)],
    );

    // Away for 23 minutes (four runs missed): only the latest is started.
    clock.now = new Date(due.getTime() + 23 * MINUTE);
    await reconcile(reconciler(clock), 'tick');
    const latest = new Date(due.getTime() + 20 * MINUTE);
    assert.deepEqual(
      (await jobsOf('tick')).map((j) => j.metadata.name).sort(),
      [jobNameFor('tick', due), jobNameFor('tick', latest)].sort(),
    );

    // Finished: its success is recorded and it leaves the active list.
    for (const job of await jobsOf('tick')) await finish(job, 'Complete');
    await reconcile(reconciler(clock), 'tick');
    const after = ((await cronJobs.get(ns, 'tick')) as Doc).status;
    assert.equal(after.active, undefined);
    assert.ok(after.lastSuccessfulTime);
  });

  it('misses a run past its starting deadline; Forbid waits for the active run, Replace replaces it', async () => {
    const late = await createCronJob('late', { startingDeadlineSeconds: 60 });
    const clock = {
      now: new Date(nextFiveMinutes(new Date(late.metadata.creationTimestamp ?? '')).getTime() + 2 * MINUTE),
    };
    await reconcile(reconciler(clock), 'late');
    assert.equal((await jobsOf('late')).length, 0, 'two minutes late with a 60 s deadline: missed');

    const forbid = await createCronJob('forbid', { concurrencyPolicy: 'Forbid' });
    const due = nextFiveMinutes(new Date(forbid.metadata.creationTimestamp ?? ''));
    clock.now = new Date(due.getTime() + 1_000);
    await reconcile(reconciler(clock), 'forbid');
    clock.now = new Date(due.getTime() + 5 * MINUTE + 1_000);
    await reconcile(reconciler(clock), 'forbid');
    assert.equal((await jobsOf('forbid')).length, 1, 'the next run waits for the active one');

    const replace = await createCronJob('replace', { concurrencyPolicy: 'Replace' });
    const dueR = nextFiveMinutes(new Date(replace.metadata.creationTimestamp ?? ''));
    clock.now = new Date(dueR.getTime() + 1_000);
    await reconcile(reconciler(clock), 'replace');
    clock.now = new Date(dueR.getTime() + 5 * MINUTE + 1_000);
    await reconcile(reconciler(clock), 'replace');
    await until(
      async () =>
        (await jobsOf('replace')).map((j) => j.metadata.name).join() ===
        jobNameFor('replace', new Date(dueR.getTime() + 5 * MINUTE)),
      5_000,
      'the old run replaced by the new',
    );
  });

  it('deletes finished Jobs beyond the history limits, oldest first', async () => {
    const cj = await createCronJob('history', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 0 });
    const start = nextFiveMinutes(new Date(cj.metadata.creationTimestamp ?? ''));
    const clock = { now: start };
    const r = reconciler(clock);
    for (let i = 0; i < 3; i++) {
      clock.now = new Date(start.getTime() + i * 5 * MINUTE + 1_000);
      await reconcile(r, 'history');
      const job = (await jobsOf('history')).find(
        (j) => j.metadata.name === jobNameFor('history', new Date(start.getTime() + i * 5 * MINUTE)),
      );
      await finish(job, i === 1 ? 'Failed' : 'Complete');
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    await reconcile(r, 'history');
    await until(async () => (await jobsOf('history')).length === 1, 5_000, 'one Job kept');
    assert.equal(
      (await jobsOf('history'))[0].metadata.name,
      jobNameFor('history', new Date(start.getTime() + 10 * MINUTE)),
    );
  });
});
