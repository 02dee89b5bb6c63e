/**
 * Running a compiled graph (Gardener's `flow.go`). A task starts once all its dependencies
 * succeeded (or were skipped), as many at a time as `concurrency` allows. A failed task's
 * dependents never start; tasks that do not depend on it go on. The run resolves with a
 * `FlowResult` when every task succeeded, or rejects with `FlowFailed` / `FlowCanceled`.
 *
 * Resumability: the engine keeps no state across runs. Every task must be idempotent, so after a
 * crash the flow is simply run again from the top and tasks that already happened succeed again
 * quickly. A caller that wants to skip them instead can persist `completedTasks` (from progress
 * snapshots or the result) and pass it back as `completed`. Crash tests check exactly that by
 * killing the process at a named step, through the run's `hooks` (`crash-point.ts`).
 */
import type { LastError } from '../api/core-gardener/common.js';
import { FlowCanceled, FlowFailed, type TaskError } from './flow-errors.js';
import type { TaskID } from './graph.js';
import { DebouncedReporter, type FlowProgress, type ProgressReporter } from './progress.js';
import { errorMessage, toError } from './task-errors.js';
import type { LogFields, LogLevel, TaskContext, TaskFn } from './task-fn.js';

/** A task as compiled into a flow. */
export interface FlowTask {
  readonly id: TaskID;
  readonly fn: TaskFn;
  readonly skip: boolean;
  readonly dependencies: readonly TaskID[];
}

/** Receives the engine's and the tasks' log lines; fields carry `flow` and `task` (and `error`). */
export type FlowLogger = (msg: string, fields: LogFields, level: LogLevel) => void;

/** Gardener's ErrorContext + ErrorCleaner: clears a stored error as soon as its task succeeds. */
export interface ErrorContext {
  /** The errors stored by earlier runs (`status.lastErrors`). */
  readonly lastErrors: readonly LastError[];
  /** Called (and awaited, before the task's dependents start) when a task with a stored error succeeds. */
  clean(taskID: string): void | Promise<void>;
}

/**
 * Called synchronously around every task that runs (not around skipped or resumed ones): before
 * its function starts, and after it returned but before the engine records it as succeeded (so
 * no dependent has started and no progress report names it done). Crash tests inject their
 * crash points here (`crashPointHooks`); `taskEnded` reports how each run of a task ended and
 * how long it took, succeeded or failed (the gardenlet's step duration metrics).
 */
export interface FlowHooks {
  beforeTask?(flowName: string, taskID: TaskID): void;
  afterTask?(flowName: string, taskID: TaskID): void;
  taskEnded?(flowName: string, taskID: TaskID, outcome: TaskOutcome): void;
}

/** How one run of a task ended. */
export interface TaskOutcome {
  succeeded: boolean;
  /** From the start of its function to its end. */
  seconds: number;
}

/** Options of one `Flow.run`. */
export interface RunOptions {
  /** Aborting it stops new tasks from starting and is passed to the running ones. */
  readonly signal?: AbortSignal;
  /** Called with progress snapshots, at most every `progressIntervalMs`, and always at the end. */
  readonly progressReporter?: ProgressReporter;
  /** Minimum time between two progress reports; default 200 ms. */
  readonly progressIntervalMs?: number;
  readonly errorContext?: ErrorContext;
  /** How many tasks may run at once; default unlimited. */
  readonly concurrency?: number;
  /**
   * Names of tasks already done by an earlier run (e.g. a persisted `completedTasks`): they count
   * as succeeded without running. Names not in the flow are ignored. Default: everything runs.
   */
  readonly completed?: ReadonlySet<string>;
  readonly log?: FlowLogger;
  readonly hooks?: FlowHooks;
}

/** What happened to every task of a run. All lists are in declaration order except `failed`. */
export interface FlowResult {
  readonly flowName: string;
  /** Tasks that ran and succeeded in this run. */
  readonly succeeded: readonly TaskID[];
  /** Tasks taken as done from `completed`. */
  readonly resumed: readonly TaskID[];
  readonly skipped: readonly TaskID[];
  /** Failed tasks with their errors, in the order they failed. */
  readonly failed: readonly TaskError[];
  /** Tasks that never started: a dependency failed or the run was canceled. */
  readonly notRun: readonly TaskID[];
  /** `succeeded` and `resumed` together: what a caller persists to resume. */
  readonly completedTasks: readonly string[];
}

/** A validated, runnable graph; it keeps no state between runs, so it may run many times. */
export class Flow {
  readonly name: string;
  readonly #tasks: readonly FlowTask[];
  readonly #dependents: ReadonlyMap<TaskID, readonly TaskID[]>;

  /** Built by `Graph.compile()`, which guarantees unique names and known dependencies. */
  constructor(name: string, tasks: readonly FlowTask[]) {
    this.name = name;
    this.#tasks = Object.freeze([...tasks]);
    const dependents = new Map<TaskID, TaskID[]>(tasks.map((t) => [t.id, []]));
    for (const task of tasks) for (const dep of task.dependencies) dependents.get(dep)?.push(task.id);
    this.#dependents = dependents;
  }

  /** The task names, in declaration order. */
  get taskIDs(): readonly TaskID[] {
    return this.#tasks.map((t) => t.id);
  }

  /** The tasks whose `skipIf` held when the graph was built: a run skips them. */
  get skippedTaskIDs(): readonly TaskID[] {
    return this.#tasks.filter((t) => t.skip).map((t) => t.id);
  }

  /** Runs the flow; see the module comment for the semantics. */
  run(options: RunOptions = {}): Promise<FlowResult> {
    return new Execution(this.name, this.#tasks, this.#dependents, options).run();
  }
}

type TaskState = 'pending' | 'running' | 'succeeded' | 'resumed' | 'skipped' | 'failed';

/** One run of a flow. */
class Execution {
  readonly #flowName: string;
  readonly #tasks: ReadonlyMap<TaskID, FlowTask>;
  readonly #dependents: ReadonlyMap<TaskID, readonly TaskID[]>;
  readonly #options: RunOptions;
  readonly #signal: AbortSignal;
  readonly #concurrency: number;
  readonly #completed: ReadonlySet<string>;
  readonly #storedErrors: ReadonlySet<string>;
  readonly #reporter: DebouncedReporter | undefined;
  readonly #states = new Map<TaskID, TaskState>();
  readonly #waitingOn = new Map<TaskID, number>();
  readonly #ready: TaskID[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #failed: TaskError[] = [];

  constructor(
    flowName: string,
    tasks: readonly FlowTask[],
    dependents: ReadonlyMap<TaskID, readonly TaskID[]>,
    options: RunOptions,
  ) {
    const concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
    if (!(concurrency >= 1)) throw new RangeError(`flow "${flowName}": concurrency must be at least 1`);
    this.#flowName = flowName;
    this.#tasks = new Map(tasks.map((t) => [t.id, t]));
    this.#dependents = dependents;
    this.#options = options;
    this.#signal = options.signal ?? new AbortController().signal;
    this.#concurrency = concurrency;
    this.#completed = options.completed ?? new Set();
    this.#storedErrors = new Set(options.errorContext?.lastErrors.flatMap((e) => (e.taskID ? [e.taskID] : [])));
    const reporter = options.progressReporter;
    this.#reporter = reporter
      ? new DebouncedReporter(
          reporter,
          options.progressIntervalMs ?? 200,
          () => this.#progress(),
          (err) => this.#log('Progress reporter failed', { error: errorMessage(err) }),
        )
      : undefined;
  }

  async run(): Promise<FlowResult> {
    this.#log('Starting', {});
    for (const task of this.#tasks.values()) {
      this.#states.set(task.id, 'pending');
      this.#waitingOn.set(task.id, task.dependencies.length);
    }
    for (const task of this.#tasks.values()) if (task.dependencies.length === 0) this.#unblocked(task.id);

    for (;;) {
      while (!this.#signal.aborted && this.#ready.length > 0 && this.#inFlight.size < this.#concurrency) {
        this.#start(this.#tasks.get(this.#ready.shift()!)!);
      }
      this.#reporter?.changed();
      if (this.#inFlight.size === 0) break;
      await Promise.race(this.#inFlight);
    }
    await this.#reporter?.flush();

    const result = this.#result();
    if (this.#signal.aborted && (result.notRun.length > 0 || result.failed.length > 0)) {
      this.#log('Canceled', {});
      throw new FlowCanceled(result, this.#signal.reason);
    }
    if (result.failed.length > 0) {
      this.#log('Failed', { failed: result.failed.map((e) => e.taskID) });
      throw new FlowFailed(result);
    }
    this.#log('Succeeded', {});
    return result;
  }

  /** All dependencies of `id` are done: take it as done, skip it, or queue it to run. */
  #unblocked(id: TaskID): void {
    if (this.#completed.has(id)) {
      this.#states.set(id, 'resumed');
      this.#done(id);
    } else if (this.#tasks.get(id)!.skip) {
      this.#states.set(id, 'skipped');
      this.#log('Skipped', { task: id });
      this.#done(id);
    } else {
      this.#ready.push(id);
    }
  }

  /** `id` succeeded, was resumed or skipped: its dependents may be unblocked (unless canceled). */
  #done(id: TaskID): void {
    if (this.#signal.aborted) return;
    for (const dependent of this.#dependents.get(id) ?? []) {
      const waiting = this.#waitingOn.get(dependent)! - 1;
      this.#waitingOn.set(dependent, waiting);
      if (waiting === 0) this.#unblocked(dependent);
    }
  }

  #start(task: FlowTask): void {
    this.#states.set(task.id, 'running');
    const running = this.#execute(task).finally(() => this.#inFlight.delete(running));
    this.#inFlight.add(running);
  }

  /** Runs one task; never rejects (a throw, even of a non-Error, fails only this task). */
  async #execute(task: FlowTask): Promise<void> {
    const ctx: TaskContext = {
      signal: this.#signal,
      log: (msg, fields, level) => this.#log(msg, { ...fields, task: task.id }, level),
    };
    this.#options.hooks?.beforeTask?.(this.#flowName, task.id);
    const startedAt = Date.now();
    this.#log('Started', { task: task.id });
    try {
      await task.fn(ctx);
    } catch (thrown) {
      const error = toError(thrown);
      this.#states.set(task.id, 'failed');
      this.#failed.push({ taskID: task.id, error });
      const durationMs = Date.now() - startedAt;
      this.#options.hooks?.taskEnded?.(this.#flowName, task.id, { succeeded: false, seconds: durationMs / 1000 });
      this.#log('Error', { task: task.id, durationMs, error: error.message });
      return;
    }
    this.#options.hooks?.taskEnded?.(this.#flowName, task.id, {
      succeeded: true,
      seconds: (Date.now() - startedAt) / 1000,
    });
    this.#options.hooks?.afterTask?.(this.#flowName, task.id);
    this.#states.set(task.id, 'succeeded');
    this.#log('Succeeded', { task: task.id, durationMs: Date.now() - startedAt });
    if (this.#storedErrors.has(task.id)) {
      try {
        await this.#options.errorContext?.clean(task.id);
      } catch (err) {
        this.#log('Cleaning the last error failed', { task: task.id, error: errorMessage(err) });
      }
    }
    this.#done(task.id);
  }

  #inState(...states: TaskState[]): TaskID[] {
    return [...this.#tasks.keys()].filter((id) => states.includes(this.#states.get(id)!));
  }

  #progress(): FlowProgress {
    const completedTasks = this.#inState('succeeded', 'resumed');
    const total = [...this.#tasks.values()].filter((t) => !t.skip || this.#completed.has(t.id)).length;
    return {
      flowName: this.#flowName,
      total,
      completed: completedTasks.length,
      running: this.#inState('running'),
      failed: this.#failed.map((e) => e.taskID),
      progress: total === 0 ? 100 : Math.floor((100 * completedTasks.length) / total),
      completedTasks,
    };
  }

  #result(): FlowResult {
    return Object.freeze({
      flowName: this.#flowName,
      succeeded: this.#inState('succeeded'),
      resumed: this.#inState('resumed'),
      skipped: this.#inState('skipped'),
      failed: [...this.#failed],
      notRun: this.#inState('pending'),
      completedTasks: this.#inState('succeeded', 'resumed'),
    });
  }

  #log(msg: string, fields: LogFields, level: LogLevel = 'info'): void {
    this.#options.log?.(msg, { flow: this.#flowName, ...fields }, level);
  }
}
