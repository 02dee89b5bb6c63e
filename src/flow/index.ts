/**
 * Named-task graphs for the gardenlet's flows (Gardener's `pkg/utils/flow`): declare steps with
 * `Graph`, shape their functions with the combinators of `task-fn.ts`, run the compiled `Flow`,
 * and turn its progress and errors into `status.lastOperation` / `status.lastErrors`.
 */
export { combineFlowHooks } from './combined-hooks.js';
export {
  CRASH_FILE_ENV,
  type CrashMoment,
  crashPoint,
  crashPointHooks,
  crashPointHooksFromEnv,
} from './crash-point.js';
export {
  type ErrorContext,
  Flow,
  type FlowHooks,
  type FlowLogger,
  type FlowResult,
  type RunOptions,
  type TaskOutcome,
} from './flow.js';
export {
  FlowCanceled,
  FlowFailed,
  flowErrors,
  flowResultOf,
  isFlowFailed,
  type TaskError,
  wasCanceled,
} from './flow-errors.js';
export { type Dependencies, Graph, type Task, type TaskID, type TaskIDs, taskIDs } from './graph.js';
export { lastErrorsAfter } from './last-errors.js';
export { describeProgress, type FlowProgress, type ProgressReporter } from './progress.js';
export {
  CodedError,
  type ErrorCode,
  errorCodesOf,
  errorMessage,
  isTerminal,
  RetryTimeoutError,
  TaskTimeoutError,
  TerminalTaskError,
  terminal,
  toError,
  withCodes,
} from './task-errors.js';
export {
  type Backoff,
  doIf,
  type LogFields,
  type LogLevel,
  noop,
  parallel,
  parallelExitOnError,
  recover,
  retryUntilTimeout,
  sequential,
  skipIf,
  sleep,
  type TaskContext,
  type TaskFn,
  timeout,
} from './task-fn.js';
