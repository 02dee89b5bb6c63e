/**
 * The Job controller of kube-controller-manager (k8s pkg/controller/job), NonIndexed and Indexed
 * (./job-indexes.ts): it
 * keeps `parallelism` pods running until `completions` of them succeeded (without completions:
 * until one did), replaces failed ones after a backoff, fails the Job past `backoffLimit` or
 * `activeDeadlineSeconds`, deletes the pods of a suspended Job, and writes the status Kubernetes
 * 1.31 writes (active, ready, terminating, succeeded, failed, startTime, completionTime,
 * SuccessCriteriaMet/FailureTarget, then Complete/Failed, Suspended).
 *
 * Pods carry the finalizer `batch.kubernetes.io/job-tracking` until they are counted: a finished
 * pod's uid is first recorded in `status.uncountedTerminatedPods`, then its finalizer removed,
 * then it moves into the counters — a crash between any two steps counts no pod twice and none
 * never. Its own writes — pods created, released and deleted, and the Job's status — are expected
 * (src/controller/expectations.ts) until its caches show them.
 */

import { jobResource } from '../../api/batch/job.js';
import { isPodReady, isPodTerminal, podPhase, podResource } from '../../api/core/pod.js';
import { removeFinalizerPatch } from '../../api/finalizers.js';
import { controllerReference, type KubeObject, nowTimestamp, resourceVersionOrder } from '../../api/meta.js';
import { semanticEqual } from '../../api/validation.js';
import { type Client, ignoreNotFound } from '../../client/client.js';
import { Controller, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import { EventRecorder } from '../../controller/event-recorder.js';
import { Expectations } from '../../controller/expectations.js';
import type { Lister } from '../../controller/shared-informers.js';
import type { ControllerContext } from './controller-manager.js';
import {
  completedIndexes,
  formatIndexes,
  indexesToStart,
  isIndexed,
  surplusIndexedPods,
  withIndex,
} from './job-indexes.js';
import {
  conditionTrue,
  hasTrackingFinalizer,
  isActive,
  isJobFinished,
  isPodFailed,
  isTerminating,
  JOB_TRACKING_FINALIZER,
  type JobSpecView,
  type JobStatus,
  jobSpec,
  jobStatus,
  pastBackoffLimitOnFailure,
  readyCount,
  remainingBackoffMs,
  setCondition,
  uncounted,
} from './job-status.js';
import { controllerOf, recordAt } from './object-views.js';

/** How many pods one pass creates at most (k8s MaxPodCreateDeletePerSync). */
const MAX_PODS_PER_SYNC = 500;

/** The condition that says the Job is done, before the pods are all counted (1.31's interim condition). */
interface Finish {
  type: 'SuccessCriteriaMet' | 'FailureTarget';
  reason: string;
  message: string;
}

/** A pod of the Job's template: its labels and annotations, the tracking finalizer, the Job as its controller. */
export function podForJob(job: KubeObject): KubeObject {
  const template = recordAt(job.spec as Record<string, unknown>, 'template');
  const metadata = recordAt(template, 'metadata');
  return {
    metadata: {
      generateName: `${job.metadata.name}-`,
      namespace: job.metadata.namespace ?? '',
      labels: { ...(metadata.labels as Record<string, string> | undefined) },
      ...(metadata.annotations ? { annotations: { ...(metadata.annotations as Record<string, string>) } } : {}),
      finalizers: [JOB_TRACKING_FINALIZER],
      ownerReferences: [controllerReference({ apiVersion: 'batch/v1', kind: 'Job', metadata: job.metadata }, true)],
    },
    spec: structuredClone(recordAt(template, 'spec')),
  };
}

/** `uncountedTerminatedPods` as Kubernetes writes it: `{}` when every pod is counted. */
function uncountedStatus(succeeded: string[], failed: string[]): JobStatus['uncountedTerminatedPods'] {
  return { ...(succeeded.length > 0 ? { succeeded } : {}), ...(failed.length > 0 ? { failed } : {}) };
}

function existingFinish(status: JobStatus): Finish | undefined {
  for (const type of ['SuccessCriteriaMet', 'FailureTarget'] as const) {
    const condition = conditionTrue(status, type);
    if (condition) return { type, reason: condition.reason ?? '', message: condition.message ?? '' };
  }
  return undefined;
}

export class JobReconciler implements Reconciler {
  readonly #client: Client;
  readonly #jobs: Lister;
  readonly #pods: Lister;
  readonly #synced: () => Promise<void>;
  readonly #expectations = new Expectations();
  readonly #events: EventRecorder | undefined;

  constructor(
    client: Client,
    listers: { jobs: Lister; pods: Lister },
    synced: () => Promise<void>,
    events?: EventRecorder,
  ) {
    this.#client = client;
    this.#events = events;
    this.#jobs = listers.jobs;
    this.#pods = listers.pods;
    this.#synced = synced;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    await this.#synced();
    const id = `${key.namespace}/${key.name}`;
    const job = this.#jobs.get(key.namespace, key.name);
    if (!job) {
      this.#expectations.forget(id);
      // Its pods are no longer counted by anyone: their finalizers go (the garbage collector takes the pods).
      const orphans = this.#pods
        .list(key.namespace)
        .filter((p) => controllerOf(p)?.kind === 'Job' && controllerOf(p)?.name === key.name);
      await this.#releasePods(id, orphans.filter(hasTrackingFinalizer));
      return {};
    }
    const pods = this.#pods.list(key.namespace).filter((p) => controllerOf(p)?.uid === job.metadata.uid);
    if (job.metadata.deletionTimestamp || isJobFinished(job)) {
      await this.#releasePods(id, pods.filter(hasTrackingFinalizer));
      return {};
    }
    // Not before the cache shows the last pass's writes: it would create its pods again.
    if (!this.#expectations.satisfied(id)) return { requeueAfterMs: 1_000 };
    return this.#sync(id, job, pods);
  }

  async #sync(id: string, job: KubeObject, pods: KubeObject[]): Promise<Result> {
    const spec = jobSpec(job);
    const status = jobStatus(job);
    const counted = uncounted(status);
    const recorded = new Set([...counted.succeeded, ...counted.failed]);
    const uid = (p: KubeObject) => p.metadata.uid ?? '';
    const tracked = pods.filter((p) => hasTrackingFinalizer(p) && !recorded.has(uid(p)));
    const newSucceeded = tracked.filter((p) => podPhase(p) === 'Succeeded');
    const newFailed = tracked.filter((p) => podPhase(p) !== 'Succeeded' && isPodFailed(p, spec));
    // Indexed: what counts is which indexes succeeded, not how many pods did.
    const done =
      isIndexed(job) && spec.completions !== undefined ? completedIndexes(status, pods, spec.completions) : undefined;
    if (done) status.completedIndexes = formatIndexes(done);
    const succeeded = done ? done.size : (status.succeeded ?? 0) + counted.succeeded.length + newSucceeded.length;
    const failed = (status.failed ?? 0) + counted.failed.length + newFailed.length;
    const now = Date.now();
    if (!status.startTime && !spec.suspend) status.startTime = nowTimestamp();

    let requeueAfterMs: number | undefined;
    let finish = existingFinish(status);
    let active = pods.filter(isActive);
    let terminating = pods.filter(isTerminating).length;
    if (!finish) {
      const deadline =
        spec.activeDeadlineSeconds !== undefined && status.startTime && !spec.suspend
          ? Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000
          : undefined;
      if (failed > spec.backoffLimit || pastBackoffLimitOnFailure(spec, active)) {
        finish = {
          type: 'FailureTarget',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        };
      } else if (deadline !== undefined && now >= deadline) {
        finish = {
          type: 'FailureTarget',
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline',
        };
      } else if (deadline !== undefined) {
        requeueAfterMs = deadline - now;
      }
    }
    if (finish?.type === 'FailureTarget') {
      // The running pods go, their finalizers kept: each is counted as failed below.
      await this.#deletePods(id, job, active, false);
      terminating += active.length;
      active = [];
    } else if (!finish) {
      const managed = await this.#manage(id, job, spec, pods, active, terminating, succeeded, done);
      active = managed.active;
      if (managed.requeueAfterMs !== undefined)
        requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, managed.requeueAfterMs);
      const complete =
        active.length === 0 && (spec.completions === undefined ? succeeded > 0 : succeeded >= spec.completions);
      if (complete) finish = { type: 'SuccessCriteriaMet', reason: '', message: '' };
      else if (spec.suspend) {
        if (setCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended')) {
          this.#events?.event(job, 'Normal', 'Suspended', 'Job suspended');
        }
      } else if (setCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed')) {
        this.#events?.event(job, 'Normal', 'Resumed', 'Job resumed');
        // ActiveDeadlineSeconds counts from the resume.
        status.startTime = nowTimestamp();
      }
    }
    status.active = active.length;
    status.ready = readyCount(active);
    status.terminating = terminating;
    if (finish) setCondition(status, finish.type, 'True', finish.reason, finish.message);

    // Counting: record the finished pods, release them, then move them into the counters.
    const release = pods.filter(
      (p) => hasTrackingFinalizer(p) && (isPodTerminal(p) || isPodFailed(p, spec) || finish?.type === 'FailureTarget'),
    );
    for (const pod of release) {
      if (recorded.has(uid(pod)) || (done && podPhase(pod) === 'Succeeded')) continue;
      (podPhase(pod) === 'Succeeded' ? counted.succeeded : counted.failed).push(uid(pod));
    }
    status.uncountedTerminatedPods = uncountedStatus(counted.succeeded, counted.failed);
    let current = job;
    if (release.some((p) => !recorded.has(uid(p)))) current = await this.#writeStatus(id, current, status);
    await this.#releasePods(id, release);
    const stillTracked = new Set(pods.filter((p) => hasTrackingFinalizer(p) && !release.includes(p)).map(uid));
    const flushed = (uids: string[]) => uids.filter((u) => !stillTracked.has(u)).length;
    status.succeeded = done ? done.size : (status.succeeded ?? 0) + flushed(counted.succeeded);
    status.failed = (status.failed ?? 0) + flushed(counted.failed);
    const left = [counted.succeeded, counted.failed].map((uids) => uids.filter((u) => stillTracked.has(u)));
    status.uncountedTerminatedPods = uncountedStatus(left[0] ?? [], left[1] ?? []);
    const allCounted = left.every((uids) => uids.length === 0);
    if (finish && allCounted && terminating === 0 && active.length === 0) {
      const terminal = finish.type === 'SuccessCriteriaMet' ? 'Complete' : 'Failed';
      setCondition(status, terminal, 'True', finish.reason, finish.message);
      if (terminal === 'Complete') {
        status.completionTime = nowTimestamp();
        this.#events?.event(job, 'Normal', 'Completed', 'Job completed');
      } else {
        this.#events?.event(job, 'Warning', finish.reason, finish.message);
      }
    }
    if (!semanticEqual(status, current.status)) await this.#writeStatus(id, current, status);
    // Pods being deleted keep the Job from finishing: look again once they are gone.
    if (finish && terminating > 0) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, 1_000);
    return requeueAfterMs === undefined ? {} : { requeueAfterMs: Math.max(requeueAfterMs, 10) };
  }

  /** Creates or deletes pods so that the right number runs; the pods running afterwards. */
  async #manage(
    id: string,
    job: KubeObject,
    spec: JobSpecView,
    pods: readonly KubeObject[],
    active: KubeObject[],
    terminating: number,
    succeeded: number,
    done: ReadonlySet<number> | undefined,
  ): Promise<{ active: KubeObject[]; requeueAfterMs?: number }> {
    if (spec.suspend) {
      await this.#deletePods(id, job, active, true);
      return { active: [] };
    }
    if (done) {
      // Pods of an index done already, or run twice: one pod per index is enough.
      const duplicates = surplusIndexedPods(done, active);
      await this.#deletePods(id, job, duplicates, true);
      active = active.filter((p) => !duplicates.includes(p));
    }
    let wantActive: number;
    if (spec.completions === undefined) wantActive = succeeded > 0 ? active.length : spec.parallelism;
    else wantActive = Math.max(0, Math.min(spec.completions - succeeded, spec.parallelism));
    if (active.length > wantActive) {
      // Not-ready pods go first, then the newest.
      const surplus = [...active]
        .sort(
          (a, b) =>
            Number(isPodReady(a)) - Number(isPodReady(b)) ||
            (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
        )
        .slice(0, active.length - wantActive);
      await this.#deletePods(id, job, surplus, true);
      return { active: active.filter((p) => !surplus.includes(p)) };
    }
    const missing = Math.min(
      wantActive - active.length - (spec.replaceOnlyFailed ? terminating : 0),
      MAX_PODS_PER_SYNC,
    );
    if (missing <= 0) return { active };
    const backoff = remainingBackoffMs(pods, spec);
    if (backoff > 0) return { active, requeueAfterMs: backoff };
    const podsClient = this.#client.resource(podResource);
    const created: KubeObject[] = [];
    const name = job.metadata.name ?? '';
    const newPods =
      done && spec.completions !== undefined
        ? indexesToStart(done, active, spec.completions, missing).map((i) => withIndex(podForJob(job), name, i))
        : Array.from({ length: missing }, () => podForJob(job));
    for (const newPod of newPods) {
      const pod = await podsClient.create(job.metadata.namespace ?? '', newPod);
      const podName = pod.metadata.name ?? '';
      this.#expectations.expect(id, () => this.#pods.get(pod.metadata.namespace ?? '', podName) !== undefined);
      this.#events?.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${podName}`);
      created.push(pod);
    }
    return { active: [...active, ...created] };
  }

  /** Deletes pods; `uncounted` ones lose their finalizer first (a suspended Job's, surplus pods). */
  async #deletePods(id: string, job: KubeObject, pods: readonly KubeObject[], uncountedPods: boolean): Promise<void> {
    if (uncountedPods) await this.#releasePods(id, pods.filter(hasTrackingFinalizer));
    const podsClient = this.#client.resource(podResource);
    for (const pod of pods) {
      const { namespace = '', name = '', uid = '' } = pod.metadata;
      await podsClient.deleteIfPresent(namespace, name, { preconditions: { uid } });
      this.#events?.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      this.#expectations.expect(id, () => {
        const cached = this.#pods.get(namespace, name);
        return cached?.metadata.uid !== uid || Boolean(cached.metadata.deletionTimestamp);
      });
    }
  }

  /** Removes the tracking finalizer from `pods`. */
  async #releasePods(id: string, pods: readonly KubeObject[]): Promise<void> {
    const podsClient = this.#client.resource(podResource);
    for (const pod of pods) {
      const { namespace = '', name = '', uid = '' } = pod.metadata;
      const patch = removeFinalizerPatch(pod, JOB_TRACKING_FINALIZER);
      // Guarded by the cached resourceVersion: a stale cache gets a conflict and the pass is retried.
      if (patch) await podsClient.patch(namespace, name, patch).catch(ignoreNotFound);
      this.#expectations.expect(id, () => {
        const cached = this.#pods.get(namespace, name);
        return cached?.metadata.uid !== uid || !hasTrackingFinalizer(cached);
      });
    }
  }

  /**
   * Writes the status, expected until the Job's cache shows it: a pass that read an older Job
   * would miss the pods this one counted and released (their finalizers gone, their uids in
   * `uncountedTerminatedPods` or the counters only it wrote), count them as never succeeded, and
   * make pods again.
   */
  async #writeStatus(id: string, job: KubeObject, status: JobStatus): Promise<KubeObject> {
    const written = await this.#client
      .resource(jobResource)
      .update(job.metadata.namespace ?? '', { ...job, status }, { subresource: 'status' });
    const { namespace = '', name = '', uid } = written.metadata;
    const version = resourceVersionOrder(written.metadata.resourceVersion);
    this.#expectations.expect(id, () => {
      const cached = this.#jobs.get(namespace, name);
      return !cached || cached.metadata.uid !== uid || resourceVersionOrder(cached.metadata.resourceVersion) >= version;
    });
    return written;
  }
}

/** The Job a pod belongs to (its controller). */
function jobOfPod(pod: KubeObject): ObjectKey[] {
  const owner = controllerOf(pod);
  return owner?.kind === 'Job' ? [{ namespace: pod.metadata.namespace ?? '', name: owner.name }] : [];
}

/** The controller: Jobs; a pod's change wakes its Job. */
export function jobController({ client, informers, logger }: ControllerContext): Controller {
  return new Controller({
    name: 'job',
    source: informers.source(jobResource),
    watches: [{ source: informers.source(podResource), map: jobOfPod }],
    reconciler: new JobReconciler(
      client,
      { jobs: informers.lister(jobResource), pods: informers.lister(podResource) },
      () => informers.syncedAll([jobResource, podResource]),
      new EventRecorder(client, { component: 'job-controller' }, logger, jobResource),
    ),
    logger,
  });
}
