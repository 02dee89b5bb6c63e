/**
 * Named-task graphs (Gardener's `graph.go`/`taskid.go`). A task's name is its identity: it is
 * the sentence shown in `status.lastOperation.description` and `status.lastErrors[].taskID`.
 * `add` accepts only dependencies already added, so a graph reads top to bottom in dependency
 * order and can never contain a cycle.
 */
import { Flow, type FlowTask } from './flow.js';
import { noop, type TaskFn } from './task-fn.js';

declare const taskIDBrand: unique symbol;

/** A task's name, as returned by `Graph.add` (the brand keeps typos out of dependency lists). */
export type TaskID = string & { readonly [taskIDBrand]: true };

/** A set of task IDs, e.g. several dependencies at once. */
export type TaskIDs = ReadonlySet<TaskID>;

/** What `dependencies` accepts: one ID, a list or a set. */
export type Dependencies = TaskID | Iterable<TaskID>;

/** One step as declared in a graph. */
export interface Task {
  /** A sentence an operator can read ("Waiting until etcd backups are copied"); unique in the graph. */
  readonly name: string;
  readonly fn: TaskFn;
  /** Tasks that must have succeeded (or been skipped) before this one starts. */
  readonly dependencies?: Dependencies;
  /** When true the task does not run, counts as done for its dependents and not for the progress. */
  readonly skipIf?: boolean;
}

/** The union of the given IDs, lists and sets (Gardener's `NewTaskIDs`). */
export function taskIDs(...dependencies: Dependencies[]): TaskIDs {
  const ids = new Set<TaskID>();
  for (const dep of dependencies) {
    if (typeof dep === 'string') ids.add(dep);
    else for (const id of dep) ids.add(id);
  }
  return ids;
}

/** A graph being declared; `compile()` turns it into a runnable `Flow`. */
export class Graph {
  /** The flow's name ("Shoot cluster preparation for migration"). */
  readonly name: string;
  readonly #tasks = new Map<TaskID, FlowTask>();

  constructor(name: string) {
    this.name = name;
  }

  /**
   * Adds a task and returns its ID. Throws on an empty or duplicate name and on a dependency that
   * was not added before (to this graph).
   */
  add(task: Task): TaskID {
    const id = task.name as TaskID;
    if (typeof task.name !== 'string' || task.name.trim() === '') {
      throw new Error(`flow "${this.name}": a task needs a non-empty name`);
    }
    if (typeof task.fn !== 'function') throw new Error(`flow "${this.name}": task "${id}" has no function`);
    if (this.#tasks.has(id)) throw new Error(`flow "${this.name}": duplicate task "${id}"`);
    const dependencies = [...taskIDs(task.dependencies ?? [])];
    for (const dep of dependencies) {
      if (!this.#tasks.has(dep)) {
        throw new Error(`flow "${this.name}": task "${id}" depends on "${dep}", which was not added before it`);
      }
    }
    this.#tasks.set(id, Object.freeze({ id, fn: task.fn, skip: task.skipIf === true, dependencies }));
    return id;
  }

  /** Adds a no-op task named `name` that completes once all `dependencies` have: a named barrier. */
  syncPoint(name: string, dependencies: Dependencies): TaskID {
    return this.add({ name, fn: noop, dependencies });
  }

  /** The flow as declared so far; later `add`s do not change it. */
  compile(): Flow {
    return new Flow(this.name, [...this.#tasks.values()]);
  }
}
