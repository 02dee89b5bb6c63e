/**
 * Progress of a running flow, in the shape a gardenlet writes into `status.lastOperation`
 * (`progress`, `description`), plus the debouncing that keeps those status writes rare.
 */

/** A snapshot of a run, handed to the `progressReporter`. */
export interface FlowProgress {
  readonly flowName: string;
  /** Tasks that count: all but the skipped ones. */
  readonly total: number;
  /** Tasks done: succeeded in this run or given as `completed` from an earlier one. */
  readonly completed: number;
  /** Names of the tasks running now, in declaration order. */
  readonly running: readonly string[];
  /** Names of the tasks that failed so far. */
  readonly failed: readonly string[];
  /** `completed / total` in percent, rounded down (100 for an empty flow). */
  readonly progress: number;
  /** Names of the completed tasks, for a caller that persists them to resume after a crash. */
  readonly completedTasks: readonly string[];
}

/** Receives progress snapshots; calls never overlap, the last one comes when the run ends. */
export type ProgressReporter = (progress: FlowProgress) => void | Promise<void>;

/**
 * A `lastOperation.description` for `p`: the running steps ("Waiting until etcd backups are
 * copied, Deploying …"), else "Starting <flow>", "<flow> finished", or what failed.
 */
export function describeProgress(p: FlowProgress): string {
  if (p.running.length > 0) return p.running.join(', ');
  if (p.progress === 100) return `${p.flowName} finished`;
  if (p.failed.length > 0) return `${p.flowName} failed at: ${p.failed.join(', ')}`;
  if (p.completed === 0) return `Starting ${p.flowName}`;
  return `${p.flowName}: ${p.completed} of ${p.total} steps done`;
}

/**
 * Calls a reporter at most once per `intervalMs` with the latest snapshot: the first change is
 * reported at once, later ones at the end of the interval; `flush` reports the final state and
 * waits for every call. Reporter failures go to `onError` and never fail the flow.
 */
export class DebouncedReporter {
  readonly #report: ProgressReporter;
  readonly #intervalMs: number;
  readonly #snapshot: () => FlowProgress;
  readonly #onError: (err: unknown) => void;
  #lastAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    report: ProgressReporter,
    intervalMs: number,
    snapshot: () => FlowProgress,
    onError: (err: unknown) => void,
  ) {
    this.#report = report;
    this.#intervalMs = intervalMs;
    this.#snapshot = snapshot;
    this.#onError = onError;
  }

  /** Notes that the state changed. */
  changed(): void {
    if (this.#timer !== undefined) return;
    const wait = this.#lastAt + this.#intervalMs - Date.now();
    if (wait <= 0) this.#emit();
    else this.#timer = setTimeout(() => this.#emit(), wait);
  }

  /** Reports the final state and resolves when every report has been delivered. */
  async flush(): Promise<void> {
    this.#emit();
    await this.#chain;
  }

  #emit(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastAt = Date.now();
    const snapshot = this.#snapshot();
    this.#chain = this.#chain.then(() => this.#report(snapshot)).catch(this.#onError);
  }
}
