/**
 * Keeps a handler informed of every object of one resource: list, then watch from the list's
 * resourceVersion; on a broken or expired watch, list again. The handler sees each object's
 * latest state (`upsert`) and its removal (`remove`); it must be idempotent.
 */
import type { KubeObject } from '../api/meta.js';
import type { ListWatch } from './list-watch.js';
import { type ExponentialBackoff, exponentialDelay } from './rate-limiter.js';

/** Before listing again after a failed list or a broken watch: 100 ms, doubling up to 5 s. */
const relistBackoff: Readonly<ExponentialBackoff> = Object.freeze({ baseDelayMs: 100, maxDelayMs: 5_000 });

export interface InformerHandler<T extends KubeObject = KubeObject> {
  /** The full current set, after every (re-)list. */
  replace?(objects: readonly T[]): void;
  upsert(obj: T): void;
  remove(obj: T): void;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly #source: ListWatch<T>;
  readonly #handler: InformerHandler<T>;
  #watch: { stop(): void } | undefined;
  #stopped = false;
  #synced: Promise<void>;
  #markSynced!: () => void;

  constructor(source: ListWatch<T>, handler: InformerHandler<T>) {
    this.#source = source;
    this.#handler = handler;
    this.#synced = new Promise((resolve) => {
      this.#markSynced = resolve;
    });
  }

  /** Starts in the background; `synced()` resolves after the first list has been delivered. */
  start(): void {
    void this.#run();
  }

  synced(): Promise<void> {
    return this.#synced;
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      try {
        const list = await this.#source.list();
        this.#handler.replace?.(list.items);
        for (const item of list.items) this.#handler.upsert(item);
        this.#markSynced();
        let resourceVersion = list.metadata.resourceVersion ?? '';
        // Resume after a watch ends normally (server timeout); re-list only after errors.
        while (!this.#stopped) {
          const watch = await this.#source.watch(resourceVersion);
          this.#watch = watch;
          if (this.#stopped) watch.stop();
          for await (const event of watch) {
            resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
            if (event.type === 'DELETED') this.#handler.remove(event.object);
            else if (event.type === 'ADDED' || event.type === 'MODIFIED') this.#handler.upsert(event.object);
          }
        }
        failures = 0;
      } catch {
        if (this.#stopped) return;
        failures++;
        await new Promise((resolve) => setTimeout(resolve, exponentialDelay(failures, relistBackoff)).unref());
      }
    }
  }
}
