/**
 * The CronJob controller of kube-controller-manager (k8s pkg/controller/cronjob, v2): at each
 * time of its schedule a CronJob creates a Job `<cronjob>-<scheduled time in minutes since the
 * epoch>` from its template, owned by it. concurrencyPolicy Forbid skips a run while one is
 * active, Replace deletes the active ones first; a run more than startingDeadlineSeconds late is
 * missed; a suspended CronJob creates nothing. After a time away (a restart, a move to another
 * seed) only the latest missed run is started, and only within the starting deadline. Finished
 * Jobs beyond successful/failedJobsHistoryLimit are deleted, oldest first; the status says which
 * Jobs are active, when the last one was scheduled and when one last succeeded.
 *
 * The Job's name is fixed by its scheduled time, so a run started twice — by a controller that
 * crashed before writing the status, or by two instances — is one Job: the second create is an
 * AlreadyExists, and the Job it names is taken as this run's.
 */

import { cronJobResource, jobResource } from '../../api/batch/job.js';
import { isAlreadyExists } from '../../api/errors.js';
import { controllerReference, type KubeObject, nowTimestamp } from '../../api/meta.js';
import { semanticEqual } from '../../api/validation.js';
import type { Client } from '../../client/client.js';
import { Controller, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import { EventRecorder } from '../../controller/event-recorder.js';
import type { Lister } from '../../controller/shared-informers.js';
import type { ControllerContext } from './controller-manager.js';
import { parseSchedule, type Schedule } from './cronjob-schedule.js';
import { conditionTrue, isJobFinished, type JobStatus } from './job-status.js';
import { controllerOf, recordAt, specOf, statusOf } from './object-views.js';

/** When a Job of a CronJob was scheduled (RFC 3339), as Kubernetes annotates it. */
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
}

/** `<cronjob>-<minutes since the epoch>` (k8s getJobName). */
export function jobNameFor(cronJob: string, scheduled: Date): string {
  return `${cronJob}-${Math.floor(scheduled.getTime() / 60_000)}`;
}

function referenceTo(job: KubeObject): ObjectReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: job.metadata.name ?? '',
    namespace: job.metadata.namespace ?? '',
    uid: job.metadata.uid ?? '',
    ...(job.metadata.resourceVersion ? { resourceVersion: job.metadata.resourceVersion } : {}),
  };
}

/** The Job of the CronJob's template for the run at `scheduled`. */
export function jobForSchedule(cronJob: KubeObject, scheduled: Date): KubeObject {
  const template = recordAt(specOf(cronJob), 'jobTemplate');
  const metadata = recordAt(template, 'metadata');
  return {
    metadata: {
      name: jobNameFor(cronJob.metadata.name ?? '', scheduled),
      namespace: cronJob.metadata.namespace ?? '',
      labels: { ...(metadata.labels as Record<string, string> | undefined) },
      annotations: {
        ...(metadata.annotations as Record<string, string> | undefined),
        [SCHEDULED_TIMESTAMP_ANNOTATION]: nowTimestamp(scheduled),
      },
      ownerReferences: [
        controllerReference({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: cronJob.metadata }, true),
      ],
    },
    spec: structuredClone(recordAt(template, 'spec')),
  };
}

function finishedTime(job: KubeObject): number {
  const status = statusOf(job) as JobStatus;
  const when = status.completionTime ?? conditionTrue(status, 'Failed')?.lastTransitionTime ?? status.startTime;
  return when ? Date.parse(when) : 0;
}

export class CronJobReconciler implements Reconciler {
  readonly #client: Client;
  readonly #cronJobs: Lister;
  readonly #jobs: Lister;
  readonly #synced: () => Promise<void>;
  readonly #now: () => Date;
  readonly #events: EventRecorder | undefined;

  constructor(
    client: Client,
    listers: { cronJobs: Lister; jobs: Lister },
    synced: () => Promise<void>,
    now: () => Date = () => new Date(),
    events?: EventRecorder,
  ) {
    this.#client = client;
    this.#events = events;
    this.#cronJobs = listers.cronJobs;
    this.#jobs = listers.jobs;
    this.#synced = synced;
    this.#now = now;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    await this.#synced();
    const cronJob = this.#cronJobs.get(key.namespace, key.name);
    if (!cronJob) return {};
    const spec = specOf(cronJob);
    const status = structuredClone(statusOf(cronJob));
    const children = this.#jobs.list(key.namespace).filter((j) => controllerOf(j)?.uid === cronJob.metadata.uid);
    const active = await this.#activeJobs(cronJob, children);
    this.#sawCompleted(cronJob, children);
    const succeeded = children.filter((j) => conditionTrue(statusOf(j) as JobStatus, 'Complete'));
    const lastSuccess = Math.max(0, ...succeeded.map(finishedTime));
    if (lastSuccess > 0) status.lastSuccessfulTime = nowTimestamp(new Date(lastSuccess));
    if (active.length > 0) status.active = active.map(referenceTo);
    else delete status.active;

    if (!cronJob.metadata.deletionTimestamp) await this.#cleanUpHistory(cronJob, children);
    let result: Result = {};
    if (!cronJob.metadata.deletionTimestamp && spec.suspend !== true) {
      result = await this.#run(cronJob, status, active);
    }
    if (!semanticEqual(status, cronJob.status)) {
      await this.#client
        .resource(cronJobResource)
        .update(key.namespace, { ...cronJob, status }, { subresource: 'status' });
    }
    return result;
  }

  /**
   * The CronJob's unfinished Jobs that it started: those its status names (looked up when the
   * cache does not know them yet) and those named as its runs are (a run whose status write was
   * lost). A Job made by hand from it (`kubectl create job --from`) is not among them.
   */
  async #activeJobs(cronJob: KubeObject, children: readonly KubeObject[]): Promise<KubeObject[]> {
    const named = new RegExp(`^${(cronJob.metadata.name ?? '').replaceAll('.', '\\.')}-[0-9]+$`);
    const listed = Array.isArray(statusOf(cronJob).active) ? (statusOf(cronJob).active as ObjectReference[]) : [];
    const active = children.filter(
      (j) => !isJobFinished(j) && (named.test(j.metadata.name ?? '') || listed.some((r) => r.uid === j.metadata.uid)),
    );
    for (const ref of listed) {
      if (children.some((j) => j.metadata.uid === ref.uid)) continue;
      const fresh = await this.#client.resource(jobResource).find(ref.namespace, ref.name);
      if (fresh && fresh.metadata.uid === ref.uid && !isJobFinished(fresh)) active.push(fresh);
    }
    return active;
  }

  /** Reports the Jobs the status names as active that have finished. */
  #sawCompleted(cronJob: KubeObject, children: readonly KubeObject[]): void {
    const listed = Array.isArray(statusOf(cronJob).active) ? (statusOf(cronJob).active as ObjectReference[]) : [];
    for (const job of children) {
      if (!isJobFinished(job) || !listed.some((r) => r.uid === job.metadata.uid)) continue;
      const condition = conditionTrue(statusOf(job) as JobStatus, 'Complete') ? 'Complete' : 'Failed';
      const message = `Saw completed job: ${job.metadata.name}, condition: ${condition}`;
      this.#events?.event(cronJob, 'Normal', 'SawCompletedJob', message);
    }
  }

  /** Starts the run that is due, if one is; when to look again. */
  async #run(cronJob: KubeObject, status: Record<string, unknown>, active: KubeObject[]): Promise<Result> {
    const spec = specOf(cronJob);
    let schedule: Schedule;
    try {
      schedule = parseSchedule(
        String(spec.schedule ?? ''),
        typeof spec.timeZone === 'string' ? spec.timeZone : undefined,
      );
    } catch (err) {
      // Unparseable (or an unknown time zone): nothing to run until the CronJob changes.
      const message = `unparseable schedule: "${String(spec.schedule)}" : ${(err as Error).message}`;
      this.#events?.event(cronJob, 'Warning', 'UnparseableSchedule', message);
      return {};
    }
    const now = this.#now();
    const lastScheduled = typeof status.lastScheduleTime === 'string' ? Date.parse(status.lastScheduleTime) : NaN;
    let earliest = Number.isFinite(lastScheduled)
      ? lastScheduled
      : Date.parse(cronJob.metadata.creationTimestamp ?? now.toISOString());
    const deadlineSeconds = typeof spec.startingDeadlineSeconds === 'number' ? spec.startingDeadlineSeconds : undefined;
    if (deadlineSeconds !== undefined) earliest = Math.max(earliest, now.getTime() - deadlineSeconds * 1000);
    const nextLook = (): Result => ({
      requeueAfterMs: Math.max(schedule.next(now).getTime() - now.getTime(), 0) + 100,
    });
    const scheduled = schedule.mostRecent(new Date(earliest), now);
    if (!scheduled) return nextLook();
    const jobs = this.#client.resource(jobResource);
    const namespace = cronJob.metadata.namespace ?? '';
    if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
      const message = 'Not starting job because prior execution is running and concurrency policy is Forbid';
      this.#events?.event(cronJob, 'Normal', 'JobAlreadyActive', message);
      return nextLook();
    }
    if (active.some((j) => j.metadata.name === jobNameFor(cronJob.metadata.name ?? '', scheduled))) {
      status.lastScheduleTime = nowTimestamp(scheduled);
      return nextLook();
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const job of active) {
        await jobs.deleteIfPresent(namespace, job.metadata.name ?? '', {
          preconditions: { uid: job.metadata.uid ?? '' },
          propagationPolicy: 'Background',
        });
        this.#events?.event(cronJob, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
      }
      active.length = 0;
    }
    let job: KubeObject;
    try {
      job = await jobs.create(namespace, jobForSchedule(cronJob, scheduled));
      this.#events?.event(cronJob, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Started already (a run whose status write was lost): that Job is this run's, if it is ours.
      const existing = await jobs.get(namespace, jobNameFor(cronJob.metadata.name ?? '', scheduled));
      if (controllerOf(existing)?.uid !== cronJob.metadata.uid) throw err;
      job = existing;
    }
    if (!isJobFinished(job)) active.push(job);
    status.active = active.map(referenceTo);
    status.lastScheduleTime = nowTimestamp(scheduled);
    return nextLook();
  }

  /** Deletes the finished Jobs beyond the history limits, oldest first. */
  async #cleanUpHistory(cronJob: KubeObject, children: readonly KubeObject[]): Promise<void> {
    const spec = specOf(cronJob);
    const limits: [string, string][] = [
      ['Complete', 'successfulJobsHistoryLimit'],
      ['Failed', 'failedJobsHistoryLimit'],
    ];
    for (const [condition, field] of limits) {
      const limit = spec[field];
      if (typeof limit !== 'number') continue;
      const finished = children
        .filter((j) => !j.metadata.deletionTimestamp && conditionTrue(statusOf(j) as JobStatus, condition))
        .sort((a, b) => finishedTime(a) - finishedTime(b));
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) {
        await this.#client
          .resource(jobResource)
          .deleteIfPresent(job.metadata.namespace ?? '', job.metadata.name ?? '', {
            preconditions: { uid: job.metadata.uid ?? '' },
            propagationPolicy: 'Background',
          });
        this.#events?.event(cronJob, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
      }
    }
  }
}

/** The CronJob a Job belongs to (its controller). */
function cronJobOfJob(job: KubeObject): ObjectKey[] {
  const owner = controllerOf(job);
  return owner?.kind === 'CronJob' ? [{ namespace: job.metadata.namespace ?? '', name: owner.name }] : [];
}

/** The controller: CronJobs; a Job's change wakes its CronJob. */
export function cronJobController({ client, informers, logger }: ControllerContext): Controller {
  return new Controller({
    name: 'cronjob',
    source: informers.source(cronJobResource),
    watches: [{ source: informers.source(jobResource), map: cronJobOfJob }],
    reconciler: new CronJobReconciler(
      client,
      { cronJobs: informers.lister(cronJobResource), jobs: informers.lister(jobResource) },
      () => informers.syncedAll([cronJobResource, jobResource]),
      () => new Date(),
      new EventRecorder(client, { component: 'cronjob-controller' }, logger, cronJobResource),
    ),
    logger,
  });
}
