/**
 * The druid's EtcdCopyBackupsTask controller: copies the backups of `spec.sourceStore` into
 * `spec.targetStore` the way etcd-druid's copy Job runs `etcdbrctl copy`, but in the seed process
 * (no Jobs here), through the same copier `transplant backup copy` uses.
 *
 * - A task is done when its Succeeded or Failed condition is True — whoever set it: the copy
 *   itself, or an operator following the seed document's manual workaround with `kubectl patch
 *   --subresource status`. A copy still running for a task that is done is cancelled.
 * - A copy that fails (source unreachable, bad credentials, a secret not there yet) leaves
 *   `status.lastError` saying why and is retried with backoff, as the Job's pod would be
 *   restarted; only a task that can never work (a store spec druid would refuse) becomes Failed.
 * - Copies run in the background, one per task, so a long copy holds no reconcile worker. A seed
 *   that crashes mid-copy starts it again after the restart; the copier skips what is complete.
 */
import type { Logger } from 'pino';
import { secretResource } from '../../api/core/secret.js';
import { conditionsOf, setCondition } from '../../api/core-gardener/conditions.js';
import {
  CopyTaskConditionType,
  copyTaskFinished,
  copyTaskSourceStore,
  copyTaskTargetStore,
  copyTaskWaitForFinalSnapshot,
  etcdCopyBackupsTaskResource,
} from '../../api/druid/etcd-copy-backups-task.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import { type CopyResult, copyBackups } from '../../backup/copier.js';
import { type Client, ignoreNotFound, type ResourceClient } from '../../client/client.js';
import { addFinalizer, removeFinalizer } from '../../client/finalizers.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
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
}

interface RunningCopy {
  uid: string;
  abort: AbortController;
  done: Promise<void>;
}

export class CopyBackupsTaskReconciler implements Reconciler {
  readonly #options: CopyBackupsTaskReconcilerOptions;
  readonly #tasks: ResourceClient;
  readonly #secrets: ResourceClient;
  readonly #log: Logger;
  /** By `<namespace>/<name>`. */
  readonly #running = new Map<string, RunningCopy>();
  /** Failed attempts in a row and when the last one ended, by task uid, for the retry delay. */
  readonly #failures = new Map<string, { count: number; at: number }>();
  /** Set by the controller so a finished background copy wakes its task up again. */
  onCopyFinished: ((key: ObjectKey) => void) | undefined;

  constructor(options: CopyBackupsTaskReconcilerOptions) {
    this.#options = options;
    this.#tasks = options.client.resource(etcdCopyBackupsTaskResource);
    this.#secrets = options.client.resource(secretResource);
    this.#log = options.logger.child({ controller: 'etcdcopybackupstask' });
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const id = `${key.namespace}/${key.name}`;
    const task = await this.#tasks.find(key.namespace, key.name);
    const running = this.#running.get(id);
    if (!task || task.metadata.deletionTimestamp || copyTaskFinished(task) || running?.uid !== task.metadata.uid) {
      if (running) await this.#cancel(id, running);
    }
    if (!task) return {};
    if (task.metadata.deletionTimestamp) {
      await this.#removeFinalizer(task);
      this.#failures.delete(task.metadata.uid ?? '');
      return {};
    }
    await this.#ensureFinalizer(task);
    if (copyTaskFinished(task)) return {};
    if (this.#running.has(id)) return {};

    const failures = this.#failures.get(task.metadata.uid ?? '');
    if (failures) {
      const wait = failures.at + this.#retryDelay(failures.count) - Date.now();
      if (wait > 0) return { requeueAfterMs: wait };
    }
    this.#startCopy(id, key, task);
    return {};
  }

  /** Cancels every running copy (seed shutdown); they resume when the seed comes back. */
  async stop(): Promise<void> {
    await Promise.all([...this.#running.entries()].map(([id, running]) => this.#cancel(id, running)));
  }

  #retryDelay(failures: number): number {
    const base = this.#options.retryDelayMs ?? 2_000;
    const max = this.#options.maxRetryDelayMs ?? 60_000;
    return Math.min(max, base * 2 ** Math.max(0, failures - 1));
  }

  #startCopy(id: string, key: ObjectKey, task: KubeObject): void {
    const abort = new AbortController();
    const uid = task.metadata.uid ?? '';
    const log = this.#log.child({ task: id });
    const done = this.#copy(task, abort.signal, log)
      .then(async (result) => {
        this.#failures.delete(uid);
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
      })
      .catch(async (err: unknown) => {
        if (abort.signal.aborted) return;
        const failures = (this.#failures.get(uid)?.count ?? 0) + 1;
        this.#failures.set(uid, { count: failures, at: Date.now() });
        const message = err instanceof Error ? err.message : String(err);
        log.warn({ err: message, attempt: failures }, 'copying backups failed; will retry');
        await this.#reportError(task, message).catch((e: unknown) =>
          log.warn({ err: (e as Error).message }, 'could not report the copy error'),
        );
      })
      .finally(() => {
        if (this.#running.get(id)?.uid === uid) this.#running.delete(id);
        if (!abort.signal.aborted) this.onCopyFinished?.(key);
      });
    this.#running.set(id, { uid, abort, done });
  }

  async #copy(task: KubeObject, signal: AbortSignal, log: Logger): Promise<CopyResult> {
    const namespace = task.metadata.namespace ?? '';
    const sourceSpec = copyTaskSourceStore(task);
    const targetSpec = copyTaskTargetStore(task);
    if (!sourceSpec || !targetSpec) throw new Error('spec.sourceStore and spec.targetStore must both be set');
    const source = await openStoreOf(sourceSpec, namespace, this.#secrets).catch((err: unknown) => {
      throw new Error(`source store: ${(err as Error).message}`);
    });
    const target = await openStoreOf(targetSpec, namespace, this.#secrets).catch((err: unknown) => {
      throw new Error(`target store: ${(err as Error).message}`);
    });
    const spec = isRecord(task.spec) ? task.spec : {};
    const wait = copyTaskWaitForFinalSnapshot(task);
    return copyBackups({
      source: source.store,
      target: target.store,
      ...(typeof spec.maxBackups === 'number' ? { maxBackupsToCopy: spec.maxBackups } : {}),
      ...(typeof spec.maxBackupAge === 'number' ? { maxBackupAgeDays: spec.maxBackupAge } : {}),
      waitForFinalSnapshot: wait.enabled,
      ...(wait.timeoutMs !== undefined ? { waitForFinalSnapshotTimeoutMs: wait.timeoutMs } : {}),
      ...(this.#options.finalSnapshotCheckIntervalMs !== undefined
        ? { finalSnapshotCheckIntervalMs: this.#options.finalSnapshotCheckIntervalMs }
        : {}),
      signal,
      logger: log,
    });
  }

  async #cancel(id: string, running: RunningCopy): Promise<void> {
    running.abort.abort();
    this.#running.delete(id);
    await running.done.catch(() => undefined);
  }

  async #reportSucceeded(task: KubeObject, result: CopyResult): Promise<void> {
    const current = await this.#tasks.find(task.metadata.namespace ?? '', task.metadata.name ?? '');
    if (!current || current.metadata.uid !== task.metadata.uid || copyTaskFinished(current)) return;
    const message = `copied ${result.copied.length} and skipped ${result.skipped.length} snapshot(s) already in the target (${result.bytes} bytes)`;
    let conditions = setCondition(
      conditionsOf(current),
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

  async #reportError(task: KubeObject, message: string): Promise<void> {
    const current = await this.#tasks.find(task.metadata.namespace ?? '', task.metadata.name ?? '');
    if (!current || current.metadata.uid !== task.metadata.uid || copyTaskFinished(current)) return;
    const conditions = setCondition(
      conditionsOf(current),
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

  async #patchStatus(task: KubeObject, status: Record<string, unknown>): Promise<void> {
    await this.#tasks
      .patch(
        task.metadata.namespace ?? '',
        task.metadata.name ?? '',
        { metadata: { resourceVersion: task.metadata.resourceVersion }, status },
        { subresource: 'status' },
      )
      .catch(ignoreNotFound);
  }

  async #ensureFinalizer(task: KubeObject): Promise<void> {
    await addFinalizer(this.#tasks, task, ETCD_DRUID_FINALIZER);
  }

  async #removeFinalizer(task: KubeObject): Promise<void> {
    await removeFinalizer(this.#tasks, task, ETCD_DRUID_FINALIZER);
  }
}
