/**
 * How components wait: with the flow toolkit's `retryUntilTimeout`, a check that throws while the
 * thing is not there yet (its message says what was seen, and becomes the step's error when the
 * time is up) and `terminal(err)` when waiting cannot help.
 */
import { type Backoff, retryUntilTimeout, type TaskContext } from '../../../flow/task-fn.js';

/**
 * Looks again soon at first (controllers answer within tens of ms), then less often. Capped at
 * 100 ms: the waits sit on a migration's critical path, and the checks are cheap.
 */
export const waitBackoff: Backoff = Object.freeze({ initialMs: 25, maxMs: 100 });

/** Runs `check` until it returns without throwing, for at most `timeoutMs`. */
export function waitUntil(ctx: TaskContext, timeoutMs: number, check: (ctx: TaskContext) => Promise<void>) {
  return retryUntilTimeout(check, waitBackoff, timeoutMs)(ctx);
}

/** Thrown by a check while the thing it waits for is not there yet. */
export class NotYetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotYetError';
  }
}
