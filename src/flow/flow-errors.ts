/**
 * How a run ends when not every task succeeded: `FlowFailed` (some task failed) or `FlowCanceled`
 * (the signal aborted before the flow finished). Both carry each task's error by its ID and the
 * whole `FlowResult`, which `lastErrorsAfter` turns into `status.lastErrors`.
 */
import type { FlowResult } from './flow.js';
import type { TaskID } from './graph.js';

/** The error of one failed task. */
export interface TaskError {
  readonly taskID: TaskID;
  readonly error: Error;
}

function describeErrors(errors: readonly TaskError[]): string {
  return errors.map((e) => `task "${e.taskID}" failed: ${e.error.message}`).join('; ');
}

/** Thrown by `Flow.run` when at least one task failed (and the run was not canceled). */
export class FlowFailed extends Error {
  readonly kind = 'FlowFailed';
  readonly flowName: string;
  /** Every failed task's error, in the order they failed. */
  readonly errors: readonly TaskError[];
  readonly result: FlowResult;

  constructor(result: FlowResult) {
    super(`flow "${result.flowName}" encountered task errors: ${describeErrors(result.failed)}`);
    this.name = 'FlowFailed';
    this.flowName = result.flowName;
    this.errors = result.failed;
    this.result = result;
  }
}

/** Thrown by `Flow.run` when its signal aborted before every task ran; `cause` is the abort reason. */
export class FlowCanceled extends Error {
  readonly kind = 'FlowCanceled';
  readonly flowName: string;
  /** Errors of the tasks that failed before or because of the cancellation. */
  readonly errors: readonly TaskError[];
  readonly result: FlowResult;

  constructor(result: FlowResult, reason: unknown) {
    const errors = result.failed.length > 0 ? `. Encountered task errors: ${describeErrors(result.failed)}` : '';
    super(`flow "${result.flowName}" was canceled${errors}`, { cause: reason });
    this.name = 'FlowCanceled';
    this.flowName = result.flowName;
    this.errors = result.failed;
    this.result = result;
  }
}

/** Whether `err` is a `FlowFailed`. */
export function isFlowFailed(err: unknown): err is FlowFailed {
  return err instanceof FlowFailed;
}

/** Whether `err` is a `FlowCanceled`. */
export function wasCanceled(err: unknown): err is FlowCanceled {
  return err instanceof FlowCanceled;
}

/** The task errors carried by a flow error; empty for anything else. */
export function flowErrors(err: unknown): readonly TaskError[] {
  return err instanceof FlowFailed || err instanceof FlowCanceled ? err.errors : [];
}

/** The run's result carried by a flow error, or undefined for anything else. */
export function flowResultOf(err: unknown): FlowResult | undefined {
  return err instanceof FlowFailed || err instanceof FlowCanceled ? err.result : undefined;
}
