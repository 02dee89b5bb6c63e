/**
 * The TTL-after-finished controller of kube-controller-manager (k8s pkg/controller/ttlafterfinished):
 * a finished Job (Complete or Failed) with `ttlSecondsAfterFinished` is deleted that long after it
 * finished, its pods with it (foreground deletion). Before deleting, the Job is read fresh from
 * the API: one whose TTL was changed meanwhile waits for the new one, and the deletion's uid
 * precondition spares a new Job of the same name.
 */
import { jobResource } from '../../api/batch/job.js';
import type { KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { Controller, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import type { Lister } from '../../controller/shared-informers.js';
import type { ControllerContext } from './controller-manager.js';
import { jobFinishTime, jobSpec } from './job-status.js';

/** How long until `job` expires (≤ 0: it has), or undefined when it never does (not finished, no TTL). */
export function timeLeftMs(job: KubeObject, now = Date.now()): number | undefined {
  const ttl = jobSpec(job).ttlSecondsAfterFinished;
  const finished = jobFinishTime(job);
  if (ttl === undefined || !finished || job.metadata.deletionTimestamp) return undefined;
  return Date.parse(finished) + ttl * 1000 - now;
}

export class TTLAfterFinishedReconciler implements Reconciler {
  readonly #client: Client;
  readonly #jobs: Lister;

  constructor(client: Client, jobs: Lister) {
    this.#client = client;
    this.#jobs = jobs;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const cached = this.#jobs.get(key.namespace, key.name);
    const cachedLeft = cached && timeLeftMs(cached);
    if (cachedLeft === undefined) return {};
    if (cachedLeft > 0) return { requeueAfterMs: cachedLeft };
    // Expired in the cache: the server's copy decides (its TTL may have changed since).
    const jobs = this.#client.resource(jobResource);
    const job = await jobs.find(key.namespace, key.name);
    if (!job) return {};
    const left = timeLeftMs(job);
    if (left === undefined) return {};
    if (left > 0) return { requeueAfterMs: left };
    await jobs.deleteIfPresent(key.namespace, key.name, {
      preconditions: { uid: job.metadata.uid ?? '' },
      propagationPolicy: 'Foreground',
    });
    return {};
  }
}

export function ttlAfterFinishedController({ client, informers, logger }: ControllerContext): Controller {
  return new Controller({
    name: 'ttl-after-finished',
    source: informers.source(jobResource),
    reconciler: new TTLAfterFinishedReconciler(client, informers.lister(jobResource)),
    logger,
  });
}
