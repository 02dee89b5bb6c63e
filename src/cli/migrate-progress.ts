/**
 * What `transplant migrate` shows, as pure functions: the events the command reports, the view
 * they add up to (`reduceView`), and that view as text in three forms — a block a terminal
 * redraws in place (`ttyBlock`, `redraw`), plain timestamped lines, one per change, for logs and
 * pipes (`plainLines`), and one JSON object per event for scripts (`jsonLine`). While the Restore
 * runs, the numbers the destination seed writes on the shoot's BackupEntry (bytes copied, keys
 * restored) come as events too, shown with their rates (migrate-restore-numbers.ts). Nothing here
 * writes or reads a clock: times come in the events and as `now`, so each output is a function of
 * its inputs (test/cli/migrate-progress.test.ts). migrate-output.ts writes them.
 */
import type { RestoreProgressReport } from '../api/core-gardener/restore-progress.js';
import type { MigrationPlan, PreflightCheck, PreflightPhase } from '../api/migration-transplant/migration-preflight.js';
import { type MovePhase, movePhase, type Outcome, overallPercent, type ShootProgress } from './migrate-outcome.js';
import {
  formatBytes,
  keptForRates,
  restoreProgressKey,
  restoreProgressLines,
  restoreRates,
} from './migrate-restore-numbers.js';

/** What the command reports, in order; `time` is milliseconds since the epoch, from its clock. */
export type MigrateEvent =
  /** The preflight as it stands (Pending while checks wait for their answer). */
  | {
      event: 'preflight';
      time: number;
      phase: PreflightPhase;
      source?: string;
      mode?: MigrationPlan['mode'];
      checks: PreflightCheck[];
      plan?: MigrationPlan;
    }
  /** The preflight failed and `--force` binds anyway. */
  | { event: 'forced'; time: number; failedChecks: string[] }
  /** The binding was written (or found written already). */
  | {
      event: 'bound';
      time: number;
      from?: string;
      resourceVersion?: string;
      attempts: number;
      alreadyBound: boolean;
    }
  /** The shoot as a watch event or a read delivered it. */
  | { event: 'status'; time: number; progress: ShootProgress }
  /** The destination's copy and restore numbers, as it wrote them on the shoot's BackupEntry. */
  | { event: 'restore-progress'; time: number; report: RestoreProgressReport }
  /** Something to retry (the garden unreachable for a moment); not an end. */
  | { event: 'warning'; time: number; message: string }
  | { event: 'end'; time: number; outcome: Outcome; exitCode: number; message: string; hint?: string };

/** Everything the events said so far. */
export interface MigrateView {
  /** `namespace/name`. */
  shoot: string;
  target: string;
  startedAt: number;
  source?: string;
  mode?: MigrationPlan['mode'];
  preflight?: { phase: PreflightPhase; checks: PreflightCheck[]; plan?: MigrationPlan };
  forced?: string[];
  bound?: { at: number; from?: string; alreadyBound: boolean };
  progress?: ShootProgress;
  /**
   * Where the ETA's rate is measured from: the binding at 0 %, or, when the shoot was bound
   * already, the first status seen.
   */
  rateBase?: { at: number; percent: number };
  /** The move's overall percent (migrate-outcome.ts `overallPercent`). */
  percent: number;
  /**
   * The destination's reports of this move's copy and restore, newest last: those of the last
   * `RATE_WINDOW_MS` (at least two), which the rates are measured over (migrate-restore-numbers.ts).
   */
  restoreReports?: RestoreProgressReport[];
  warning?: string;
  end?: { outcome: Outcome; exitCode: number; message: string; hint?: string; at: number };
}

export function initialView(names: { shoot: string; target: string; startedAt: number }): MigrateView {
  return { ...names, percent: 0 };
}

export function reduceView(view: MigrateView, event: MigrateEvent): MigrateView {
  switch (event.event) {
    case 'preflight':
      return {
        ...view,
        ...(event.source ? { source: event.source } : {}),
        ...(event.mode ? { mode: event.mode } : {}),
        preflight: { phase: event.phase, checks: event.checks, ...(event.plan ? { plan: event.plan } : {}) },
      };
    case 'forced':
      return { ...view, forced: event.failedChecks };
    case 'bound':
      return {
        ...view,
        ...(event.from && !view.source ? { source: event.from } : {}),
        bound: { at: event.time, ...(event.from ? { from: event.from } : {}), alreadyBound: event.alreadyBound },
        ...(event.alreadyBound ? {} : { rateBase: { at: event.time, percent: 0 } }),
      };
    case 'status': {
      const { warning: _, ...rest } = view;
      const percent = overallPercent(event.progress, view.target);
      const rateBase = view.rateBase ?? (view.bound ? { at: event.time, percent } : undefined);
      return { ...rest, progress: event.progress, percent, ...(rateBase ? { rateBase } : {}) };
    }
    case 'restore-progress':
      return { ...view, restoreReports: keptForRates([...(view.restoreReports ?? []), event.report]) };
    case 'warning':
      return { ...view, warning: event.message };
    case 'end':
      return { ...view, end: { ...omitEvent(event), at: event.time } };
  }
}

/**
 * Whether a report on the shoot's BackupEntry is of this move: one written before this command
 * bound the shoot is a previous move's, left on the entry (the seed's clock against this one's;
 * a move's copy starts well after its binding). A shoot bound already gives no such line.
 */
export function isReportOfThisMove(view: MigrateView, report: RestoreProgressReport): boolean {
  return !view.bound || view.bound.alreadyBound || Date.parse(report.updated) >= view.bound.at;
}

function omitEvent<E extends { event: string; time: number }>(e: E): Omit<E, 'event' | 'time'> {
  const { event: _e, time: _t, ...rest } = e;
  return rest;
}

/**
 * Milliseconds left at the average rate since the binding (`rateBase`), undefined while nothing
 * moved yet or the operation is in `Error`, waiting for its retry: no rate means anything then.
 */
export function etaMs(view: MigrateView, now: number): number | undefined {
  const base = view.rateBase;
  if (!base) return undefined;
  if (view.percent >= 100) return 0;
  if (view.progress?.lastOperation?.state === 'Error') return undefined;
  const gained = view.percent - base.percent;
  const elapsed = now - base.at;
  if (gained <= 0 || elapsed <= 0) return undefined;
  return ((100 - view.percent) * elapsed) / gained;
}

/** `300ms`, `45s`, `3m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** An ETA: whole seconds are all it can promise. */
function formatEta(ms: number): string {
  return ms < 1000 ? '<1s' : formatDuration(ms);
}

const MARKS: Readonly<Record<PreflightCheck['status'], string>> = { Passed: '✓', Failed: '✗', Pending: '…' };

/** `✓ ShootMovable (garden): shoot … can be moved`. */
export function checkLine(check: PreflightCheck): string {
  return `${MARKS[check.status] ?? '?'} ${check.name} (${check.origin}): ${check.message}`;
}

/** The preflight's header, its checks, and the plan once it is settled. */
export function preflightLines(view: MigrateView): string[] {
  const preflight = view.preflight;
  if (!preflight) return [`Preflight ${view.shoot} → ${view.target}: asking the garden…`];
  const answered = preflight.checks.filter((c) => c.status !== 'Pending').length;
  const phase =
    preflight.phase === 'Pending' && preflight.checks.length > 0
      ? `Pending (${answered} of ${preflight.checks.length} checks answered)`
      : preflight.phase;
  const header = `Preflight ${view.shoot} → ${view.target}: ${phase}`;
  const lines = [header, ...preflight.checks.map((c) => `  ${checkLine(c)}`)];
  if (preflight.phase !== 'Pending') lines.push(...planLines(view));
  return lines;
}

function planLines(view: MigrateView): string[] {
  const plan = view.preflight?.plan;
  if (!view.source) return ['Plan: none (the garden names no seed the shoot runs on)'];
  const lines = [`Plan: seed "${view.source}" → seed "${view.target}", ${view.mode ?? 'classic'} migration`];
  if (plan?.sourceSteps?.length) lines.push(`  on seed "${view.source}": ${plan.sourceSteps.join(' → ')}`);
  if (plan?.targetSteps?.length) lines.push(`  on seed "${view.target}": ${plan.targetSteps.join(' → ')}`);
  if (plan?.dataBytes !== undefined) lines.push(`  etcd data: ${formatBytes(plan.dataBytes)}`);
  if (plan?.expectedDowntimeSeconds !== undefined) {
    lines.push(`  expected API downtime: ${formatDuration(plan.expectedDowntimeSeconds * 1000)}`);
  }
  return lines;
}

/** `[██████░░░░]` of `width` cells. */
export function bar(percent: number, width: number): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

const MAX_ERRORS_SHOWN = 5;

/** What the operation line says in each phase. */
function operationLine(view: MigrateView, phase: MovePhase): string {
  const op = view.progress?.lastOperation;
  const source = view.source ?? 'the source seed';
  const describe = () => (op ? `${op.type} ${op.state} ${op.progress ?? 0}%` : 'no operation yet');
  switch (phase) {
    case 'waiting':
      return `Waiting for seed "${source}" to start the Migrate (last operation: ${op ? `${op.type} ${op.state}` : 'none'})`;
    case 'migrate':
      return op?.state === 'Succeeded'
        ? `Migrate Succeeded on seed "${source}"; waiting for seed "${view.target}" to start the Restore`
        : `${describe()} on seed "${source}"`;
    case 'restore':
      return `${describe()} on seed "${view.target}"`;
    case 'done':
      return `${describe()} on seed "${view.target}"`;
    case 'elsewhere':
      return `Bound to seed "${view.progress?.specSeedName ?? 'none'}" now (${describe()})`;
  }
}

/**
 * The running steps: the flow's progress description lists them comma-separated while the
 * operation is Processing (src/flow/progress.ts `describeProgress`); otherwise it is one message.
 */
export function stepLines(view: MigrateView): string[] {
  const op = view.progress?.lastOperation;
  if (!op?.description) return [];
  if (op.state === 'Processing') return op.description.split(', ').map((step) => `  › ${step}`);
  return [`  ${op.description}`];
}

function errorLines(view: MigrateView): string[] {
  const errors = view.progress?.lastErrors ?? [];
  const shown = errors.slice(0, MAX_ERRORS_SHOWN).map((e) => `  ✗ ${errorText(e)}`);
  if (errors.length > MAX_ERRORS_SHOWN) shown.push(`  … ${errors.length - MAX_ERRORS_SHOWN} more in status.lastErrors`);
  return shown;
}

function errorText(e: { taskID?: string; description: string }): string {
  return e.taskID ? `${e.taskID}: ${e.description}` : e.description;
}

/** `spec.seedName seed-b · status.seedName none`. */
function seedsLine(progress: ShootProgress | undefined): string {
  return `spec.seedName ${progress?.specSeedName ?? 'none'} · status.seedName ${progress?.statusSeedName ?? 'none'}`;
}

/** The block a terminal shows while the shoot moves, and once it ended. */
export function moveLines(view: MigrateView, now: number, columns = 80): string[] {
  const phase = view.progress ? movePhase(view.progress, view.target) : 'waiting';
  const end = view.end;
  const until = end?.at ?? now;
  const eta = end ? undefined : etaMs(view, now);
  const elapsed = view.bound ? `${formatDuration(until - view.bound.at)} elapsed` : '';
  const width = Math.max(10, Math.min(40, columns - 40));
  const lines = [
    `Moving ${view.shoot}: seed "${view.source ?? '?'}" → seed "${view.target}" (${view.mode ?? 'classic'})`,
    `${bar(view.percent, width)} ${String(Math.floor(view.percent)).padStart(3)}%  ${elapsed}${
      end ? '' : `  ETA ${eta === undefined ? '—' : formatEta(eta)}`
    }`,
    operationLine(view, phase),
    ...restoreProgressLines(view.restoreReports ?? []).map((line) => `  ${line}`),
    ...stepLines(view),
    ...errorLines(view),
    seedsLine(view.progress),
  ];
  if (view.warning && !end) lines.push(`! ${view.warning}`);
  return lines;
}

/** The whole terminal block: the preflight until the binding, then the move. */
export function ttyBlock(view: MigrateView, now: number, columns = 80): string[] {
  const lines = view.bound ? moveLines(view, now, columns) : preflightLines(view);
  return lines.map((line) => truncate(line, columns));
}

/** One terminal line: longer ones would wrap and throw the redraw's line count off. */
export function truncate(line: string, columns: number): string {
  const chars = [...line];
  const max = Math.max(1, columns - 1);
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * The escape codes that replace the `previous` lines last drawn (the cursor below them) with
 * `lines`: up to the first of them (CSI n F), clear to the end of the screen (CSI J), write.
 */
export function redraw(previous: number, lines: readonly string[]): string {
  const up = previous > 0 ? `\x1b[${previous}F\x1b[J` : '';
  return `${up}${lines.map((l) => `${l}\n`).join('')}`;
}

/** A status line's identity: one plain line per change of what it says (the ETA aside). */
function statusKey(progress: ShootProgress | undefined): string {
  const op = progress?.lastOperation;
  return JSON.stringify([
    op?.type,
    op?.state,
    op?.progress,
    op?.description,
    progress?.specSeedName,
    progress?.statusSeedName,
  ]);
}

/** The plain line of a shoot's status: operation, overall percent and ETA, running steps, seeds. */
export function statusLine(view: MigrateView, now: number): string {
  const phase = view.progress ? movePhase(view.progress, view.target) : 'waiting';
  if (phase === 'waiting') return `${operationLine(view, phase)}; ${seedsLine(view.progress)}`;
  const op = view.progress?.lastOperation;
  const eta = etaMs(view, now);
  const what = op ? `${op.type} ${op.state} ${op.progress ?? 0}%` : 'no operation';
  const showEta = eta !== undefined && view.percent < 100;
  const overall = `overall ${Math.floor(view.percent)}%${showEta ? `, ETA ${formatEta(eta)}` : ''}`;
  const description = op?.description ? `: ${op.description}` : '';
  const numbers = restoreProgressLines(view.restoreReports ?? [])
    .map((line) => `; ${line}`)
    .join('');
  return `${what} (${overall})${description}${numbers}; ${seedsLine(view.progress)}`;
}

/**
 * Plain output for one event: timestamped lines, none when nothing shown changed. `before` and
 * `after` are the views around the event. A preflight shows once settled; warnings and failed
 * ends are for stderr (migrate-output.ts), so they give no line here.
 */
export function plainLines(before: MigrateView, event: MigrateEvent, after: MigrateView): string[] {
  const stamp = (line: string) => `${new Date(event.time).toISOString()} ${line}`;
  switch (event.event) {
    case 'preflight':
      return event.phase === 'Pending' ? [] : preflightLines(after).map(stamp);
    case 'forced':
      return [stamp(`Preflight Failed (${event.failedChecks.join(', ')}): binding anyway, as --force asks`)];
    case 'bound':
      return [
        stamp(
          event.alreadyBound
            ? `${after.shoot} is bound to seed "${after.target}" already: following it`
            : `Bound ${after.shoot} to seed "${after.target}" (from seed "${event.from ?? 'none'}")`,
        ),
      ];
    case 'status': {
      const lines: string[] = [];
      if (statusKey(before.progress) !== statusKey(after.progress)) lines.push(stamp(statusLine(after, event.time)));
      const seen = new Set((before.progress?.lastErrors ?? []).map(errorText));
      for (const e of after.progress?.lastErrors ?? []) {
        if (!seen.has(errorText(e))) lines.push(stamp(`error ${errorText(e)}`));
      }
      return lines;
    }
    case 'restore-progress': {
      const numbers = restoreProgressLines(after.restoreReports ?? []);
      const changed =
        restoreProgressKey(before.restoreReports ?? []) !== restoreProgressKey(after.restoreReports ?? []);
      return changed && numbers.length > 0 ? [stamp(numbers.join('; '))] : [];
    }
    case 'warning':
      return [];
    case 'end':
      return event.exitCode === 0 ? [stamp(event.message)] : [];
  }
}

/**
 * One event as a JSON line: the event's own fields with an ISO time, the shoot and the target;
 * a status adds the overall percent and the ETA in seconds (null while unknown), a restore
 * progress the rates per second (null while unknown).
 */
export function jsonLine(event: MigrateEvent, after: MigrateView): string {
  const { event: name, time, ...fields } = event;
  const rates = restoreRates(after.restoreReports ?? []);
  const extra =
    event.event === 'status'
      ? {
          phase: movePhase(event.progress, after.target),
          percent: Math.floor(after.percent),
          etaSeconds: ((ms) => (ms === undefined ? null : Math.round(ms / 1000)))(etaMs(after, time)),
        }
      : event.event === 'restore-progress'
        ? {
            rates: {
              copiedBytesPerSecond: rates.copiedBytes ?? null,
              fetchedBytesPerSecond: rates.fetchedBytes ?? null,
              restoredKeysPerSecond: rates.restoredKeys ?? null,
            },
          }
        : {};
  return JSON.stringify({
    event: name,
    time: new Date(time).toISOString(),
    shoot: after.shoot,
    target: after.target,
    ...fields,
    ...extra,
  });
}
