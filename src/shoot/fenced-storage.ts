/**
 * A `Storage` that can be fenced: once `fence()` is called every new call fails with
 * `Unreachable`, open watches end (new ones stay without events until stopped), and `fence()` resolves when the calls already under way have
 * settled. A stopping shoot API server fences its store before closing it, so that after its
 * `stop()` no write of it is in flight or can still start: the migration's "no writes after the
 * API server is stopped" holds even for a request that was half-way through.
 */
import type { KubeObject } from '../api/meta.js';
import {
  type ListOptions,
  type ListResult,
  type Preconditions,
  type Storage,
  StorageError,
  type StoreEvent,
  type StoreProgress,
  type UpdateFunc,
  type Watcher,
  type WatchOptions,
  watchWithProgress,
} from '../storage/interface.js';

export class FencedStorage implements Storage {
  readonly #inner: Storage;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #watchers = new Set<{ stop(): void }>();
  #fenced = false;
  readonly listRaw?: Storage['listRaw'];

  constructor(inner: Storage) {
    this.#inner = inner;
    const listRaw = inner.listRaw?.bind(inner);
    if (listRaw) this.listRaw = (prefix, options) => this.#guard(prefix, () => listRaw(prefix, options));
  }

  get fenced(): boolean {
    return this.#fenced;
  }

  create(key: string, obj: KubeObject): Promise<KubeObject> {
    return this.#guard(key, () => this.#inner.create(key, obj));
  }

  get(key: string): Promise<KubeObject> {
    return this.#guard(key, () => this.#inner.get(key));
  }

  list(prefix: string, options?: ListOptions): Promise<ListResult> {
    return this.#guard(prefix, () => this.#inner.list(prefix, options));
  }

  guaranteedUpdate(key: string, tryUpdate: UpdateFunc, preconditions?: Preconditions): Promise<KubeObject> {
    return this.#guard(key, () => this.#inner.guaranteedUpdate(key, tryUpdate, preconditions));
  }

  delete(key: string, preconditions?: Preconditions): Promise<KubeObject> {
    return this.#guard(key, () => this.#inner.delete(key, preconditions));
  }

  watch(prefix: string, options?: WatchOptions): Watcher {
    return this.#tracked(() => this.#inner.watch(prefix, options));
  }

  /** The inner store's progress, where it tells it; its events alone where not. */
  watchProgress(prefix: string, options?: WatchOptions): Watcher<StoreEvent | StoreProgress> {
    return this.#tracked(() => watchWithProgress(this.#inner, prefix, options));
  }

  #tracked<T>(open: () => Watcher<T>): Watcher<T> {
    // Open without events until it is stopped (the server closing its connections, an informer
    // stopping): the client then opens it again from its last resourceVersion, on another server.
    // An ERROR event would make client-go's reflector list everything again, and a watch that
    // ended at once would be opened again at once, in a loop, by every in-process informer.
    if (this.#fenced) return idleWatcher<T>();
    const watcher = open();
    this.#watchers.add(watcher);
    const forget = () => this.#watchers.delete(watcher);
    return {
      stop: () => {
        forget();
        watcher.stop();
      },
      [Symbol.asyncIterator]() {
        const events = watcher[Symbol.asyncIterator]();
        return {
          async next() {
            const step = await events.next();
            if (step.done) forget();
            return step;
          },
          async return(value?: unknown) {
            forget();
            watcher.stop();
            return (await events.return?.(value)) ?? { done: true, value: undefined };
          },
        };
      },
    };
  }

  currentRevision(): Promise<number> {
    return this.#guard('', () => this.#inner.currentRevision());
  }

  compact(revision: number): Promise<void> {
    return this.#guard('', () => this.#inner.compact(revision));
  }

  /**
   * Refuses every further call, ends the open watches, and waits (at most `timeoutMs`) until the
   * calls under way have settled. Safe to call more than once.
   */
  async fence(timeoutMs = 20_000): Promise<void> {
    this.#fenced = true;
    for (const watcher of this.#watchers) watcher.stop();
    this.#watchers.clear();
    if (this.#inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.#inFlight]), timeout]);
    clearTimeout(timer);
  }

  /** Fences, then closes the store underneath. */
  async close(): Promise<void> {
    await this.fence();
    await this.#inner.close();
  }

  #guard<T>(key: string, call: () => Promise<T>): Promise<T> {
    if (this.#fenced) return Promise.reject(fencedError(key));
    const pending = call();
    this.#inFlight.add(pending);
    const settle = () => this.#inFlight.delete(pending);
    pending.then(settle, settle);
    return pending;
  }
}

function fencedError(key: string): StorageError {
  return new StorageError('Unreachable', key, 'the API server is stopping: its store takes no more requests');
}

function idleWatcher<T>(): Watcher<T> {
  let stop!: () => void;
  const stopped = new Promise<IteratorResult<T>>((resolve) => {
    stop = () => resolve({ done: true, value: undefined });
  });
  return {
    stop,
    [Symbol.asyncIterator]() {
      return {
        next: () => stopped,
        async return() {
          stop();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
