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
 */
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { collectGarbage, type GarbageCollectionPolicy } from '../garbage-collector.js';
import { type DeltaEvent, DeltaSnapshotWriter } from '../snapshot-format.js';
import type { Snapshot, Snapstore } from '../snapstore/snapstore.js';
import { EtcdEventWatch, saveDeltaSnapshot } from './delta-snapshots.js';
import { connectEtcd, currentRevision, type EtcdConnection } from './etcd-connection.js';
import { takeFullSnapshot } from './full-snapshot.js';
import { CronSchedule } from './schedule.js';

export type { EtcdConnection } from './etcd-connection.js';

export interface SnapshotterOptions {
  etcd: EtcdConnection;
  store: Snapstore;
  logger: Logger;
  /** Cron schedule (5 fields, UTC) of full snapshots; default `0 *\/1 * * *` (hourly). */
  fullSnapshotSchedule?: string;
  /** How often buffered events are saved as a delta; default 20 s; below 1 s disables deltas. */
  deltaSnapshotPeriodMs?: number;
  /** Buffered event bytes that trigger a delta before the period ends; default 100 MiB. */
  deltaSnapshotMemoryLimit?: number;
  /** Default none (etcd-druid's `spec.backup.compression.enabled: false`). */
  compression?: 'gzip' | 'none';
  garbageCollection?: {
    policy: GarbageCollectionPolicy;
    /** LimitBased: full snapshots kept; default 7. */
    maxBackups?: number;
    /** Default 60 s; below 1 s disables garbage collection. */
    periodMs?: number;
    /** How long deltas of older full snapshots are kept; default 0. */
    deltaRetentionMs?: number;
  };
  /** Where full snapshots are spooled before the upload; default the system temp dir. */
  tempDir?: string;
  /** Limit for one snapshot (stream and upload); default 15 min (etcd-druid's). */
  snapshotTimeoutMs?: number;
}

export interface SnapshotterHealth {
  /** Running, and the last snapshot attempt succeeded. */
  healthy: boolean;
  /** Why the last snapshot attempt failed, until one succeeds. */
  lastError?: string;
  lastSnapshot?: Snapshot;
  lastSnapshotAt?: Date;
}

export interface LatestSnapshots {
  fullSnapshot: Snapshot | null;
  deltaSnapshots: Snapshot[];
}

const DEFAULTS = Object.freeze({
  fullSnapshotSchedule: '0 */1 * * *',
  deltaSnapshotPeriodMs: 20_000,
  deltaSnapshotMemoryLimit: 100 * 1024 * 1024,
  compression: 'none' as const,
  garbageCollectionPolicy: 'Exponential' as const,
  garbageCollectionPeriodMs: 60_000,
  snapshotTimeoutMs: 15 * 60_000,
});

/** Periods below this disable deltas and garbage collection, as in etcd-backup-restore. */
const MIN_PERIOD_MS = 1_000;
/** How long an on-demand delta or stop() waits for the watch to deliver what etcd has committed. */
const CATCH_UP_TIMEOUT_MS = 5_000;
/** Pause between attempts at the full snapshot that bridges a compacted watch. */
const COMPACTION_RETRY_MS = 5_000;
/** setTimeout's limit; later fire times are reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** What a held event costs beyond its key and value (base64 growth, JSON field names). */
const EVENT_OVERHEAD_BYTES = 200;

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Snapshotter {
  readonly #etcd: EtcdConnection;
  readonly #store: Snapstore;
  readonly #log: Logger;
  readonly #schedule: CronSchedule;
  readonly #deltaPeriodMs: number;
  readonly #memoryLimit: number;
  readonly #compression: 'gzip' | 'none';
  readonly #gc: Required<NonNullable<SnapshotterOptions['garbageCollection']>>;
  readonly #tempDir: string | undefined;
  readonly #timeoutMs: number;

  #state: State = 'new';
  #stopped: Promise<void> | undefined;
  #client: Etcd3 | undefined;
  #watch: EtcdEventWatch | undefined;
  /** The last revision of the latest snapshot in the chain: the next delta starts after it. */
  #chainRevision = 0;
  #lastFull: Snapshot | undefined;
  /** Events after `#chainRevision` not yet in a saved delta. */
  #writer = new DeltaSnapshotWriter();
  /** Deltas whose save failed, oldest first; saved before `#writer`. */
  #unsaved: DeltaSnapshotWriter[] = [];
  /** Events that arrived while a full snapshot runs. */
  #held: DeltaEvent[] | undefined;
  #heldBytes = 0;
  #pausedForMemory = false;
  #flushQueued = false;
  #operations: Promise<unknown> = Promise.resolve();
  #gcRunning = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  #health: Omit<SnapshotterHealth, 'healthy'> & { failed: boolean } = { failed: false };

  /** Throws ScheduleSyntaxError for a bad `fullSnapshotSchedule`. */
  constructor(options: SnapshotterOptions) {
    this.#etcd = { ...options.etcd };
    this.#store = options.store;
    this.#log = options.logger;
    this.#schedule = CronSchedule.parse(options.fullSnapshotSchedule ?? DEFAULTS.fullSnapshotSchedule);
    this.#deltaPeriodMs = options.deltaSnapshotPeriodMs ?? DEFAULTS.deltaSnapshotPeriodMs;
    this.#memoryLimit = options.deltaSnapshotMemoryLimit ?? DEFAULTS.deltaSnapshotMemoryLimit;
    this.#compression = options.compression ?? DEFAULTS.compression;
    this.#gc = Object.freeze({
      policy: options.garbageCollection?.policy ?? DEFAULTS.garbageCollectionPolicy,
      maxBackups: options.garbageCollection?.maxBackups ?? 7,
      periodMs: options.garbageCollection?.periodMs ?? DEFAULTS.garbageCollectionPeriodMs,
      deltaRetentionMs: options.garbageCollection?.deltaRetentionMs ?? 0,
    });
    this.#tempDir = options.tempDir;
    this.#timeoutMs = options.snapshotTimeoutMs ?? DEFAULTS.snapshotTimeoutMs;
  }

  get #deltasEnabled(): boolean {
    return this.#deltaPeriodMs >= MIN_PERIOD_MS;
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
      this.#chainRevision = latest?.lastRevision ?? 0;
      this.#lastFull = latestFull;
      const now = new Date();
      const missed = !latestFull || latestFull.createdOn * 1000 < this.#schedule.previous(now).getTime();
      if (missed) {
        this.#log.info(
          { latestFull: latestFull?.name ?? null, schedule: this.#schedule.expression },
          'taking the initial full snapshot',
        );
        await this.#serially(() => this.#fullSnapshot(false));
      }
      // stop() during the start has cleaned up already.
      if (this.#state !== 'starting') return;
      this.#state = 'running';
      if (this.#deltasEnabled) {
        this.#startWatch();
        this.#every(this.#deltaPeriodMs, () => {
          if (this.#writer.events > 0 || this.#unsaved.length > 0) this.#requestFlush('period');
        });
      }
      this.#scheduleFullSnapshot();
      if (this.#gc.periodMs >= MIN_PERIOD_MS) this.#every(this.#gc.periodMs, () => void this.#collectGarbage());
      this.#log.info(
        {
          store: this.#store.location,
          fromRevision: this.#chainRevision + 1,
          schedule: this.#schedule.expression,
          deltaPeriodMs: this.#deltasEnabled ? this.#deltaPeriodMs : 0,
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
        { err: errorMessage(err), events: this.#bufferedEvents() },
        'the last delta snapshot could not be saved; its events are lost from the backup',
      );
    }
    await this.#operations;
    this.#client?.close();
    this.#state = 'stopped';
    this.#log.info({ chainRevision: this.#chainRevision }, 'snapshotter stopped');
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
      throw new Error(`delta snapshots are disabled (delta snapshot period ${this.#deltaPeriodMs} ms is below 1 s)`);
    }
    const watch = this.#watch;
    if (watch) await this.#catchUp(watch);
    return this.#serially(() => this.#recorded(() => this.#flushDeltas()));
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
    const { failed, ...rest } = this.#health;
    return { healthy: this.#state === 'running' && !failed, ...rest };
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

  /** Runs a snapshot operation and records its outcome in the health. */
  async #recorded<T extends Snapshot | undefined>(operation: () => Promise<T>): Promise<T> {
    try {
      const snapshot = await operation();
      this.#health = {
        failed: false,
        ...(snapshot
          ? { lastSnapshot: snapshot, lastSnapshotAt: new Date() }
          : pick(this.#health, 'lastSnapshot', 'lastSnapshotAt')),
      };
      return snapshot;
    } catch (err) {
      this.#health = { ...this.#health, failed: true, lastError: errorMessage(err) };
      throw err;
    }
  }

  #fullSnapshot(final: boolean): Promise<Snapshot> {
    const client = this.#client as Etcd3;
    return this.#recorded(async () => {
      const watch = this.#watch;
      if (watch) await this.#catchUp(watch).catch(() => undefined);
      this.#held = [];
      this.#heldBytes = 0;
      try {
        // Saving the pending deltas first keeps the older chain restorable up to (about) this
        // revision too. Not before a final snapshot: it is on a migration's critical path (the
        // API server is down) and holds every event they would — etcd-backup-restore does not
        // save them either. Should the snapshot fail they stay pending, for the next delta.
        if (!final) await this.#flushPendingBeforeFull();
        const snapshot = await takeFullSnapshot(client, this.#store, {
          compression: this.#compression,
          final,
          ...(this.#tempDir ? { tempDir: this.#tempDir } : {}),
          signal: AbortSignal.timeout(this.#timeoutMs),
          logger: this.#log,
        });
        // Everything buffered was committed before the revision was read: the snapshot has it.
        this.#writer = new DeltaSnapshotWriter();
        this.#unsaved = [];
        this.#chainRevision = snapshot.lastRevision;
        this.#lastFull = snapshot;
        return snapshot;
      } finally {
        const held = this.#held;
        this.#held = undefined;
        this.#heldBytes = 0;
        this.#accept(held);
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
    if (this.#writer.events > 0) {
      this.#unsaved.push(this.#writer);
      this.#writer = new DeltaSnapshotWriter();
    }
    let saved: Snapshot | undefined;
    while (this.#unsaved.length > 0) {
      const writer = this.#unsaved[0] as DeltaSnapshotWriter;
      const snapshot = await saveDeltaSnapshot(this.#store, this.#chainRevision, writer, {
        compression: this.#compression,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      this.#unsaved.shift();
      this.#chainRevision = snapshot.lastRevision;
      saved = snapshot;
      this.#log.info({ snapshot: snapshot.name, events: writer.events, bytes: writer.bytes }, 'delta snapshot saved');
    }
    this.#checkMemory();
    return saved;
  }

  #requestFlush(reason: string): void {
    if (this.#flushQueued || this.#state !== 'running') return;
    this.#flushQueued = true;
    this.#serially(() => {
      this.#flushQueued = false;
      return this.#recorded(() => this.#flushDeltas());
    }).catch((err) => this.#log.error({ err: errorMessage(err), reason }, 'delta snapshot failed'));
  }

  /** Takes in watched events: held while a full snapshot runs, else buffered for the next delta. */
  #accept(events: readonly DeltaEvent[]): void {
    for (const event of events) {
      if (event.kv.modRevision <= this.#chainRevision) continue;
      if (this.#held) {
        this.#held.push(event);
        this.#heldBytes += event.kv.key.length + event.kv.value.length + EVENT_OVERHEAD_BYTES;
      } else {
        this.#writer.append(event);
      }
    }
    if (!this.#held && this.#writer.bytes >= this.#memoryLimit) this.#requestFlush('memory limit');
    this.#checkMemory();
  }

  /**
   * Holds the watch back while more than the memory limit waits (a full snapshot runs, or
   * deltas cannot be saved), so events pile up in etcd rather than here.
   */
  #checkMemory(): void {
    const unsavedBytes = this.#unsaved.reduce((sum, writer) => sum + writer.bytes, 0);
    const over = this.#heldBytes >= this.#memoryLimit || unsavedBytes + this.#writer.bytes >= 2 * this.#memoryLimit;
    if (over && !this.#pausedForMemory) {
      this.#pausedForMemory = true;
      this.#watch?.pause();
      this.#log.warn({ limitBytes: this.#memoryLimit }, 'delta buffer full; pausing the watch until it drains');
    } else if (!over && this.#pausedForMemory) {
      this.#pausedForMemory = false;
      this.#watch?.resume();
    }
  }

  #bufferedEvents(): number {
    return this.#writer.events + this.#unsaved.reduce((sum, writer) => sum + writer.events, 0);
  }

  #startWatch(): void {
    const watch = new EtcdEventWatch(
      this.#client as Etcd3,
      this.#chainRevision + 1,
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
    const next = this.#schedule.next(new Date(now)).getTime();
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
      await collectGarbage(this.#store, this.#gc.policy, new Date(), {
        maxBackups: this.#gc.maxBackups,
        deltaRetentionMs: this.#gc.deltaRetentionMs,
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

function pick<T extends object, K extends keyof T>(value: T, ...keys: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) picked[key] = value[key];
  return picked;
}
