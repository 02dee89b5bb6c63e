/**
 * Several callers' flow hooks as one (the crash tests' crash points and the step metrics): each
 * hook of each set is called in the order the sets are given.
 */
import type { FlowHooks } from './flow.js';

export function combineFlowHooks(...sets: readonly (FlowHooks | undefined)[]): FlowHooks | undefined {
  const present = sets.filter((set): set is FlowHooks => set !== undefined);
  if (present.length <= 1) return present[0];
  return {
    beforeTask: (flow, task) => {
      for (const set of present) set.beforeTask?.(flow, task);
    },
    afterTask: (flow, task) => {
      for (const set of present) set.afterTask?.(flow, task);
    },
    taskEnded: (flow, task, outcome) => {
      for (const set of present) set.taskEnded?.(flow, task, outcome);
    },
  };
}
