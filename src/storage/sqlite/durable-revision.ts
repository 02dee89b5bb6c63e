/**
 * Makes the SQLite store's commits durable off the event loop. The connection commits with
 * `synchronous = NORMAL` (in WAL mode: no fsync at commit), and this syncs the write-ahead log
 * through libuv's thread pool afterwards: one `fdatasync` covers every commit made before it
 * started, and commits made while one runs wait for the next. A commit is acknowledged, and its
 * revision is readable, only once such a sync covered it, so nothing a client saw can be lost
 * with the machine's power; the process that serves the shoot's API meanwhile goes on (with
 * `synchronous = FULL` one commit held that process's event loop for the whole fsync: up to
 * 400 ms on a disk that another process fills, docs/live-migration.md).
 *
 * A failed sync is final: after an fsync error the kernel may have dropped the dirty pages, so
 * no later sync can prove them written; every waiter, now and later, gets the error.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

/** Syncs an open file's data to disk. */
export type SyncFile = (fd: number) => Promise<void>;

/** `fdatasync(2)` in libuv's thread pool. */
export const syncFileData: SyncFile = (fd) =>
  new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

export interface DurableRevisionOptions {
  /** The write-ahead log's path; undefined for a store in memory, where committed is durable. */
  walPath: string | undefined;
  /** The store's current revision when it opened (read from disk, so durable). */
  revision: number;
  /** Called with each revision a sync made durable, before any waiter resumes. */
  onDurable: (revision: number) => void;
  /** How the log is synced (default `syncFileData`). */
  syncFile?: SyncFile;
}

/** Where the durable revision stands and how to move it: the store's side of the log's syncs. */
export class DurableRevision {
  readonly #walPath: string | undefined;
  readonly #syncFile: SyncFile;
  #fd: number | undefined;
  #committed = 0;
  #durable = 0;
  #syncing: Promise<void> | undefined;
  #failure: Error | undefined;
  readonly #onDurable: (revision: number) => void;

  constructor(options: DurableRevisionOptions) {
    this.#walPath = options.walPath;
    this.#syncFile = options.syncFile ?? syncFileData;
    this.#committed = options.revision;
    this.#durable = options.revision;
    this.#onDurable = options.onDurable;
  }

  /** The newest revision known to be on disk. */
  get durable(): number {
    return this.#durable;
  }

  /** The newest revision committed, durable or not. */
  get latest(): number {
    return this.#committed;
  }

  /** Records that `revision` was committed (not yet synced). */
  committed(revision: number): void {
    this.#committed = Math.max(this.#committed, revision);
    if (this.#walPath === undefined) this.#advance(this.#committed);
  }

  /** Resolves once every revision committed so far is durable; rejects once a sync failed. */
  async untilDurable(): Promise<void> {
    const target = this.#committed;
    while (this.#durable < target) {
      if (this.#failure) throw this.#failure;
      this.#syncing ??= this.#sync();
      await this.#syncing;
    }
    if (this.#failure) throw this.#failure;
  }

  /** Waits for a sync under way, then closes the log's descriptor. */
  async close(): Promise<void> {
    await this.#syncing?.catch(() => undefined);
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  async #sync(): Promise<void> {
    const target = this.#committed;
    try {
      // The log exists from the first commit on and stays while the connection is open.
      this.#fd ??= openSync(this.#walPath!, 'r');
      await this.#syncFile(this.#fd);
      this.#advance(target);
    } catch (err) {
      this.#failure = err as Error;
      throw err;
    } finally {
      this.#syncing = undefined;
    }
  }

  #advance(revision: number): void {
    if (revision <= this.#durable) return;
    this.#durable = revision;
    this.#onDurable(revision);
  }
}
