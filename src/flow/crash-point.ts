/**
 * A test aid: deterministic, one-shot fault injection at a named step of a flow, for the crash
 * tests of the migration (docs/migration.md: killing a seed process at any step and restarting it
 * finishes the migration). A process that runs flows takes the crash file from its environment
 * (`crashPointHooksFromEnv`, the seed command does) and passes the hooks to every `Flow.run`:
 *
 *   TRANSPLANT_CRASH_FILE=/path/to/file
 *
 * Whenever a task of such a flow is about to start, or has just finished (its effect done but not
 * yet recorded as succeeded, so no dependent has started and no progress names it done), the hook
 * reads that file. When it holds `before:<step>` or `after:<step>` — optionally with the flow's
 * name, `before:<flow>/<step>`, to tell apart steps that several flows share — for the step at
 * hand, the process deletes the file, makes the deletion durable and kills itself with SIGKILL: no
 * `finally`, no exit handler, no flushed buffer runs, as with a machine that loses power. The file
 * is gone, so the restarted process (a supervisor restarts it with the same environment) runs
 * normally. With one file for all processes of a landscape only the process that runs the named
 * step dies, since a Migrate step runs on the source seed only and a Restore step on the
 * destination only.
 *
 * Everything is synchronous: between reading the file and the kill no other callback of the
 * process can run.
 */
import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FlowHooks } from './flow.js';

export const CRASH_FILE_ENV = 'TRANSPLANT_CRASH_FILE';

/** Before the step's function starts, or after it returned and before the engine recorded it. */
export type CrashMoment = 'before' | 'after';

/** What to write into the crash file to crash the process running `flowName` at `step`. */
export function crashPoint(moment: CrashMoment, flowName: string, step: string): string {
  return `${moment}:${flowName}/${step}`;
}

/** Flow hooks that crash the process at the moment the crash file `file` names (see the module comment). */
export function crashPointHooks(file: string): FlowHooks {
  return {
    beforeTask: (flowName, step) => crashIfCrashPoint(file, 'before', flowName, step),
    afterTask: (flowName, step) => crashIfCrashPoint(file, 'after', flowName, step),
  };
}

/** The crash point hooks for the file `TRANSPLANT_CRASH_FILE` names, or none when it is unset. */
export function crashPointHooksFromEnv(env: NodeJS.ProcessEnv = process.env): FlowHooks | undefined {
  const file = env[CRASH_FILE_ENV];
  return file ? crashPointHooks(file) : undefined;
}

/**
 * Kills the process if `file` names this moment of this step; returns otherwise. Costs one failed
 * `open` per step when the file does not exist.
 */
function crashIfCrashPoint(file: string, moment: CrashMoment, flowName: string, step: string): void {
  let wanted: string;
  try {
    wanted = readFileSync(file, 'utf8').trim();
  } catch {
    return; // No file: no crash point set, or this process's crash already happened.
  }
  if (wanted !== `${moment}:${step}` && wanted !== crashPoint(moment, flowName, step)) return;
  unlinkSync(file);
  // The restarted process must not find the file again: the unlink is durable once its directory is synced.
  const directory = openSync(dirname(file), 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
  process.kill(process.pid, 'SIGKILL');
}
