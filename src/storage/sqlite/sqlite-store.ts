/**
 * The SQLite backend of `Storage`: one file (or `:memory:`) owned by this process. Every write
 * is one transaction that bumps the global revision, changes `kv` and appends to `history`;
 * watches replay `history` and then follow an in-process feed fired after each commit.
 *
 * better-sqlite3 is synchronous, so a transaction never interleaves with another request: only
 * `guaranteedUpdate`'s async `tryUpdate` runs between reading and writing, and a revision check
 * on write covers it. The write-ahead log is synced after the commit, off the event loop
 * (`DurableRevision`): a write is acknowledged, fed to watchers and returned by reads only once
 * it is on disk.
 */
import Database from 'better-sqlite3';
import type { KubeObject } from '../../api/meta.js';
import { decodeContinue, encodeContinue } from '../continue-token.js';
import {
  isStorageError,
  type ListOptions,
  type ListResult,
  type Preconditions,
  type RawListResult,
  type Storage,
  StorageError,
  type StoreEventType,
  type UpdateFunc,
  type Watcher,
  type WatchOptions,
} from '../interface.js';
import { checkPreconditions } from '../preconditions.js';
import { BufferedWatcher } from './buffered-watcher.js';
import type { ChangeRecord } from './change-record.js';
import { DurableRevision, type SyncFile } from './durable-revision.js';
import { type KeyRange, prefixRange } from './key-range.js';
import { META, openDatabase } from './sqlite-schema.js';
import { type KvRow, prepareStatements, type Statements } from './sqlite-statements.js';

export interface SqliteStoreOptions {
  /** The database file, created when missing; `:memory:` for a store that lives with the process. */
  path: string;
  /**
   * How much history automatic compaction keeps for resuming watches: at least the last
   * `revisions` writes (default 10_000) and at least the writes of the last `seconds` (default 300).
   */
  historyRetention?: { revisions?: number; seconds?: number };
  /** How often automatic compaction runs, in ms (default 60_000); 0 turns it off. */
  compactionIntervalMs?: number;
  /** Events one watcher may have queued before it fails with `Expired` (default 10_000). */
  watchBufferLimit?: number;
  /** How the write-ahead log is synced after commits (default `fdatasync` in libuv's pool). */
  syncFile?: SyncFile;
}

const DEFAULTS = Object.freeze({
  retainedRevisions: 10_000,
  retainedSeconds: 300,
  compactionIntervalMs: 60_000,
  watchBufferLimit: 10_000,
});

/** Rows a filtered list reads per query while it looks for `limit` matches. */
const MIN_SCAN_BATCH = 500;

export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}

export class SqliteStore implements Storage {
  readonly #db: Database.Database;
  readonly #stmt: Statements;
  readonly #retention: { revisions: number; seconds: number };
  readonly #watchBufferLimit: number;
  readonly #watchers = new Set<BufferedWatcher>();
  readonly #compactionTimer: NodeJS.Timeout | undefined;
  readonly #durability: DurableRevision;
  /** Committed writes not yet on disk, oldest first: fed to watchers once a sync covers them. */
  #undurable: ChangeRecord[] = [];

  constructor(options: SqliteStoreOptions) {
    this.#db = run(options.path, () => openDatabase(options.path));
    this.#stmt = prepareStatements(this.#db);
    this.#durability = new DurableRevision({
      walPath: this.#db.memory ? undefined : `${this.#db.name}-wal`,
      revision: this.#meta(META.currentRevision),
      onDurable: (revision) => this.#feed(revision),
      ...(options.syncFile ? { syncFile: options.syncFile } : {}),
    });
    this.#retention = {
      revisions: options.historyRetention?.revisions ?? DEFAULTS.retainedRevisions,
      seconds: options.historyRetention?.seconds ?? DEFAULTS.retainedSeconds,
    };
    this.#watchBufferLimit = options.watchBufferLimit ?? DEFAULTS.watchBufferLimit;
    this.#compactionTimer = this.#startCompaction(options.compactionIntervalMs ?? DEFAULTS.compactionIntervalMs);
  }

  async create(key: string, obj: KubeObject): Promise<KubeObject> {
    return this.#writeOnce(key, () => this.#createTx(key, obj));
  }

  async get(key: string): Promise<KubeObject> {
    return JSON.parse(await this.#read(key, () => this.#readRow(key).value));
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const predicate = options.predicate;
    const keep = (value: string) => {
      const obj: KubeObject = JSON.parse(value);
      return !predicate || predicate(obj) ? obj : undefined;
    };
    return this.#page(prefix, options, keep, predicate !== undefined);
  }

  async listRaw(prefix: string, options: Pick<ListOptions, 'limit' | 'continue'> = {}): Promise<RawListResult> {
    return this.#page(prefix, options, (value) => value, false);
  }

  /** One page of the range; `keep` decodes a stored value or drops it (a predicate miss). */
  #page<T>(
    prefix: string,
    options: Pick<ListOptions, 'limit' | 'continue'>,
    keep: (value: string) => T | undefined,
    filtered: boolean,
  ): Promise<{ items: T[]; resourceVersion: string; continue?: string; remainingItemCount?: number }> {
    return this.#read(prefix, () => {
      const position = options.continue ? decodeContinue(options.continue, prefix) : undefined;
      const range = prefixRange(prefix);
      const limit = options.limit && options.limit > 0 ? options.limit : 0;
      const page = this.#scan(range, position?.start, limit, keep, filtered);
      // Later pages report the first page's revision: a watch from it then misses nothing that
      // changed while the client was paging.
      const rv = position?.rv ?? this.#meta(META.currentRevision);
      const result: { items: T[]; resourceVersion: string; continue?: string; remainingItemCount?: number } = {
        items: page.items,
        resourceVersion: String(rv),
      };
      if (page.more && page.lastKey !== undefined) {
        result.continue = encodeContinue({ start: page.lastKey, rv });
        if (!filtered) result.remainingItemCount = this.#stmt.countAfter.get(page.lastKey, range.end)!;
      }
      return result;
    });
  }

  /**
   * Retries until `tryUpdate`'s result is written on top of the very revision it was computed
   * from. A result equal to the current object writes nothing, like `null`, so no-op updates
   * keep the resourceVersion (as the Kubernetes apiserver does).
   */
  async guaranteedUpdate(key: string, tryUpdate: UpdateFunc, preconditions?: Preconditions): Promise<KubeObject> {
    try {
      for (;;) {
        const row = this.#run(key, () => this.#readRow(key));
        const current: KubeObject = JSON.parse(row.value);
        checkPreconditions(key, current, preconditions);
        const updated = await tryUpdate(current);
        if (updated === null || stamp(updated, row.modRevision) === row.value) {
          await this.#untilDurable(key);
          return JSON.parse(row.value);
        }
        const record = this.#run(key, () => this.#updateTx(key, updated, row.modRevision));
        if (record) return await this.#committed(key, record);
      }
    } catch (err) {
      throw await this.#onceDurable(key, err);
    }
  }

  async delete(key: string, preconditions?: Preconditions): Promise<KubeObject> {
    return this.#writeOnce(key, () => this.#deleteTx(key, preconditions));
  }

  /** One write transaction, returned once on disk; its refusal too (`#onceDurable`). */
  async #writeOnce(key: string, tx: () => ChangeRecord): Promise<KubeObject> {
    try {
      return await this.#committed(key, this.#run(key, tx));
    } catch (err) {
      throw await this.#onceDurable(key, err);
    }
  }

  /**
   * Failures (a compacted `resourceVersion`: `Expired`; a closed store: `Unreachable`) do not
   * throw here: the returned watcher's iteration throws them on its first step, the same way it
   * reports falling behind later on.
   */
  watch(prefix: string, options: WatchOptions = {}): Watcher {
    const from = parseRevision(options.resourceVersion);
    const watcher = new BufferedWatcher({
      prefix,
      // From now (0): after the newest commit, durable or not; registration is synchronous.
      afterRevision: from || this.#durability.latest,
      bufferLimit: this.#watchBufferLimit,
      onEnd: (ended) => this.#watchers.delete(ended),
    });
    try {
      if (from === undefined) {
        throw new StorageError('Internal', prefix, `invalid resource version "${options.resourceVersion}"`);
      }
      this.#run(prefix, () => this.#startWatch(watcher, from));
    } catch (err) {
      if (!isStorageError(err)) throw err;
      watcher.fail(err);
    }
    return watcher;
  }

  async currentRevision(): Promise<number> {
    return this.#read('', () => this.#meta(META.currentRevision));
  }

  /** The revision at or below which history is gone; watches from below it fail with `Expired`. */
  async compactedRevision(): Promise<number> {
    return this.#read('', () => this.#meta(META.compactedRevision));
  }

  /** Drops history at or below `revision`, capped at the current revision. */
  async compact(revision: number): Promise<void> {
    this.#run('', () => this.#compactTx(revision));
  }

  /**
   * Compacts the history outside the retention window, as the timer does; returns the compacted
   * revision afterwards.
   */
  async applyRetention(now: number = Date.now()): Promise<number> {
    return this.#run('', () => {
      const byCount = this.#meta(META.currentRevision) - this.#retention.revisions;
      const byAge = this.#stmt.newestRevisionBefore.get(now - this.#retention.seconds * 1000) ?? 0;
      this.#compactTx(Math.min(byCount, byAge));
      return this.#meta(META.compactedRevision);
    });
  }

  /** Stops compaction, ends every watch normally, and closes the database. Safe to call twice. */
  async close(): Promise<void> {
    clearInterval(this.#compactionTimer);
    for (const watcher of this.#watchers) watcher.stop();
    if (this.#db.open) this.#db.close();
    await this.#durability.close();
  }

  #startCompaction(intervalMs: number): NodeJS.Timeout | undefined {
    if (intervalMs <= 0) return undefined;
    const timer = setInterval(() => {
      this.applyRetention().catch((err) => process.emitWarning(err, 'SqliteStoreCompaction'));
    }, intervalMs);
    // Compaction alone must not keep the process alive.
    return timer.unref();
  }

  /**
   * Registers the watcher for live events before reading history, so no commit can fall between
   * replay and live delivery; the watcher drops revisions it already has. History is replayed
   * through the durable revision: later commits reach the watcher when their sync completes.
   */
  #startWatch(watcher: BufferedWatcher, from: number): void {
    if (from > 0) {
      const compacted = this.#meta(META.compactedRevision);
      if (from < compacted) {
        throw new StorageError('Expired', watcher.prefix, `too old resource version: ${from} (${compacted})`);
      }
    }
    this.#watchers.add(watcher);
    if (from === 0) return;
    const range = prefixRange(watcher.prefix);
    const durable = this.#durability.durable;
    for (const record of this.#stmt.historyAfter.iterate(from, range.start, range.end)) {
      if (record.revision > durable) break;
      watcher.push(record);
    }
  }

  /** Up to `limit` (0: all) values of the range after key `after` that `keep` keeps. */
  #scan<T>(
    range: KeyRange,
    after: string | undefined,
    limit: number,
    keep: (value: string) => T | undefined,
    filtered: boolean,
  ): { items: T[]; lastKey: string | undefined; more: boolean } {
    // One more row than needed tells whether another page exists; -1 is "no LIMIT" to SQLite.
    const batchSize = limit === 0 ? -1 : Math.max(limit + 1, filtered ? MIN_SCAN_BATCH : 0);
    const items: T[] = [];
    let lastKey = after;
    for (;;) {
      const rows =
        lastKey === undefined
          ? this.#stmt.scanFrom.all(range.start, range.end, batchSize)
          : this.#stmt.scanAfter.all(lastKey, range.end, batchSize);
      for (const [key, value] of rows) {
        if (limit > 0 && items.length === limit) return { items, lastKey, more: true };
        lastKey = key;
        const kept = keep(value);
        if (kept !== undefined) items.push(kept);
      }
      if (batchSize < 0 || rows.length < batchSize) return { items, lastKey, more: false };
    }
  }

  #readRow(key: string): KvRow {
    const row = this.#stmt.getRow.get(key);
    if (!row) throw new StorageError('NotFound', key);
    return row;
  }

  #meta(name: string): number {
    return this.#stmt.getMeta.get(name)!;
  }

  #createTx(key: string, obj: KubeObject): ChangeRecord {
    return this.#transaction(() => {
      if (this.#stmt.getRow.get(key)) throw new StorageError('KeyExists', key);
      return this.#write(key, 'ADDED', obj, null);
    });
  }

  /** Writes only when the row is still at `expectedRevision`; undefined tells the caller to retry. */
  #updateTx(key: string, obj: KubeObject, expectedRevision: number): ChangeRecord | undefined {
    return this.#transaction(() => {
      const row = this.#stmt.getRow.get(key);
      if (!row || row.modRevision !== expectedRevision) return undefined;
      return this.#write(key, 'MODIFIED', obj, row.value);
    });
  }

  #deleteTx(key: string, preconditions: Preconditions | undefined): ChangeRecord {
    return this.#transaction(() => {
      const row = this.#readRow(key);
      const current: KubeObject = JSON.parse(row.value);
      checkPreconditions(key, current, preconditions);
      return this.#write(key, 'DELETED', current, row.value);
    });
  }

  #compactTx(revision: number): void {
    this.#transaction(() => {
      const target = Math.min(revision, this.#meta(META.currentRevision));
      if (target <= this.#meta(META.compactedRevision)) return;
      this.#stmt.deleteHistoryThrough.run(target);
      this.#stmt.setMeta.run(target, META.compactedRevision);
    });
  }

  /** One write, inside a transaction: the next revision, the state change, and its history row. */
  #write(key: string, type: StoreEventType, obj: KubeObject, prevValue: string | null): ChangeRecord {
    const revision = this.#meta(META.currentRevision) + 1;
    const record: ChangeRecord = { revision, key, type, value: stamp(obj, revision), prevValue };
    this.#stmt.setMeta.run(revision, META.currentRevision);
    if (type === 'ADDED') this.#stmt.insertRow.run(record);
    else if (type === 'MODIFIED') this.#stmt.updateRow.run(record);
    else this.#stmt.deleteRow.run(key);
    this.#stmt.insertHistory.run({ ...record, createdAt: Date.now() });
    return record;
  }

  /** Waits until a committed change is on disk (and fed to watchers), then returns the written object. */
  async #committed(key: string, record: ChangeRecord): Promise<KubeObject> {
    this.#undurable.push(record);
    this.#durability.committed(record.revision);
    await this.#untilDurable(key);
    return JSON.parse(record.value);
  }

  /** Feeds the committed changes through `revision`, now on disk, to the watchers of their keys, in order. */
  #feed(revision: number): void {
    let fed = 0;
    for (const record of this.#undurable) {
      if (record.revision > revision) break;
      fed++;
      for (const watcher of this.#watchers) {
        if (record.key.startsWith(watcher.prefix)) watcher.push(record);
      }
    }
    this.#undurable = this.#undurable.slice(fed);
  }

  /** A read that returns once everything it could have seen is on disk. */
  async #read<T>(key: string, fn: () => T): Promise<T> {
    let result: T;
    try {
      result = this.#run(key, fn);
    } catch (err) {
      throw await this.#onceDurable(key, err);
    }
    await this.#untilDurable(key);
    return result;
  }

  /**
   * What to fail with, once everything the failure could have seen is on disk: an answer about
   * the data (NotFound, KeyExists, a failed precondition, an update function's refusal) may rest
   * on a commit not yet synced, so it waits like a read; a store that cannot answer does not.
   */
  async #onceDurable(key: string, err: unknown): Promise<unknown> {
    if (isStorageError(err, 'Unreachable') || isStorageError(err, 'Internal')) return err;
    try {
      await this.#untilDurable(key);
    } catch (syncFailure) {
      return syncFailure;
    }
    return err;
  }

  async #untilDurable(key: string): Promise<void> {
    try {
      await this.#durability.untilDurable();
    } catch (err) {
      throw new StorageError('Internal', key, `sqlite: syncing the write-ahead log failed: ${(err as Error).message}`);
    }
  }

  /** Runs `fn` as an IMMEDIATE transaction: the write lock is taken up front, never upgraded. */
  #transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  #run<T>(key: string, fn: () => T): T {
    if (!this.#db.open) throw new StorageError('Unreachable', key, 'the store is closed');
    return run(key, fn);
  }
}

/**
 * Runs `fn`, turning SQLite failures into `StorageError`s: a lock held elsewhere is
 * `Unreachable` (worth a retry), anything else `Internal`. Other errors pass unchanged.
 */
function run<T>(key: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof Database.SqliteError)) throw err;
    const busy = err.code.startsWith('SQLITE_BUSY') || err.code.startsWith('SQLITE_LOCKED');
    const wrapped = new StorageError(busy ? 'Unreachable' : 'Internal', key, `sqlite: ${err.message}`);
    wrapped.cause = err;
    throw wrapped;
  }
}

/** The JSON stored and returned for `obj` written at `revision`; input resourceVersions are ignored. */
function stamp(obj: KubeObject, revision: number): string {
  return JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } });
}

/** A watch's starting revision: 0 for "from now" (undefined, empty or "0"), undefined when malformed. */
function parseRevision(resourceVersion: string | undefined): number | undefined {
  if (resourceVersion === undefined || resourceVersion === '') return 0;
  const revision = Number(resourceVersion);
  return /^\d+$/.test(resourceVersion) && Number.isSafeInteger(revision) ? revision : undefined;
}
