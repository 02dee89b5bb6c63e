/**
 * Task functions and the decorators/combinators that give them retries, deadlines, conditions and
 * parallelism (Gardener's `taskfn.go`). Steps stay free of loops, timers and `if`s: a flow says
 * `retryUntilTimeout(waitUntilEtcdReady, 5_000, 600_000)` instead.
 */

import { raceAbort } from '../api/race-abort.js';
import { errorMessage, isTerminal, RetryTimeoutError, TaskTimeoutError, toError } from './task-errors.js';

/** How much a log line matters: `debug` for the chatter of retries, `info` for a step's start and end. */
export type LogLevel = 'debug' | 'info';

/** Structured fields of a log line. */
export type LogFields = Record<string, unknown>;

/** What a task function gets: the run's abort signal (or a narrower one) and a logger. */
export interface TaskContext {
  /** Aborted when the flow is canceled or an enclosing `timeout`/`retryUntilTimeout` expires. */
  readonly signal: AbortSignal;
  /** Logs with the flow's and task's names already in the fields. */
  readonly log: (msg: string, fields?: LogFields, level?: LogLevel) => void;
}

/**
 * One step's work. It must be idempotent: after a crash the whole flow runs again (see `Flow.run`),
 * so a step that already happened must succeed again without harm. It should honour `ctx.signal`.
 */
export type TaskFn = (ctx: TaskContext) => Promise<void>;

/** A task function that does nothing (sync points, skipped placeholders). */
export const noop: TaskFn = async () => {};

/** Calls `fn` so that a synchronous throw or a non-Error rejection becomes a rejected `Error`. */
async function call(fn: TaskFn, ctx: TaskContext): Promise<void> {
  try {
    await fn(ctx);
  } catch (err) {
    throw toError(err);
  }
}

/** Returns a task function turning throws of anything (sync or async) into rejected `Error`s. */
export function recover(fn: TaskFn): TaskFn {
  return (ctx) => call(fn, ctx);
}

/** `fn` unless `condition` holds, in which case a no-op. Compute the condition before the graph. */
export function skipIf(fn: TaskFn, condition: boolean): TaskFn {
  return condition ? noop : fn;
}

/** `fn` only when `condition` holds, else a no-op. */
export function doIf(fn: TaskFn, condition: boolean): TaskFn {
  return skipIf(fn, !condition);
}

/** Runs `fns` one after another; the first failure (or an abort between them) stops the rest. */
export function sequential(...fns: TaskFn[]): TaskFn {
  return async (ctx) => {
    for (const fn of fns) {
      ctx.signal.throwIfAborted();
      await call(fn, ctx);
    }
  };
}

/**
 * Runs `fns` concurrently and waits for all of them. One failure is rethrown as is; several
 * become an `AggregateError` whose message joins theirs.
 */
export function parallel(...fns: TaskFn[]): TaskFn {
  return async (ctx) => {
    const results = await Promise.allSettled(fns.map((fn) => call(fn, ctx)));
    throwCollected(results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : [])));
  };
}

/**
 * Runs `fns` concurrently; the first failure aborts the others' signal. Rejects with that first
 * error once every function has settled (so nothing keeps running after the task ended).
 */
export function parallelExitOnError(...fns: TaskFn[]): TaskFn {
  return async (ctx) => {
    const linked = linkedAbort(ctx.signal);
    let first: Error | undefined;
    try {
      const child = { ...ctx, signal: linked.signal };
      await Promise.allSettled(
        fns.map((fn) =>
          call(fn, child).catch((err: Error) => {
            if (first === undefined) {
              first = err;
              linked.abort(err);
            }
          }),
        ),
      );
    } finally {
      linked.dispose();
    }
    if (first !== undefined) throw first;
  };
}

/**
 * Fails `fn` with a `TaskTimeoutError` after `ms`: `fn`'s signal is aborted with that error and
 * the returned task rejects right away, even if `fn` ignores its signal.
 */
export function timeout(fn: TaskFn, ms: number): TaskFn {
  return async (ctx) => {
    const linked = linkedAbort(ctx.signal);
    const timer = setTimeout(() => linked.abort(new TaskTimeoutError(ms)), ms);
    try {
      await raceAbort(call(fn, { ...ctx, signal: linked.signal }), linked.signal);
    } finally {
      clearTimeout(timer);
      linked.dispose();
    }
  };
}

/** Waits between attempts that start at `initialMs` and double up to `maxMs`. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * Runs `fn` until it succeeds, waiting `interval` between attempts (a fixed number of ms, or a
 * doubling `Backoff`), for at most `timeoutMs` overall. A terminal error (`terminal(err)`) is
 * rethrown at once; an abort of the run is rethrown as its reason; running out of time throws a
 * `RetryTimeoutError` whose `cause` is the last error. Attempts see a signal aborted at the
 * deadline.
 */
export function retryUntilTimeout(fn: TaskFn, interval: number | Backoff, timeoutMs: number): TaskFn {
  const { initialMs, maxMs } = typeof interval === 'number' ? { initialMs: interval, maxMs: interval } : interval;
  return async (ctx) => {
    const linked = linkedAbort(ctx.signal);
    const timer = setTimeout(() => linked.abort(new TaskTimeoutError(timeoutMs)), timeoutMs);
    const attemptCtx = { ...ctx, signal: linked.signal };
    let attempts = 0;
    let lastError: unknown;
    try {
      for (let waitMs = initialMs; ; waitMs = Math.min(waitMs * 2, maxMs)) {
        attempts++;
        try {
          await raceAbort(call(fn, attemptCtx), linked.signal);
          return;
        } catch (err) {
          ctx.signal.throwIfAborted();
          if (isTerminal(err)) throw err;
          // An attempt cut short by the deadline reports the error of the attempt before it.
          if (!linked.signal.aborted || lastError === undefined) lastError = err;
          if (linked.signal.aborted) throw new RetryTimeoutError(timeoutMs, attempts, lastError);
          ctx.log('Retrying', { attempt: attempts, error: errorMessage(err) }, 'debug');
        }
        try {
          await sleep(waitMs, linked.signal);
        } catch {
          ctx.signal.throwIfAborted();
          throw new RetryTimeoutError(timeoutMs, attempts, lastError);
        }
      }
    } finally {
      clearTimeout(timer);
      linked.dispose();
    }
  };
}

/** Resolves after `ms`, or rejects with `signal.reason` as soon as `signal` aborts (clearing the timer). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Throws `errors[0]` alone, several as one `AggregateError`, nothing when empty. */
function throwCollected(errors: Error[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
}

/** An AbortController that also aborts with `parent`; `dispose` detaches it from the parent. */
function linkedAbort(parent: AbortSignal): { signal: AbortSignal; abort(reason: unknown): void; dispose(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    dispose: () => parent.removeEventListener('abort', onAbort),
  };
}
