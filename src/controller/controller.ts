/**
 * Level-triggered controllers (controller-runtime style): events only enqueue the object's key;
 * `reconcile` reads all the state it needs itself. A failed reconcile is retried after the delay
 * the controller's rate limiter names; `requeueAfterMs` schedules the next look.
 *
 * Besides its own objects (`source`) a controller may watch others (`watches`, controller-runtime's
 * `Watches(src, handler.EnqueueRequestsFromMapFunc(…))`): every change of a watched object
 * enqueues the keys its `map` returns. A map reads only the object (labels, names), never memory
 * of earlier reconciles, so it works the same right after a restart.
 *
 * A key whose reconcile failed waits out its backoff. A change of the object itself ends the wait
 * only when it changes what the controller's `retryTrigger` says (an operator's edit), so that a
 * reconciler's own writes to the object (a status saying the attempt failed) do not retry it at
 * once, over and over; a watched object's change always ends it (it is news from elsewhere).
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
  /** `signal` aborts when the controller stops: long work (a flow and its waits) should end then. */
  reconcile(key: ObjectKey, signal: AbortSignal): Promise<Result>;
}

/** Wraps an error that retrying cannot fix: it is logged, not retried. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/**
 * A secondary watch: objects of `source` whose every change enqueues the keys `map` returns. Build
 * one with `watchOf`, which gives `map` the type of `source`'s objects.
 */
export interface ControllerWatch<T extends KubeObject = KubeObject> {
  source: ListWatch<T>;
  /** The keys of the controller's objects that `obj` concerns; none when it concerns none. */
  map(obj: T): readonly ObjectKey[];
}

/** A watch of `source` whose objects (of `source`'s type) `map` to the controller's keys. */
export function watchOf<T extends KubeObject>(
  source: ListWatch<T>,
  map: (obj: T) => readonly ObjectKey[],
): ControllerWatch<T> {
  return { source, map };
}

export interface ControllerOptions<T extends KubeObject = KubeObject> {
  name: string;
  /** The objects whose keys are reconciled. */
  source: ListWatch<T>;
  /**
   * Other objects whose changes concern the controller's objects; each pairs a source with a map
   * of its own objects' type (`watchOf`), whatever that type is.
   */
  watches?: readonly ControllerWatch[];
  reconciler: Reconciler;
  logger: Logger;
  /** When a key whose reconcile failed is retried; default 100 ms doubling up to 30 s per key. */
  rateLimiter?: RateLimiter;
  /**
   * What of an object, when it changes, ends its backoff after a failed reconcile; changes of
   * anything else wait for the backoff. Default: every change ends it.
   */
  retryTrigger?: (obj: T) => string;
  /**
   * What of an object concerns the controller (controller-runtime's update predicates): an event
   * whose object says the same as the last one seen of its key is dropped, so that writes of
   * fields the reconciler ignores (a reporter's annotation) cost no reconcile. A deletion always
   * counts. Default: every event counts.
   */
  relevantState?: (obj: T) => string;
}

export class Controller<T extends KubeObject = KubeObject> {
  readonly #options: ControllerOptions<T>;
  readonly #informers: readonly Informer[];
  readonly #rateLimiter: RateLimiter;
  readonly #queued = new Set<string>();
  readonly #running = new Set<string>();
  /** Keys to reconcile again once their running reconcile ends: asked for explicitly or by a watch. */
  readonly #rerun = new Set<string>();
  /** Keys whose own object changed while their reconcile ran (see `#changedWhileRunning`). */
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** The retry trigger of each key's object as last seen, and as it was when its running reconcile started. */
  readonly #triggers = new Map<string, string>();
  readonly #triggersAtStart = new Map<string, string | undefined>();
  /** Per key, `relevantState` of the last event that counted. */
  readonly #relevant = new Map<string, string>();
  /** Keys waiting out a backoff, with the retry trigger their failed reconcile saw. */
  readonly #backingOff = new Map<string, string | undefined>();
  /** Aborted by `stop()`: what the running reconciles are told to give up. */
  readonly #stopping = new AbortController();
  #stopped = false;
  /** The reconciles under way, for `idle()`. */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: ControllerOptions<T>) {
    this.#options = options;
    this.#rateLimiter = options.rateLimiter ?? new ItemExponentialFailureRateLimiter();
    const ownEvent = (obj: T) => {
      if (this.#concerns(obj)) this.#ownObjectChanged(obj);
    };
    const ownRemoved = (obj: T) => {
      const key = keyOf(obj);
      this.#relevant.delete(`${key.namespace}/${key.name}`);
      this.#ownObjectChanged(obj);
    };
    const watched = (options.watches ?? []).map(({ source, map }) => {
      const enqueueMapped = (obj: KubeObject) => {
        for (const key of map(obj)) this.enqueue(key);
      };
      return new Informer(source, { upsert: enqueueMapped, remove: enqueueMapped });
    });
    this.#informers = [new Informer(options.source, { upsert: ownEvent, remove: ownRemoved }), ...watched];
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
    this.#stopping.abort(new Error(`controller ${this.#options.name} stopped`));
    for (const informer of this.#informers) informer.stop();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /**
   * Resolves once no reconcile runs any more; after `stop()` none starts again, so a leader that
   * lost its Lease can wait until its controllers have really stopped writing.
   */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Reconciles `key` as soon as possible, also when it is backing off after a failure. */
  enqueue(key: ObjectKey): void {
    if (this.#stopped) return;
    const id = `${key.namespace}/${key.name}`;
    this.#backingOff.delete(id);
    if (this.#running.has(id)) {
      this.#rerun.add(id);
      return;
    }
    if (this.#queued.has(id)) return;
    this.#queued.add(id);
    queueMicrotask(() => {
      const run = this.#process(id, key);
      this.#inFlight.add(run);
      void run.finally(() => this.#inFlight.delete(run));
    });
  }

  /** Whether an added or updated object differs from the last one seen in what concerns the controller. */
  #concerns(obj: T): boolean {
    const relevantState = this.#options.relevantState;
    if (!relevantState) return true;
    const key = keyOf(obj);
    const id = `${key.namespace}/${key.name}`;
    const state = relevantState(obj);
    if (this.#relevant.get(id) === state) return false;
    this.#relevant.set(id, state);
    return true;
  }

  /** An event of the controller's own objects: a backing-off key waits unless its retry trigger changed. */
  #ownObjectChanged(obj: T): void {
    const key = keyOf(obj);
    const id = `${key.namespace}/${key.name}`;
    const trigger = this.#options.retryTrigger?.(obj);
    if (trigger !== undefined) this.#triggers.set(id, trigger);
    if (this.#running.has(id)) {
      this.#dirty.add(id);
      return;
    }
    if (this.#backingOff.has(id) && trigger !== undefined && this.#backingOff.get(id) === trigger) return;
    this.enqueue(key);
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
    // Queued just before `stop()`: a stopped controller starts no reconcile (its caches are gone).
    if (this.#stopped) return;
    this.#running.add(id);
    this.#backingOff.delete(id);
    this.#triggersAtStart.set(id, this.#triggers.get(id));
    const log = this.#options.logger.child({ controller: this.#options.name, object: id });
    try {
      const result = await this.#options.reconciler.reconcile(key, this.#stopping.signal);
      this.#rateLimiter.forget(id);
      if (result.requeueAfterMs !== undefined) this.#enqueueAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (err instanceof TerminalError) {
        this.#rateLimiter.forget(id);
        log.error({ err }, 'reconcile failed permanently');
      } else if (this.#stopped) {
        // Stopping cut it short (its server went away, its signal aborted): nothing to retry or warn of.
        log.debug({ err: (err as Error).message }, 'reconcile ended by the controller stopping');
      } else {
        const delay = this.#rateLimiter.when(id);
        log.warn({ err: (err as Error).message, retryInMs: delay }, 'reconcile failed');
        this.#backingOff.set(id, this.#triggersAtStart.get(id));
        this.#enqueueAfter(key, delay);
      }
    } finally {
      this.#running.delete(id);
      this.#triggersAtStart.delete(id);
      const dirty = this.#dirty.delete(id);
      if (this.#rerun.delete(id)) this.enqueue(key);
      else if (dirty) this.#changedWhileRunning(key, id);
    }
  }

  /**
   * The object (or a watched one) changed while its reconcile ran: look again now, unless that
   * reconcile failed and nothing changed that the retry trigger covers (its own status writes).
   */
  #changedWhileRunning(key: ObjectKey, id: string): void {
    const failedWith = this.#backingOff.get(id);
    if (this.#backingOff.has(id) && failedWith !== undefined && failedWith === this.#triggers.get(id)) return;
    this.enqueue(key);
  }
}

/** The key of an object itself (controller-runtime's `EnqueueRequestForObject`). */
export function keyOf(obj: KubeObject): ObjectKey {
  return { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
}
