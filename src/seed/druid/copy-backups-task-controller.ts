/**
 * The druid's EtcdCopyBackupsTask controller: copies the backups of `spec.sourceStore` into
 * `spec.targetStore` the way etcd-druid's copy Job runs `etcdbrctl copy`, but in the seed process
 * (no Jobs here), through the same copier `transplant backup copy` uses.
 *
 * - A task is done when its Succeeded or Failed condition is True — whoever set it: the copy
 *   itself, or an operator following the seed document's manual workaround with `kubectl patch
 *   --subresource status`. A copy still running for a task that is done is cancelled.
 * - A copy that fails (source unreachable, bad credentials, a secret not there yet) leaves
 *   `status.lastError` saying why and is retried with backoff by its copy job, as the Job's pod
 *   would be restarted; only a task that can never work (a store spec druid would refuse) becomes
 *   Failed.
 * - Copy jobs run in the background, one per task, so a long copy holds no reconcile worker; the
 *   controller learns how a job ended from the task's status, which it watches anyway. A seed
 *   that crashes mid-copy starts it again after the restart; the copier skips what is complete.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { secretResource } from '../../api/core/secret.js';
import { setCondition } from '../../api/core-gardener/conditions.js';
import {
  CopyTaskConditionType,
  copyTaskFinished,
  copyTaskWaitForFinalSnapshot,
  type EtcdCopyBackupsTask,
  type EtcdCopyBackupsTaskStatus,
  etcdCopyBackupsTaskResource,
} from '../../api/druid/etcd-copy-backups-task.js';
import { type CopyProgress, type CopyResult, copyBackups } from '../../backup/copier.js';
import { type Client, ignoreNotFound, type ResourceClient } from '../../client/client.js';
import { addFinalizer, removeFinalizer } from '../../client/finalizers.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import { type ExponentialBackoff, exponentialDelay } from '../../controller/rate-limiter.js';
import { openStoreOf } from './backup-store.js';
import { ETCD_DRUID_FINALIZER } from './etcd-controller.js';

export interface CopyBackupsTaskReconcilerOptions {
  /** The seed API: its EtcdCopyBackupsTasks and the Secrets their stores reference. */
  client: Client;
  logger: Logger;
  /** How often the source is checked for the final snapshot; default the copier's (15 s). */
  finalSnapshotCheckIntervalMs?: number;
  /** The first retry after a failed copy; doubles up to `maxRetryDelayMs`. Default 2 s. */
  retryDelayMs?: number;
  /** Default 60 s. */
  maxRetryDelayMs?: number;
  /** Told of the bytes each copy moves as they reach the target (the seed's migration metrics). */
  onBytesCopied?: (task: EtcdCopyBackupsTask, bytes: number) => void;
  /** Told each change of a copy's counters (the seed reports them to the garden: restore-progress-reporter.ts). */
  onProgress?: (task: EtcdCopyBackupsTask, progress: CopyProgress) => void;
}

/** A task's copy job: the copy and its retries, until it succeeds or is cancelled. */
interface CopyJob {
  uid: string;
  abort: AbortController;
  done: Promise<void>;
}

export class CopyBackupsTaskReconciler implements Reconciler {
  readonly #options: CopyBackupsTaskReconcilerOptions;
  readonly #tasks: ResourceClient<EtcdCopyBackupsTask>;
  readonly #secrets: ResourceClient;
  readonly #retryBackoff: Readonly<ExponentialBackoff>;
  readonly #log: Logger;
  /** By `<namespace>/<name>`. */
  readonly #jobs = new Map<string, CopyJob>();

  constructor(options: CopyBackupsTaskReconcilerOptions) {
    this.#options = options;
    this.#tasks = options.client.resource(etcdCopyBackupsTaskResource);
    this.#secrets = options.client.resource(secretResource);
    this.#retryBackoff = Object.freeze({
      baseDelayMs: options.retryDelayMs ?? 2_000,
      maxDelayMs: options.maxRetryDelayMs ?? 60_000,
    });
    this.#log = options.logger.child({ controller: 'etcdcopybackupstask' });
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const id = `${key.namespace}/${key.name}`;
    const task = await this.#tasks.find(key.namespace, key.name);
    const job = this.#jobs.get(id);
    if (!task || task.metadata.deletionTimestamp || copyTaskFinished(task) || job?.uid !== task.metadata.uid) {
      if (job) await this.#cancel(id, job);
    }
    if (!task) return {};
    if (task.metadata.deletionTimestamp) {
      await removeFinalizer(this.#tasks, task, ETCD_DRUID_FINALIZER);
      return {};
    }
    await addFinalizer(this.#tasks, task, ETCD_DRUID_FINALIZER);
    if (copyTaskFinished(task)) return {};
    if (!this.#jobs.has(id)) this.#startJob(id, key, task.metadata.uid ?? '');
    return {};
  }

  /** Cancels every running copy (seed shutdown); they resume when the seed comes back. */
  async stop(): Promise<void> {
    await Promise.all([...this.#jobs.entries()].map(([id, job]) => this.#cancel(id, job)));
  }

  /**
   * Starts the copy job of the task `uid` in the background (etcd-druid runs the copy as a Job).
   * A failed copy reports why in the task's status and is tried again after a doubling delay, as
   * a Job restarts its pod; the job ends when a copy succeeded, or when the task it was started
   * for is gone, being deleted or finished. Its outcome reaches the controller through the task's
   * status, which the controller watches: nothing has to enqueue the task again by hand.
   */
  #startJob(id: string, key: ObjectKey, uid: string): void {
    const abort = new AbortController();
    const log = this.#log.child({ task: id });
    const done = this.#copyUntilDone(key, uid, abort.signal, log).finally(() => {
      if (this.#jobs.get(id)?.uid === uid) this.#jobs.delete(id);
    });
    this.#jobs.set(id, { uid, abort, done });
  }

  async #copyUntilDone(key: ObjectKey, uid: string, signal: AbortSignal, log: Logger): Promise<void> {
    for (let failures = 0; !signal.aborted; ) {
      if (failures > 0) {
        await delay(exponentialDelay(failures, this.#retryBackoff), undefined, { signal, ref: false }).catch(
          () => undefined,
        );
        if (signal.aborted) return;
      }
      // Read again for every attempt: the spec, or the secrets it names, may have been fixed.
      let task: EtcdCopyBackupsTask | null = null;
      try {
        task = await this.#tasks.find(key.namespace, key.name);
        if (!task || task.metadata.uid !== uid || task.metadata.deletionTimestamp || copyTaskFinished(task)) return;
        const result = await this.#copy(task, signal, log);
        log.info(
          {
            copied: result.copied.length,
            skipped: result.skipped.length,
            bytes: result.bytes,
            final: result.finalSnapshot,
          },
          'backups copied',
        );
        await this.#reportSucceeded(task, result);
        return;
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        const message = err instanceof Error ? err.message : String(err);
        log.warn({ err: message, attempt: failures }, 'copying backups failed; will retry');
        if (task) {
          await this.#reportError(task, message).catch((e: unknown) =>
            log.warn({ err: (e as Error).message }, 'could not report the copy error'),
          );
        }
      }
    }
  }

  async #copy(task: EtcdCopyBackupsTask, signal: AbortSignal, log: Logger): Promise<CopyResult> {
    const namespace = task.metadata.namespace ?? '';
    const { sourceStore: sourceSpec, targetStore: targetSpec, maxBackups, maxBackupAge } = task.spec;
    const source = await openStoreOf(sourceSpec, namespace, this.#secrets).catch((err: unknown) => {
      throw new Error(`source store: ${(err as Error).message}`);
    });
    const target = await openStoreOf(targetSpec, namespace, this.#secrets).catch((err: unknown) => {
      throw new Error(`target store: ${(err as Error).message}`);
    });
    const wait = copyTaskWaitForFinalSnapshot(task);
    const { onBytesCopied, onProgress } = this.#options;
    /** What this attempt reported so far: the progress counts its bytes from 0. */
    let reported = 0;
    return copyBackups({
      source: source.store,
      target: target.store,
      ...(maxBackups !== undefined ? { maxBackupsToCopy: maxBackups } : {}),
      ...(maxBackupAge !== undefined ? { maxBackupAgeDays: maxBackupAge } : {}),
      waitForFinalSnapshot: wait.enabled,
      ...(wait.timeoutMs !== undefined ? { waitForFinalSnapshotTimeoutMs: wait.timeoutMs } : {}),
      ...(this.#options.finalSnapshotCheckIntervalMs !== undefined
        ? { finalSnapshotCheckIntervalMs: this.#options.finalSnapshotCheckIntervalMs }
        : {}),
      signal,
      logger: log,
      ...(onBytesCopied || onProgress
        ? {
            onProgress: (progress: CopyProgress) => {
              const bytes = progress.copiedBytes - reported;
              reported = progress.copiedBytes;
              if (bytes > 0) onBytesCopied?.(task, bytes);
              onProgress?.(task, progress);
            },
          }
        : {}),
    });
  }

  async #cancel(id: string, job: CopyJob): Promise<void> {
    job.abort.abort();
    this.#jobs.delete(id);
    await job.done.catch(() => undefined);
  }

  async #reportSucceeded(task: EtcdCopyBackupsTask, result: CopyResult): Promise<void> {
    const current = await this.#tasks.find(task.metadata.namespace ?? '', task.metadata.name ?? '');
    if (!current || current.metadata.uid !== task.metadata.uid || copyTaskFinished(current)) return;
    const message = `copied ${result.copied.length} and skipped ${result.skipped.length} snapshot(s) already in the target (${result.bytes} bytes)`;
    let conditions = setCondition(
      current.status?.conditions ?? [],
      CopyTaskConditionType.Succeeded,
      'True',
      'CopySucceeded',
      message,
    );
    conditions = setCondition(conditions, CopyTaskConditionType.Failed, 'False', 'CopySucceeded', message);
    await this.#patchStatus(current, {
      conditions,
      observedGeneration: current.metadata.generation ?? 1,
      lastError: null,
    });
  }

  async #reportError(task: EtcdCopyBackupsTask, message: string): Promise<void> {
    const current = await this.#tasks.find(task.metadata.namespace ?? '', task.metadata.name ?? '');
    if (!current || current.metadata.uid !== task.metadata.uid || copyTaskFinished(current)) return;
    const conditions = setCondition(
      current.status?.conditions ?? [],
      CopyTaskConditionType.Succeeded,
      'False',
      'CopyFailedRetrying',
      `the copy failed and is retried: ${message}`,
    );
    await this.#patchStatus(current, {
      conditions,
      observedGeneration: current.metadata.generation ?? 1,
      lastError: message,
    });
  }

  async #patchStatus(task: EtcdCopyBackupsTask, status: EtcdCopyBackupsTaskStatus): Promise<void> {
    await this.#tasks
      .patch(
        task.metadata.namespace ?? '',
        task.metadata.name ?? '',
        { metadata: { resourceVersion: task.metadata.resourceVersion }, status },
        { subresource: 'status' },
      )
      .catch(ignoreNotFound);
  }
}
