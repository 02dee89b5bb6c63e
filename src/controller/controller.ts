/**
 * Level-triggered controllers (controller-runtime style): events only enqueue the object's key;
 * `reconcile` reads all the state it needs itself. Failures are retried with exponential
 * backoff; `requeueAfter` schedules the next look.
 */
import type { Logger } from 'pino';
import type { KubeObject } from '../api/meta.js';
import { Informer } from './informer.js';
import type { ListWatch } from './list-watch.js';

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

export interface ControllerOptions {
  name: string;
  /** The objects whose keys are reconciled. */
  source: ListWatch;
  reconciler: Reconciler;
  logger: Logger;
  maxBackoffMs?: number;
}

export class Controller {
  readonly #options: ControllerOptions;
  readonly #informer: Informer;
  readonly #queued = new Set<string>();
  readonly #running = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #failures = new Map<string, number>();
  #stopped = false;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#informer = new Informer(options.source, {
      upsert: (obj) => this.enqueue(keyOf(obj)),
      remove: (obj) => this.enqueue(keyOf(obj)),
    });
  }

  start(): void {
    this.#informer.start();
  }

  synced(): Promise<void> {
    return this.#informer.synced();
  }

  stop(): void {
    this.#stopped = true;
    this.#informer.stop();
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
      this.#failures.delete(id);
      if (result.requeueAfterMs !== undefined) this.#enqueueAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (err instanceof TerminalError) {
        log.error({ err }, 'reconcile failed permanently');
      } else {
        const failures = (this.#failures.get(id) ?? 0) + 1;
        this.#failures.set(id, failures);
        const delay = Math.min(50 * 2 ** failures, this.#options.maxBackoffMs ?? 30_000);
        log.warn({ err: (err as Error).message, retryInMs: delay }, 'reconcile failed');
        this.#enqueueAfter(key, delay);
      }
    } finally {
      this.#running.delete(id);
      if (this.#dirty.delete(id)) this.enqueue(key);
    }
  }
}

function keyOf(obj: KubeObject): ObjectKey {
  return { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
}
