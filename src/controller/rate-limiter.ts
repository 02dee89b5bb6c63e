/**
 * How long a controller waits before it retries an object whose reconcile failed (client-go's
 * `workqueue.RateLimiter`). Each controller owns one; reconcilers own none: they throw, and the
 * controller retries. One doubling formula (`exponentialDelay`) serves everything in this
 * package that backs off, so a retry anywhere reads the same.
 */

/** Delays that double with every failure in a row, from `baseDelayMs` up to `maxDelayMs`. */
export interface ExponentialBackoff {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The wait after the `failures`-th failure in a row (1: `baseDelayMs`). */
export function exponentialDelay(failures: number, backoff: ExponentialBackoff): number {
  return Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** Math.max(0, failures - 1));
}

export interface RateLimiter {
  /** Counts a failure of `item` and says how long to wait before retrying it. */
  when(item: string): number;
  /** Forgets the failures of `item` (its reconcile succeeded, or it is gone). */
  forget(item: string): void;
  /** How many times in a row `item` has failed. */
  failures(item: string): number;
}

/** A controller's default: 100 ms after the first failure, doubling up to 30 s. */
export const DEFAULT_CONTROLLER_BACKOFF: Readonly<ExponentialBackoff> = Object.freeze({
  baseDelayMs: 100,
  maxDelayMs: 30_000,
});

/**
 * Per-item exponential backoff (client-go's `ItemExponentialFailureRateLimiter`): every item
 * backs off on its own failures only, and a success resets it.
 */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  readonly #backoff: Readonly<ExponentialBackoff>;
  readonly #failures = new Map<string, number>();

  constructor(backoff: Partial<ExponentialBackoff> = {}) {
    this.#backoff = Object.freeze({ ...DEFAULT_CONTROLLER_BACKOFF, ...backoff });
  }

  when(item: string): number {
    const failures = this.failures(item) + 1;
    this.#failures.set(item, failures);
    return exponentialDelay(failures, this.#backoff);
  }

  forget(item: string): void {
    this.#failures.delete(item);
  }

  failures(item: string): number {
    return this.#failures.get(item) ?? 0;
  }
}
