/**
 * Tells the garden how far this seed's copy and restore of a moving shoot's etcd backups got: the
 * bytes the EtcdCopyBackupsTask copied from the source seed's bucket, then the bytes the restore
 * of etcd-main fetched and the keys it restored. The garden knows neither (the copy and the
 * restore happen in the seed), and `transplant migrate` talks to the garden only. Each shoot's
 * numbers go into the annotation `RESTORE_PROGRESS_ANNOTATION` of its own garden BackupEntry
 * (src/api/core-gardener/restore-progress.ts), as backup-age-reporter.ts writes the backup age.
 *
 * Why the shoot's own entry (`<technical id>--<shoot uid>`) and not the Restore's `source-…` one:
 * project members may read both and this seed may patch both while they are placed on it, but
 * the source entry is deleted at the Restore's end, while the own entry stays (the last numbers
 * with it); it is where the restore reads from; and the command names it from the shoot alone.
 *
 * The copy and the restore only call `copied` and `restored`, which never wait for the garden nor
 * throw: at most one write per entry and interval (1 s), plus one at once when a phase ends. A
 * failed write is logged (the first of a streak as a warning) and tried again with the next
 * update, or after a back-off when none comes; an entry that is gone or not this seed's (404,
 * 403) gets no writes for a minute.
 */
import type { Logger } from 'pino';
import { BACKUP_SOURCE_PREFIX, backupEntryResource } from '../../api/core-gardener/backup-entry.js';
import {
  formatRestoreProgress,
  RESTORE_PROGRESS_ANNOTATION,
  type RestoreProgressReport,
} from '../../api/core-gardener/restore-progress.js';
import { isForbidden, isNotFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { CopyProgress } from '../../backup/copy-progress.js';
import type { RestoreProgress } from '../../backup/restorer/index.js';
import type { Client } from '../../client/client.js';
import { entryNameOfEtcdBackupPrefix } from '../extensions/backup-actuators.js';
import { shootKeysOf } from './shoot-labels.js';

export interface RestoreProgressReporterOptions {
  garden: Client;
  logger: Logger;
  /** The least time between two writes of one entry's annotation; default 1 s. */
  intervalMs?: number;
  /** Default `Date.now`. */
  now?: () => number;
}

/** A garden BackupEntry: the shoot's project namespace and the entry's name. */
export interface BackupEntryKey {
  namespace: string;
  name: string;
}

/** The longest wait before a failed write is tried again when no update comes. */
const MAX_RETRY_MS = 30_000;
/** How long an entry the garden refused (404, 403) gets no writes. */
const REFUSED_MS = 60_000;

/**
 * The shoot's own garden BackupEntry of a seed object the gardenlet stamped with its shoot
 * (shoot-labels.ts: the Etcd, the EtcdCopyBackupsTask) whose backups are at the store prefix
 * `prefix` (`<entry>/etcd-main`); none for other objects.
 */
export function backupEntryOf(obj: KubeObject, prefix: string | undefined): BackupEntryKey | undefined {
  const shoot = shootKeysOf(obj)[0];
  const name = prefix === undefined ? undefined : entryNameOfEtcdBackupPrefix(prefix);
  if (!shoot || !name || name.startsWith(`${BACKUP_SOURCE_PREFIX}-`)) return undefined;
  return { namespace: shoot.namespace, name };
}

/** The report of a copy: objects already in this seed's bucket count as copied. */
export function copyReport(progress: CopyProgress, updated: Date): RestoreProgressReport {
  return {
    phase: 'Copy',
    ...(progress.phase === 'done' ? { done: true } : {}),
    copiedBytes: Math.min(progress.totalBytes, progress.copiedBytes + progress.skippedBytes),
    copyTotalBytes: progress.totalBytes,
    updated: updated.toISOString(),
  };
}

/** The report of a restore, keeping the copy's numbers from the report before it. */
export function restoreReport(
  previous: RestoreProgressReport | undefined,
  progress: RestoreProgress,
  updated: Date,
): RestoreProgressReport {
  return {
    phase: 'Restore',
    ...(progress.stage === 'done' ? { done: true } : {}),
    ...(previous?.copiedBytes !== undefined ? { copiedBytes: previous.copiedBytes } : {}),
    ...(previous?.copyTotalBytes !== undefined ? { copyTotalBytes: previous.copyTotalBytes } : {}),
    fetchedBytes: progress.fetchedBytes,
    fetchTotalBytes: progress.totalBytes,
    restoredKeys: progress.restoredKeys,
    ...(progress.totalKeys !== undefined ? { totalKeys: progress.totalKeys } : {}),
    updated: updated.toISOString(),
  };
}

/** What is known and written of one entry. */
interface EntryState {
  readonly key: BackupEntryKey;
  report: RestoreProgressReport;
  /** The value the garden holds, as far as this seed knows. */
  written?: string;
  /** The value whose write failed last; written again after a back-off unless an update comes. */
  failed?: string;
  failures: number;
  /** Until when the garden's refusal stands: no writes before. */
  refusedUntil: number;
  lastWriteAt: number;
  writing: boolean;
  timer?: NodeJS.Timeout;
}

export class RestoreProgressReporter {
  readonly #options: Readonly<RestoreProgressReporterOptions>;
  readonly #intervalMs: number;
  readonly #now: () => number;
  /** By `<namespace>/<name>`. */
  readonly #entries = new Map<string, EntryState>();
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;

  constructor(options: RestoreProgressReporterOptions) {
    this.#options = Object.freeze({ ...options });
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** A copy's counters changed (CopyBackupsTaskReconciler's `onProgress`). */
  copied(entry: BackupEntryKey, progress: CopyProgress): void {
    this.#update(entry, () => copyReport(progress, new Date(this.#now())));
  }

  /** A restore's counters changed (EtcdReconciler's `onRestoreProgress`). */
  restored(entry: BackupEntryKey, progress: RestoreProgress): void {
    this.#update(entry, (previous) => restoreReport(previous, progress, new Date(this.#now())));
  }

  /** Resolves once nothing waits to be written and no write is under way. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0 || [...this.#entries.values()].some((s) => s.timer)) {
      await Promise.race([...this.#inFlight, new Promise((resolve) => setTimeout(resolve, 10))]);
    }
  }

  /** Writes nothing more; resolves once the writes under way ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const state of this.#entries.values()) clearTimeout(state.timer);
    this.#entries.clear();
    await Promise.allSettled([...this.#inFlight]);
  }

  #update(key: BackupEntryKey, next: (previous: RestoreProgressReport | undefined) => RestoreProgressReport): void {
    if (this.#stopped) return;
    const id = `${key.namespace}/${key.name}`;
    const known = this.#entries.get(id);
    const report = next(known?.report);
    const state: EntryState = known ?? {
      key,
      report,
      failures: 0,
      refusedUntil: 0,
      lastWriteAt: Number.NEGATIVE_INFINITY,
      writing: false,
    };
    state.report = report;
    this.#entries.set(id, state);
    this.#schedule(id, state);
  }

  /** Writes the entry's report now, or sets a timer for when it may be written. */
  #schedule(id: string, state: EntryState): void {
    if (this.#stopped || state.writing || this.#now() < state.refusedUntil) return;
    const value = formatRestoreProgress(state.report);
    if (value === state.written) return;
    if (value === state.failed) {
      this.#later(id, state, Math.min(MAX_RETRY_MS, this.#intervalMs * 2 ** state.failures));
      return;
    }
    const wait = state.report.done ? 0 : state.lastWriteAt + this.#intervalMs - this.#now();
    if (wait <= 0) this.#write(id, state, value);
    else this.#later(id, state, wait);
  }

  #later(id: string, state: EntryState, ms: number): void {
    if (state.timer) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (this.#stopped || state.writing) return;
      const value = formatRestoreProgress(state.report);
      if (value !== state.written) this.#write(id, state, value);
    }, ms);
    state.timer.unref();
  }

  #write(id: string, state: EntryState, value: string): void {
    clearTimeout(state.timer);
    state.timer = undefined;
    state.writing = true;
    state.lastWriteAt = this.#now();
    const { namespace, name } = state.key;
    const log = this.#options.logger;
    const write = this.#options.garden
      .resource(backupEntryResource)
      .patch(namespace, name, { metadata: { annotations: { [RESTORE_PROGRESS_ANNOTATION]: value } } })
      .then(
        () => {
          state.written = value;
          state.failed = undefined;
          state.failures = 0;
          // A restore that ended ends what there is to tell for this entry.
          if (state.report.done && state.report.phase === 'Restore' && formatRestoreProgress(state.report) === value) {
            this.#entries.delete(id);
          }
        },
        (err: unknown) => {
          if (isNotFound(err) || isForbidden(err)) {
            log.info(
              { entry: id, err: (err as Error).message },
              'not reporting restore progress for a minute: the garden refused the BackupEntry',
            );
            state.refusedUntil = this.#now() + REFUSED_MS;
            return;
          }
          state.failed = value;
          state.failures++;
          // A warning once per streak: a garden that is down would otherwise get one a second.
          const fields = { entry: id, err: (err as Error).message, failures: state.failures };
          const message = 'could not report restore progress to the garden; will retry';
          if (state.failures === 1) log.warn(fields, message);
          else log.debug(fields, message);
        },
      )
      .finally(() => {
        state.writing = false;
        this.#inFlight.delete(write);
        if (this.#entries.get(id) === state) this.#schedule(id, state);
      });
    this.#inFlight.add(write);
  }
}
