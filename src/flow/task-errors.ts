/**
 * Errors a task function raises on purpose: `terminal(err)` (retrying cannot fix it), timeouts,
 * and Gardener error codes attached with `withCodes(err, …codes)` so they reach
 * `status.lastErrors[].codes`. Readers (`isTerminal`, `errorCodesOf`) follow `cause` chains and
 * `AggregateError`s, so wrapping an error never hides what it says.
 */

/**
 * Gardener's `ErrorCode`s (`core.gardener.cloud/v1beta1`, `types_common.go`) that Transplant's
 * flows raise. `ERR_RETRYABLE_*` ones tell the operator the next reconciliation may fix it.
 */
export type ErrorCode =
  | 'ERR_INFRA_UNAUTHENTICATED'
  | 'ERR_INFRA_UNAUTHORIZED'
  | 'ERR_INFRA_DEPENDENCIES'
  | 'ERR_RETRYABLE_INFRA_DEPENDENCIES'
  | 'ERR_CONFIGURATION_PROBLEM'
  | 'ERR_RETRYABLE_CONFIGURATION_PROBLEM'
  | 'ERR_CLEANUP_CLUSTER_RESOURCES';

/** Thrown (usually via `terminal(err)`) when retrying cannot help: `retryUntilTimeout` stops at once. */
export class TerminalTaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalTaskError';
  }
}

/** Thrown by `timeout` (and as the abort reason seen by the wrapped function) when the time is up. */
export class TaskTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs}ms`);
    this.name = 'TaskTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** Thrown by `retryUntilTimeout` when the time is up; `cause` is the last attempt's error. */
export class RetryTimeoutError extends Error {
  readonly attempts: number;
  constructor(timeoutMs: number, attempts: number, lastError: unknown) {
    super(`retry failed after ${timeoutMs}ms (${attempts} attempts), last error: ${errorMessage(lastError)}`, {
      cause: lastError,
    });
    this.name = 'RetryTimeoutError';
    this.attempts = attempts;
  }
}

/** An error carrying Gardener error codes; its message is the wrapped error's. */
export class CodedError extends Error {
  readonly codes: readonly ErrorCode[];
  constructor(message: string, codes: readonly ErrorCode[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodedError';
    this.codes = Object.freeze([...codes]);
  }
}

/** Marks `err` as terminal: retrying stops and the message stays the same. */
export function terminal(err: unknown): TerminalTaskError {
  return err instanceof TerminalTaskError ? err : new TerminalTaskError(errorMessage(err), { cause: err });
}

/**
 * Whether `err` (or anything in its cause chain) is terminal: a `TerminalTaskError`, or an error
 * named `TerminalError` (the controller package's `TerminalError`, recognised by name so that this
 * package does not depend on it).
 */
export function isTerminal(err: unknown): boolean {
  return someInChain(err, (e) => e instanceof TerminalTaskError || (e instanceof Error && e.name === 'TerminalError'));
}

/** `err` with Gardener error codes attached (added to any it already carries). */
export function withCodes(err: unknown, ...codes: ErrorCode[]): CodedError {
  return new CodedError(errorMessage(err), codes, { cause: err });
}

/** Every error code carried by `err`, its causes and aggregated errors, without duplicates. */
export function errorCodesOf(err: unknown): ErrorCode[] {
  const codes = new Set<ErrorCode>();
  someInChain(err, (e) => {
    if (e instanceof CodedError) for (const code of e.codes) codes.add(code);
    return false;
  });
  return [...codes];
}

/** The message of an error, or the string form of anything else thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `err` when it is an Error, else an Error saying what was thrown (the engine's "recover"). */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(`non-error thrown: ${String(err)}`, { cause: err });
}

/** Visits `err`, its `cause` chain and `AggregateError` members (bounded), until `test` says yes. */
function someInChain(err: unknown, test: (e: unknown) => boolean, depth = 0): boolean {
  if (err === undefined || err === null || depth > 32) return false;
  if (test(err)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => someInChain(e, test, depth + 1))) return true;
  return err instanceof Error && someInChain(err.cause, test, depth + 1);
}
