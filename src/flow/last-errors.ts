/**
 * `status.lastErrors` from a run, as pure functions: the gardenlet reads the stored list, runs the
 * flow, and writes back `lastErrorsAfter(stored, resultOrError)`.
 */
import type { LastError } from '../api/core-gardener/common.js';
import type { FlowResult } from './flow.js';
import { type FlowCanceled, type FlowFailed, flowResultOf } from './flow-errors.js';
import { errorCodesOf } from './task-errors.js';

/**
 * The `lastErrors` after a run, given the stored ones and the run's result (or the `FlowFailed` /
 * `FlowCanceled` it threw):
 * - a failed task's entry is added, or replaced, as `{taskID, description, codes?, lastUpdateTime}`;
 * - a task that succeeded (or was resumed as completed) loses its entry (Gardener's ErrorCleaner);
 * - entries of tasks that did not run this time, and entries without a task, are kept.
 * Kept entries stay in their order; new ones follow in the order the tasks failed.
 */
export function lastErrorsAfter(
  previous: readonly LastError[],
  outcome: FlowResult | FlowFailed | FlowCanceled,
  now: Date = new Date(),
): LastError[] {
  const result = flowResultOf(outcome) ?? (outcome as FlowResult);
  const cleared = new Set<string>(result.completedTasks);
  const fresh = new Map<string, LastError>();
  for (const { taskID, error } of result.failed) {
    const codes = errorCodesOf(error);
    fresh.set(taskID, {
      description: error.message,
      taskID,
      ...(codes.length > 0 ? { codes } : {}),
      lastUpdateTime: now.toISOString(),
    });
  }
  const kept = previous.flatMap((entry): LastError[] => {
    if (entry.taskID === undefined) return [{ ...entry }];
    if (cleared.has(entry.taskID)) return [];
    const replacement = fresh.get(entry.taskID);
    if (replacement === undefined) return [{ ...entry }];
    fresh.delete(entry.taskID);
    return [replacement];
  });
  return [...kept, ...fresh.values()];
}
