/**
 * Flow step timings from a seed's debug log: the flow engine logs every task's start and end
 * (`Started`, `Succeeded` with `durationMs`, `Error`) with the shoot and the operation.
 */
import { readFileSync } from 'node:fs';

export interface StepTiming {
  seed: string;
  operation: string;
  step: string;
  /** From the origin (the trigger) to the step's start. */
  startMs: number;
  durationMs: number;
}

/**
 * Step timings for `shoot` (`<namespace>/<name>`) from one seed's log, relative to `originMs`:
 * of `operation`, or of every operation when it is undefined; failures as lines.
 */
export function stepsFromLog(
  logFile: string,
  seed: string,
  shoot: string,
  operation: string | undefined,
  originMs: number,
): { steps: StepTiming[]; errors: string[] } {
  const steps: StepTiming[] = [];
  const errors: string[] = [];
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return { steps, errors };
  }
  const started = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: {
      time?: number;
      msg?: string;
      shoot?: string;
      operation?: string;
      task?: string;
      durationMs?: number;
      error?: string;
    };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (
      (operation !== undefined && entry.operation !== operation) ||
      entry.shoot !== shoot ||
      !entry.task ||
      entry.time === undefined ||
      entry.time < originMs
    )
      continue;
    const op = entry.operation ?? '';
    const key = `${op}\u0000${entry.task}`;
    if (entry.msg === 'Started') started.set(key, entry.time);
    else if (entry.msg === 'Succeeded') {
      const durationMs = entry.durationMs ?? 0;
      const start = started.get(key) ?? entry.time - durationMs;
      steps.push({ seed, operation: op, step: entry.task, startMs: start - originMs, durationMs });
    } else if (entry.msg === 'Error') errors.push(`${seed} ${op} ${entry.task}: ${entry.error ?? ''}`);
  }
  return { steps, errors };
}
