/**
 * Where a move stands, read from the shoot alone, and how `transplant migrate` ends: its outcomes
 * and their exit codes. Pure, so the display (migrate-progress.ts) and the command
 * (migrate-command.ts) judge a shoot the same way.
 *
 * A move's end is the same for a classic and a live migration (docs/live-migration.md, "the
 * flows of both seeds"): the source's Migrate, then the destination's ordinary Restore, which
 * writes `status.seedName` = destination in its Succeeded status write. A live move's Migrate
 * only lasts longer (it waits for the destination's phases); an aborted live move ends with the
 * garden binding the shoot back to its source.
 */
import type { LastError, LastOperation } from '../api/core-gardener/common.js';
import type { Shoot } from '../api/core-gardener/shoot.js';

/** The shoot's fields a move is followed by. */
export interface ShootProgress {
  specSeedName?: string;
  /** Undefined while no seed hosts the control plane (between the Migrate and the Restore). */
  statusSeedName?: string;
  lastOperation?: LastOperation;
  lastErrors: LastError[];
}

export function shootProgress(shoot: Shoot): ShootProgress {
  return {
    ...(shoot.spec.seedName ? { specSeedName: shoot.spec.seedName } : {}),
    ...(shoot.status?.seedName ? { statusSeedName: shoot.status.seedName } : {}),
    ...(shoot.status?.lastOperation ? { lastOperation: shoot.status.lastOperation } : {}),
    lastErrors: shoot.status?.lastErrors ?? [],
  };
}

/**
 * - `waiting`: bound, the source has not started its Migrate (the last operation is an older one);
 * - `migrate`: the source's Migrate runs (or succeeded, and the Restore has not started);
 * - `restore`: the destination's Restore runs (no seed hosts the shoot until it succeeds);
 * - `done`: the destination hosts the shoot;
 * - `elsewhere`: the shoot is bound to another seed than the target (an aborted live move).
 */
export type MovePhase = 'waiting' | 'migrate' | 'restore' | 'done' | 'elsewhere';

export function movePhase(progress: ShootProgress, target: string): MovePhase {
  if (progress.specSeedName !== target) return 'elsewhere';
  // Only the Restore's success writes the destination into status.seedName, so this holds even
  // when a watch gap hid the Restore's Succeeded and a Reconcile runs already.
  if (progress.statusSeedName === target) return 'done';
  const type = progress.lastOperation?.type;
  if (type === 'Restore' && progress.statusSeedName === undefined) return 'restore';
  if (type === 'Migrate') return 'migrate';
  return 'waiting';
}

/**
 * The whole move in percent: the Migrate is the first half, the Restore the second (the
 * operations' own progress restarts at 0 with each).
 */
export function overallPercent(progress: ShootProgress, target: string): number {
  const percent = Math.max(0, Math.min(100, progress.lastOperation?.progress ?? 0));
  switch (movePhase(progress, target)) {
    case 'migrate':
      return progress.lastOperation?.state === 'Succeeded' ? 50 : percent / 2;
    case 'restore':
      return 50 + percent / 2;
    case 'done':
      return 100;
    default:
      return 0;
  }
}

/** How the command ended. */
export type Outcome =
  /** The shoot runs on the target. */
  | 'succeeded'
  /** `--dry-run` and the preflight succeeded. */
  | 'dry-run'
  /** The preflight failed (without `--force`), or `--dry-run` and it did not succeed. */
  | 'preflight-failed'
  /** The Migrate or Restore Failed (Gardener's "will not be retried"), or the shoot was deleted. */
  | 'failed'
  /** The shoot was bound to another seed meanwhile (an aborted live move goes back to its source). */
  | 'aborted'
  /** `--timeout` or `--preflight-timeout` passed. */
  | 'timeout'
  /** SIGINT: following stopped; a binding already made stands. */
  | 'interrupted'
  /** The garden refused a request or could not be reached. */
  | 'error';

export const EXIT_CODES: Readonly<Record<Outcome, number>> = Object.freeze({
  succeeded: 0,
  'dry-run': 0,
  'preflight-failed': 1,
  failed: 1,
  aborted: 1,
  timeout: 1,
  // 128 + SIGINT, as a shell reports a command Ctrl-C stopped.
  interrupted: 130,
  error: 1,
});

export type Judgement = { outcome: 'running' } | { outcome: Outcome; message: string };

/**
 * Whether the move to `target` is over, judged from the shoot (`null`: it was deleted). An `Error`
 * state is not an end: the seed retries the flow with back-off (docs/migration.md, "When a step
 * fails"); `Failed` is.
 */
export function judgeMove(
  progress: ShootProgress | null,
  names: { shoot: string; source?: string; target: string },
): Judgement {
  const { shoot, source, target } = names;
  if (progress === null) return { outcome: 'failed', message: `shoot ${shoot} was deleted` };
  const op = progress.lastOperation;
  switch (movePhase(progress, target)) {
    case 'done':
      return {
        outcome: 'succeeded',
        message: `shoot ${shoot} runs on seed "${target}"${op ? ` (${op.type} ${op.state})` : ''}`,
      };
    case 'elsewhere': {
      const now = progress.specSeedName ?? 'none';
      return {
        outcome: 'aborted',
        message:
          now === source
            ? `the move was given up: shoot ${shoot} is bound back to its source seed "${now}" (the garden does so when a live migration is aborted)`
            : `shoot ${shoot} was bound to seed "${now}" meanwhile, not "${target}"`,
      };
    }
    case 'migrate':
    case 'restore':
      if (op?.state === 'Failed' || op?.state === 'Aborted') {
        return {
          outcome: 'failed',
          message: `${op.type} ${op.state}${op.description ? `: ${op.description}` : ''}`,
        };
      }
      return { outcome: 'running' };
    default:
      return { outcome: 'running' };
  }
}
