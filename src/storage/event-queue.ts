/**
 * The hand-over between a store feeding a watch and its consumer: events queue until the
 * consumer reads them; a consumer waiting for one gets it directly. The queue ends normally
 * (`end`) or with an error (`fail`) that the consumer's next read throws once.
 */
import type { StorageError } from './interface.js';

type Waiter<T> = { resolve: (item: T | undefined) => void; reject: (err: StorageError) => void };

export class EventQueue<T> {
  readonly #items: T[] = [];
  #ended = false;
  /** Set when the queue failed; thrown once by the next read. */
  #error: StorageError | undefined;
  /** The consumer's pending read, when it is waiting for an event. */
  #waiter: Waiter<T> | undefined;

  get ended(): boolean {
    return this.#ended;
  }

  /** Events waiting to be read. */
  get length(): number {
    return this.#items.length;
  }

  /** True when a consumer is waiting: the next push goes straight to it. */
  get waiting(): boolean {
    return this.#waiter !== undefined;
  }

  push(item: T): void {
    if (this.#ended) return;
    if (this.#waiter) this.#takeWaiter().resolve(item);
    else this.#items.push(item);
  }

  /** Ends with `err`: queued events are dropped and the next read throws it. False if already ended. */
  fail(err: StorageError): boolean {
    if (this.#ended) return false;
    this.#close();
    if (this.#waiter) this.#takeWaiter().reject(err);
    else this.#error = err;
    return true;
  }

  /** Ends normally: queued events are dropped and reads return undefined. False if already ended. */
  end(): boolean {
    if (this.#ended) return false;
    this.#close();
    if (this.#waiter) this.#takeWaiter().resolve(undefined);
    return true;
  }

  /** The next event, undefined once the queue has ended; throws the failure once. */
  read(): Promise<T | undefined> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.#error) {
      const err = this.#error;
      this.#error = undefined;
      return Promise.reject(err);
    }
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #close(): void {
    this.#ended = true;
    this.#items.length = 0;
  }

  #takeWaiter(): Waiter<T> {
    const waiter = this.#waiter!;
    this.#waiter = undefined;
    return waiter;
  }
}
