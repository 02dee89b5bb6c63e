/**
 * The backup sidecar's snapshotter (etcd-backup-restore's `server` minus its HTTP part): full
 * snapshots on a cron schedule and on demand, delta snapshots from a continuous watch, and
 * periodic garbage collection, for one etcd into one store.
 *
 * The store always holds a chain a restore can replay: a full snapshot at revision R, then deltas
 * `Incr-(R+1)-…`, each starting one after the previous snapshot's last revision. To keep it so:
 *
 * - Snapshot operations run one at a time.
 * - A full snapshot first saves as a delta everything etcd committed before it was asked for
 *   (once the watch delivered it). While it runs, watched events are held aside; once the full
 *   snapshot at R is saved, every held or buffered event at or below R is in it and is dropped,
 *   the rest start the next delta at R+1. If the full snapshot fails, nothing is dropped and the
 *   delta chain simply carries on.
 * - A delta that cannot be saved is kept and retried before newer events are saved.
 * - A watch whose start revision was compacted is bridged by a full snapshot, and watching
 *   resumes after it.
 *
 * This file orders the work (start and stop, the schedule, one operation at a time, the watch);
 * the events not yet saved and the chain's revision are `pending-deltas.ts`, the settings
 * `snapshotter-options.ts`, the reported health `snapshotter-health.ts`.
 */
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { collectGarbage } from '../garbage-collector.js';
import type { DeltaEvent } from '../snapshot-format.js';
import type { Snapshot, SnapshotKind, Snapstore } from '../snapstore/snapstore.js';
import { EtcdEventWatch } from './delta-snapshots.js';
import { connectEtcd, currentRevision, type EtcdConnection } from './etcd-connection.js';
import { takeFullSnapshot } from './full-snapshot.js';
import { PendingDeltas } from './pending-deltas.js';
import { HealthRecord, type SnapshotterHealth } from './snapshotter-health.js';
import type { SnapshotterObserver } from './snapshotter-observer.js';
import {
  MIN_PERIOD_MS,
  resolveSnapshotterSettings,
  type SnapshotterOptions,
  type SnapshotterSettings,
} from './snapshotter-options.js';

export type { EtcdConnection } from './etcd-connection.js';
export type { SnapshotterHealth } from './snapshotter-health.js';
export type { SnapshotterObserver } from './snapshotter-observer.js';
export type { SnapshotterOptions } from './snapshotter-options.js';

export interface LatestSnapshots {
  fullSnapshot: Snapshot | null;
  deltaSnapshots: Snapshot[];
}

/** How long an on-demand delta or stop() waits for the watch to deliver what etcd has committed. */
const CATCH_UP_TIMEOUT_MS = 5_000;
/** Pause between attempts at the full snapshot that bridges a compacted watch. */
const COMPACTION_RETRY_MS = 5_000;
/** setTimeout's limit; later fire times are reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Snapshotter {
  readonly #etcd: EtcdConnection;
  readonly #store: Snapstore;
  readonly #log: Logger;
  readonly #settings: SnapshotterSettings;
  readonly #startWithFullSnapshot: boolean;
  readonly #observer: SnapshotterObserver | undefined;

  #state: State = 'new';
  #stopped: Promise<void> | undefined;
  #client: Etcd3 | undefined;
  #watch: EtcdEventWatch | undefined;
  #lastFull: Snapshot | undefined;
  readonly #pending: PendingDeltas;
  #pausedForMemory = false;
  #flushQueued = false;
  #operations: Promise<unknown> = Promise.resolve();
  #gcRunning = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #health = new HealthRecord();

  /** Throws ScheduleSyntaxError for a bad `fullSnapshotSchedule`. */
  constructor(options: SnapshotterOptions) {
    this.#etcd = { ...options.etcd };
    this.#store = options.store;
    this.#log = options.logger;
    this.#settings = resolveSnapshotterSettings(options);
    this.#startWithFullSnapshot = options.startWithFullSnapshot === true;
    this.#observer = options.observer;
    this.#pending = new PendingDeltas(this.#settings.memoryLimit);
  }

  get #deltasEnabled(): boolean {
    return this.#settings.deltaPeriodMs >= MIN_PERIOD_MS;
  }

  /**
   * Takes a full snapshot when the store has none or the schedule has fired since its latest one,
   * then watches for deltas from the revision after the store's latest snapshot. Throws (and
   * holds nothing open) when the store or etcd cannot be read, the snapshot fails, or etcd is
   * behind the store (it must be restored first).
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`the snapshotter cannot start: it is ${this.#state}`);
    this.#state = 'starting';
    const client = connectEtcd(this.#etcd);
    this.#client = client;
    try {
      const snapshots = (await this.#store.list()).map((object) => object.snapshot);
      const latest = snapshots.at(-1);
      const latestFull = snapshots.filter((snapshot) => snapshot.kind === 'Full').at(-1);
      const revision = await currentRevision(client);
      if (latest && revision < latest.lastRevision) {
        throw new Error(
          `etcd at ${this.#etcd.endpoint} is at revision ${revision}, behind the latest snapshot ${latest.name} in ${this.#store.location}: restore it from the store first`,
        );
      }
      this.#pending.continueAfter(latest?.lastRevision ?? 0);
      this.#lastFull = latestFull;
      const latestIncr = snapshots.filter((snapshot) => snapshot.kind === 'Incr').at(-1);
      for (const found of [latestFull, latestIncr]) if (found) this.#observer?.latestSnapshot(found);
      const now = new Date();
      const missed = !latestFull || latestFull.createdOn * 1000 < this.#settings.schedule.previous(now).getTime();
      if (missed || this.#startWithFullSnapshot) {
        this.#log.info(
          {
            latestFull: latestFull?.name ?? null,
            schedule: this.#settings.schedule.expression,
            asked: this.#startWithFullSnapshot,
          },
          'taking the initial full snapshot',
        );
        await this.#serially(() => this.#fullSnapshot(false));
      }
      // stop() during the start has cleaned up already.
      if (this.#state !== 'starting') return;
      this.#state = 'running';
      if (this.#deltasEnabled) {
        this.#startWatch();
        this.#every(this.#settings.deltaPeriodMs, () => {
          if (!this.#pending.isEmpty) this.#requestFlush('period');
        });
      }
      this.#scheduleFullSnapshot();
      const gcPeriodMs = this.#settings.gc.periodMs;
      if (gcPeriodMs >= MIN_PERIOD_MS) this.#every(gcPeriodMs, () => void this.#collectGarbage());
      this.#log.info(
        {
          store: this.#store.location,
          fromRevision: this.#pending.chainRevision + 1,
          schedule: this.#settings.schedule.expression,
          deltaPeriodMs: this.#deltasEnabled ? this.#settings.deltaPeriodMs : 0,
        },
        'snapshotter started',
      );
    } catch (err) {
      this.#state = 'stopped';
      this.#clearTimers();
      this.#watch?.stop();
      client.close();
      throw new Error(
        `the backup sidecar of etcd ${this.#etcd.endpoint} (store ${this.#store.location}) could not start: ${errorMessage(err)}`,
        { cause: err },
      );
    }
  }

  /** Saves the events received so far as a last delta, then stops watching and closes the client. */
  stop(): Promise<void> {
    this.#stopped ??= this.#shutDown();
    return this.#stopped;
  }

  async #shutDown(): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopping';
    this.#clearTimers();
    const watch = this.#watch;
    if (watch) {
      await this.#catchUp(watch).catch(() => undefined);
      watch.stop();
      this.#watch = undefined;
    }
    try {
      await this.#serially(() => this.#flushDeltas());
    } catch (err) {
      this.#log.error(
        { err: errorMessage(err), events: this.#pending.events },
        'the last delta snapshot could not be saved; its events are lost from the backup',
      );
    }
    await this.#operations;
    this.#client?.close();
    this.#state = 'stopped';
    this.#log.info({ chainRevision: this.#pending.chainRevision }, 'snapshotter stopped');
  }

  /**
   * An out-of-schedule full snapshot. A final one when the latest full snapshot is already final
   * at etcd's current revision returns that one instead of taking another.
   */
  triggerFullSnapshot(options: { final?: boolean } = {}): Promise<Snapshot> {
    const client = this.#runningClient();
    return this.#serially(async () => {
      if (options.final && this.#lastFull?.isFinal) {
        const revision = await currentRevision(client);
        if (this.#lastFull.lastRevision === revision) return this.#lastFull;
      }
      return this.#fullSnapshot(options.final ?? false);
    });
  }

  /** Saves what etcd committed so far as a delta; undefined when there was nothing new. */
  async triggerDeltaSnapshot(): Promise<Snapshot | undefined> {
    this.#runningClient();
    if (!this.#deltasEnabled) {
      throw new Error(
        `delta snapshots are disabled (delta snapshot period ${this.#settings.deltaPeriodMs} ms is below 1 s)`,
      );
    }
    const watch = this.#watch;
    if (watch) await this.#catchUp(watch);
    return this.#serially(() => this.#recorded('Incr', () => this.#flushDeltas()));
  }

  /** The store's latest full snapshot and the deltas after it, read from the store. */
  async latest(): Promise<LatestSnapshots> {
    const snapshots = (await this.#store.list()).map((object) => object.snapshot);
    let fullIndex = snapshots.length - 1;
    while (fullIndex >= 0 && snapshots[fullIndex]?.kind !== 'Full') fullIndex--;
    if (fullIndex < 0) return { fullSnapshot: null, deltaSnapshots: [] };
    return {
      fullSnapshot: snapshots[fullIndex] as Snapshot,
      deltaSnapshots: snapshots.slice(fullIndex + 1).filter((snapshot) => snapshot.kind === 'Incr'),
    };
  }

  health(): SnapshotterHealth {
    return this.#health.report(this.#state === 'running');
  }

  #runningClient(): Etcd3 {
    if (this.#state !== 'running' || !this.#client) {
      throw new Error(`the snapshotter is ${this.#state === 'running' ? 'not connected' : this.#state}`);
    }
    return this.#client;
  }

  /** Runs `operation` after every operation queued before it. */
  #serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#operations.then(operation, operation);
    this.#operations = result.catch(() => undefined);
    return result;
  }

  /**
   * Runs a snapshot operation of `kind` and records its outcome in the health and, but for a
   * delta that had nothing to save, with the observer.
   */
  async #recorded<T extends Snapshot | undefined>(kind: SnapshotKind, operation: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const snapshot = await operation();
      this.#health.succeeded(snapshot);
      if (snapshot) {
        this.#observer?.snapshotAttempted(kind, true, seconds());
        this.#observer?.latestSnapshot(snapshot);
      }
      return snapshot;
    } catch (err) {
      this.#health.failed(errorMessage(err));
      this.#observer?.snapshotAttempted(kind, false, seconds());
      throw err;
    }
  }

  #fullSnapshot(final: boolean): Promise<Snapshot> {
    const client = this.#client as Etcd3;
    return this.#recorded('Full', async () => {
      const watch = this.#watch;
      if (watch) await this.#catchUp(watch).catch(() => undefined);
      this.#pending.hold();
      try {
        // Saving the pending deltas first keeps the older chain restorable up to (about) this
        // revision too. Not before a final snapshot: it is on a migration's critical path (the
        // API server is down) and holds every event they would — etcd-backup-restore does not
        // save them either. Should the snapshot fail they stay pending, for the next delta.
        if (!final) await this.#flushPendingBeforeFull();
        const { compression, tempDir, timeoutMs } = this.#settings;
        const snapshot = await takeFullSnapshot(client, this.#store, {
          compression,
          final,
          ...(tempDir ? { tempDir } : {}),
          signal: AbortSignal.timeout(timeoutMs),
          logger: this.#log,
        });
        this.#pending.coveredBy(snapshot);
        this.#lastFull = snapshot;
        return snapshot;
      } finally {
        this.#accept(this.#pending.release());
      }
    });
  }

  async #flushPendingBeforeFull(): Promise<void> {
    try {
      await this.#flushDeltas();
    } catch (err) {
      this.#log.warn(
        { err: errorMessage(err) },
        'pending deltas could not be saved before the full snapshot; the full snapshot will cover them',
      );
    }
  }

  /** Saves unsaved and buffered events as deltas, oldest first; the last one saved, if any. */
  async #flushDeltas(): Promise<Snapshot | undefined> {
    const { compression, timeoutMs } = this.#settings;
    const saved = await this.#pending.save(this.#store, { compression, timeoutMs, logger: this.#log });
    this.#checkMemory();
    return saved;
  }

  #requestFlush(reason: string): void {
    if (this.#flushQueued || this.#state !== 'running') return;
    this.#flushQueued = true;
    this.#serially(() => {
      this.#flushQueued = false;
      return this.#recorded('Incr', () => this.#flushDeltas());
    }).catch((err) => this.#log.error({ err: errorMessage(err), reason }, 'delta snapshot failed'));
  }

  /** Takes in watched events: held while a full snapshot runs, else buffered for the next delta. */
  #accept(events: readonly DeltaEvent[]): void {
    if (this.#pending.accept(events)) this.#requestFlush('memory limit');
    this.#checkMemory();
  }

  /**
   * Holds the watch back while more than the memory limit waits (a full snapshot runs, or
   * deltas cannot be saved), so events pile up in etcd rather than here.
   */
  #checkMemory(): void {
    const over = this.#pending.overMemoryLimit;
    if (over && !this.#pausedForMemory) {
      this.#pausedForMemory = true;
      this.#watch?.pause();
      this.#log.warn(
        { limitBytes: this.#settings.memoryLimit },
        'delta buffer full; pausing the watch until it drains',
      );
    } else if (!over && this.#pausedForMemory) {
      this.#pausedForMemory = false;
      this.#watch?.resume();
    }
  }

  #startWatch(): void {
    const watch = new EtcdEventWatch(
      this.#client as Etcd3,
      this.#pending.chainRevision + 1,
      {
        onEvents: (events) => this.#accept(events),
        onCompacted: (compactRevision) => {
          this.#watch = undefined;
          this.#log.warn(
            { fromRevision: watch.receivedThrough + 1, compactRevision },
            'the revisions the delta watch needs were compacted; taking a full snapshot to bridge them',
          );
          void this.#bridgeCompaction();
        },
      },
      this.#log,
    );
    this.#watch = watch;
    if (this.#pausedForMemory) watch.pause();
    watch.start();
  }

  async #bridgeCompaction(): Promise<void> {
    if (this.#state !== 'running') return;
    try {
      await this.#serially(() => this.#fullSnapshot(false));
    } catch (err) {
      this.#log.error({ err: errorMessage(err), retryInMs: COMPACTION_RETRY_MS }, 'bridging full snapshot failed');
      this.#after(COMPACTION_RETRY_MS, () => void this.#bridgeCompaction());
      return;
    }
    if (this.#state === 'running' && !this.#watch) this.#startWatch();
  }

  /** Waits until the watch delivered everything etcd committed before now (bounded). */
  async #catchUp(watch: EtcdEventWatch): Promise<void> {
    const revision = await currentRevision(this.#client as Etcd3);
    if (!(await watch.waitUntilReceived(revision, CATCH_UP_TIMEOUT_MS))) {
      this.#log.warn(
        { revision, receivedThrough: watch.receivedThrough },
        'the delta watch did not catch up with etcd in time; later events go into the next delta',
      );
    }
  }

  #scheduleFullSnapshot(): void {
    const now = Date.now();
    const next = this.#settings.schedule.next(new Date(now)).getTime();
    const delay = next - now;
    this.#after(Math.min(delay, MAX_TIMER_MS), () => {
      if (delay > MAX_TIMER_MS) {
        this.#scheduleFullSnapshot();
        return;
      }
      this.#serially(() => this.#fullSnapshot(false))
        .catch((err) => this.#log.error({ err: errorMessage(err) }, 'scheduled full snapshot failed'))
        .finally(() => {
          if (this.#state === 'running') this.#scheduleFullSnapshot();
        });
    });
  }

  async #collectGarbage(): Promise<void> {
    if (this.#gcRunning) return;
    this.#gcRunning = true;
    try {
      const { policy, maxBackups, deltaRetentionMs } = this.#settings.gc;
      await collectGarbage(this.#store, policy, new Date(), {
        maxBackups,
        deltaRetentionMs,
        logger: this.#log,
      });
    } catch (err) {
      this.#log.warn({ err: errorMessage(err), store: this.#store.location }, 'garbage collection failed');
    } finally {
      this.#gcRunning = false;
    }
  }

  #after(ms: number, fn: () => void): void {
    if (this.#state !== 'running') return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #every(ms: number, fn: () => void): void {
    this.#timers.add(setInterval(fn, ms));
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
