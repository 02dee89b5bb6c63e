/**
 * The store interface every backend implements (SQLite for the garden and the seeds, etcd for
 * the shoot API servers). It knows keys, JSON objects and revisions only; no backend type leaks
 * through it. Backends throw `StorageError` only; `interpret-errors.ts` turns those into API
 * errors.
 *
 * Revisions: one counter per store, incremented by every write. An object's
 * `metadata.resourceVersion` is the decimal revision of its last write. Objects handed to the
 * store may carry any resourceVersion; the store overwrites it.
 */
import type { KubeObject } from '../api/meta.js';

export interface Preconditions {
  /** The object's uid must equal this. */
  uid?: string;
  /** The object's current resourceVersion must equal this (optimistic concurrency). */
  resourceVersion?: string;
}

/**
 * Computes the new object from the current one. Returning `null` means "no change": the store
 * writes nothing and returns the current object. May throw any error; it propagates unchanged.
 * May be called more than once when a backend retries after a concurrent write.
 */
export type UpdateFunc = (current: KubeObject) => KubeObject | null | Promise<KubeObject | null>;

export interface ListOptions {
  /** Keep only objects for which this returns true; applied before `limit`. */
  predicate?: (obj: KubeObject) => boolean;
  /**
   * False for keys whose objects `predicate` would refuse, told by the key alone (a field
   * selector on `metadata.name`): a backend may then leave their values unread. It never widens
   * the result, so a backend may also ignore it.
   */
  keyFilter?: (key: string) => boolean;
  /** At most this many items; 0 or undefined means all. */
  limit?: number;
  /** Opaque token from a previous `ListResult.continue`. */
  continue?: string;
}

export interface ListResult {
  items: KubeObject[];
  /** The store revision the list reflects. */
  resourceVersion: string;
  /** Set when more items remain. */
  continue?: string;
  /** Items remaining after this page when the backend can tell cheaply, without the predicate. */
  remainingItemCount?: number;
}

/** A page of stored objects as JSON text, each a complete object with its resourceVersion. */
export interface RawListResult {
  items: string[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: StoreEventType;
  key: string;
  /** The object after the change; for DELETED, its last state with the deletion's revision. */
  object: KubeObject;
  /** The object before the change (MODIFIED, DELETED). */
  prevObject?: KubeObject;
  revision: number;
}

export interface WatchOptions {
  /**
   * Deliver every event with a revision greater than this. Undefined or "0": from now on.
   * A revision older than the compacted one fails with `StorageError` code `Expired`.
   */
  resourceVersion?: string;
}

/**
 * Every change at or below `revision` has been delivered by the watch that yields this (a
 * `watchProgress` watch), also where none of them was under its prefix: a quiet watch's position.
 */
export interface StoreProgress {
  type: 'PROGRESS';
  revision: number;
}

/** A running watch: an async stream of events (and, from `watchProgress`, progress), ended by `stop()`. */
export interface Watcher<T = StoreEvent> extends AsyncIterable<T> {
  stop(): void;
}

export interface Storage {
  /** Stores a new object under `key`; fails with `KeyExists` when the key is taken. */
  create(key: string, obj: KubeObject): Promise<KubeObject>;
  /** The object under `key`; `NotFound` when absent. */
  get(key: string): Promise<KubeObject>;
  /** Objects whose key starts with `prefix`, in key order. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /**
   * Like `list` without a predicate, with the items as stored JSON text: a server can send them
   * without decoding and encoding every object. Optional; backends that store another form omit it.
   */
  listRaw?(prefix: string, options?: Pick<ListOptions, 'limit' | 'continue'>): Promise<RawListResult>;
  /** The only way to change an object: read, compute, write if nothing changed meanwhile. */
  guaranteedUpdate(key: string, tryUpdate: UpdateFunc, preconditions?: Preconditions): Promise<KubeObject>;
  /** Removes the object; returns its last state with the deletion's revision. */
  delete(key: string, preconditions?: Preconditions): Promise<KubeObject>;
  /** Events for keys starting with `prefix`. */
  watch(prefix: string, options?: WatchOptions): Watcher;
  /**
   * `watch`, with the watch's progress among its events as the backend learns it (etcd's progress
   * notifications): a client told the progress of a quiet watch resumes it from there, and the
   * backend need not replay every change since the client's last event to find it nothing.
   * Optional: a backend that cannot tell its progress omits it.
   */
  watchProgress?(prefix: string, options?: WatchOptions): Watcher<StoreEvent | StoreProgress>;
  /** The store's current revision. */
  currentRevision(): Promise<number>;
  /** Drops history at or below `revision`; watches from there on fail with `Expired`. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export type StorageErrorCode =
  | 'NotFound'
  | 'KeyExists'
  | 'Conflict'
  | 'Expired'
  | 'InvalidContinue'
  | 'Unreachable'
  | 'Internal';

/** The only error type backends throw. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly key: string;

  constructor(code: StorageErrorCode, key: string, message?: string) {
    super(message ?? `${code}: ${key}`);
    this.name = 'StorageError';
    this.code = code;
    this.key = key;
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

/**
 * `storage`'s watch with its progress where it tells it (`watchProgress`), its plain watch where
 * it does not: what a wrapping store or a server asks of the store under it.
 */
export function watchWithProgress(
  storage: Storage,
  prefix: string,
  options?: WatchOptions,
): Watcher<StoreEvent | StoreProgress> {
  return storage.watchProgress?.(prefix, options) ?? storage.watch(prefix, options);
}
