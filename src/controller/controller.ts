/**
 * Level-triggered controllers (controller-runtime style): events only enqueue the object's key;
 * `reconcile` reads all the state it needs itself. A failed reconcile is retried after the delay
 * the controller's rate limiter names; `requeueAfterMs` schedules the next look.
 *
 * Besides its own objects (`source`) a controller may watch others (`watches`, controller-runtime's
 * `Watches(src, handler.EnqueueRequestsFromMapFunc(…))`): every change of a watched object
 * enqueues the keys its `map` returns. A map reads only the object (labels, names), never memory
 * of earlier reconciles, so it works the same right after a restart.
 */
import type { Logger } from 'pino';
import type { KubeObject } from '../api/meta.js';
import { Informer } from './informer.js';
import type { ListWatch } from './list-watch.js';
import { ItemExponentialFailureRateLimiter, type RateLimiter } from './rate-limiter.js';

export interface ObjectKey {
  namespace: string;
  name: string;
}

export interface Result {
  requeueAfterMs?: number;
}

export interface Reconciler {
  reconcile(key: ObjectKey): Promise<Result>;
}

/** Wraps an error that retrying cannot fix: it is logged, not retried. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** A secondary watch: objects of `source` whose every change enqueues the keys `map` returns. */
export interface ControllerWatch {
  source: ListWatch;
  /** The keys of the controller's objects that `obj` concerns; none when it concerns none. */
  map(obj: KubeObject): readonly ObjectKey[];
}

export interface ControllerOptions {
  name: string;
  /** The objects whose keys are reconciled. */
  source: ListWatch;
  /** Other objects whose changes concern the controller's objects. */
  watches?: readonly ControllerWatch[];
  reconciler: Reconciler;
  logger: Logger;
  /** When a key whose reconcile failed is retried; default 100 ms doubling up to 30 s per key. */
  rateLimiter?: RateLimiter;
}

export class Controller {
  readonly #options: ControllerOptions;
  readonly #informers: readonly Informer[];
  readonly #rateLimiter: RateLimiter;
  readonly #queued = new Set<string>();
  readonly #running = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#rateLimiter = options.rateLimiter ?? new ItemExponentialFailureRateLimiter();
    const own: ControllerWatch = { source: options.source, map: (obj) => [keyOf(obj)] };
    this.#informers = [own, ...(options.watches ?? [])].map(({ source, map }) => {
      const enqueueMapped = (obj: KubeObject) => {
        for (const key of map(obj)) this.enqueue(key);
      };
      return new Informer(source, { upsert: enqueueMapped, remove: enqueueMapped });
    });
  }

  start(): void {
    for (const informer of this.#informers) informer.start();
  }

  /** Resolves once the controller's objects and every watched source have been listed. */
  async synced(): Promise<void> {
    await Promise.all(this.#informers.map((informer) => informer.synced()));
  }

  stop(): void {
    this.#stopped = true;
    for (const informer of this.#informers) informer.stop();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  enqueue(key: ObjectKey): void {
    if (this.#stopped) return;
    const id = `${key.namespace}/${key.name}`;
    if (this.#running.has(id)) {
      this.#dirty.add(id);
      return;
    }
    if (this.#queued.has(id)) return;
    this.#queued.add(id);
    queueMicrotask(() => void this.#process(id, key));
  }

  #enqueueAfter(key: ObjectKey, delayMs: number): void {
    const id = `${key.namespace}/${key.name}`;
    clearTimeout(this.#timers.get(id));
    const timer = setTimeout(() => {
      this.#timers.delete(id);
      this.enqueue(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(id, timer);
  }

  async #process(id: string, key: ObjectKey): Promise<void> {
    this.#queued.delete(id);
    this.#running.add(id);
    const log = this.#options.logger.child({ controller: this.#options.name, object: id });
    try {
      const result = await this.#options.reconciler.reconcile(key);
      this.#rateLimiter.forget(id);
      if (result.requeueAfterMs !== undefined) this.#enqueueAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (err instanceof TerminalError) {
        this.#rateLimiter.forget(id);
        log.error({ err }, 'reconcile failed permanently');
      } else {
        const delay = this.#rateLimiter.when(id);
        log.warn({ err: (err as Error).message, retryInMs: delay }, 'reconcile failed');
        this.#enqueueAfter(key, delay);
      }
    } finally {
      this.#running.delete(id);
      if (this.#dirty.delete(id)) this.enqueue(key);
    }
  }
}

/** The key of an object itself (controller-runtime's `EnqueueRequestForObject`). */
export function keyOf(obj: KubeObject): ObjectKey {
  return { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
}
