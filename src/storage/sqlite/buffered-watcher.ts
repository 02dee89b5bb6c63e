/**
 * A watcher the store feeds synchronously after each commit and its consumer drains at its own
 * pace. Feeding never blocks a writer: events queue up to a limit, and one more ends the watch
 * with `Expired`, so a consumer that fell behind re-lists instead of slowing writers down or
 * growing memory without bound.
 */
import { EventQueue } from '../event-queue.js';
import { StorageError, type StoreEvent, type Watcher } from '../interface.js';
import { type ChangeRecord, toStoreEvent } from './change-record.js';

export interface BufferedWatcherOptions {
  /** Only keys starting with this are delivered; the store filters before `push`. */
  prefix: string;
  /** Events at or below this revision are dropped as already seen. */
  afterRevision: number;
  /** Most events queued before the watch fails. */
  bufferLimit: number;
  /** Called once when the watch ends for any reason, so the store stops feeding it. */
  onEnd: (watcher: BufferedWatcher) => void;
}

export class BufferedWatcher implements Watcher {
  readonly prefix: string;
  readonly #bufferLimit: number;
  readonly #onEnd: (watcher: BufferedWatcher) => void;
  readonly #queue = new EventQueue<ChangeRecord>();
  #lastRevision: number;

  constructor(options: BufferedWatcherOptions) {
    this.prefix = options.prefix;
    this.#lastRevision = options.afterRevision;
    this.#bufferLimit = options.bufferLimit;
    this.#onEnd = options.onEnd;
  }

  /**
   * Queues an event. Revisions at or below the last one queued are dropped: history replay and
   * live delivery may overlap, and each revision must reach the consumer exactly once, in order.
   */
  push(record: ChangeRecord): void {
    if (this.#queue.ended || record.revision <= this.#lastRevision) return;
    this.#lastRevision = record.revision;
    if (!this.#queue.waiting && this.#queue.length >= this.#bufferLimit) {
      this.fail(
        new StorageError(
          'Expired',
          this.prefix,
          `watch of "${this.prefix}" fell more than ${this.#bufferLimit} events behind; list again and watch from there`,
        ),
      );
    } else {
      this.#queue.push(record);
    }
  }

  /** Ends the watch with `err`: queued events are dropped and the consumer's next read throws it. */
  fail(err: StorageError): void {
    if (this.#queue.fail(err)) this.#onEnd(this);
  }

  /** Ends the watch normally: queued events are dropped and iteration finishes. */
  stop(): void {
    if (this.#queue.end()) this.#onEnd(this);
  }

  async next(): Promise<IteratorResult<StoreEvent, undefined>> {
    const record = await this.#queue.read();
    return record ? { done: false, value: toStoreEvent(record) } : { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterator<StoreEvent, undefined> {
    return {
      next: () => this.next(),
      // `break` out of for-await lands here.
      return: async () => {
        this.stop();
        return { done: true, value: undefined };
      },
    };
  }
}
