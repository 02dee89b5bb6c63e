/**
 * `transplant migrate`'s display without a terminal: one sequence of shoot states (the source's
 * Migrate with a failed step, the destination's Restore) rendered as plain lines, as JSON lines
 * and as the terminal's redrawn block, and the ETA from the percent's rate; the destination's
 * reports of bytes copied and keys restored, and their rates.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LastOperation } from '../../src/api/core-gardener/common.js';
import type { RestoreProgressReport } from '../../src/api/core-gardener/restore-progress.js';
import type { PreflightCheck } from '../../src/api/migration-transplant/migration-preflight.js';
import type { ShootProgress } from '../../src/cli/migrate-outcome.js';
import { MigrateOutput } from '../../src/cli/migrate-output.js';
import {
  bar,
  checkLine,
  etaMs,
  formatDuration,
  initialView,
  isReportOfThisMove,
  jsonLine,
  type MigrateEvent,
  type MigrateView,
  moveLines,
  plainLines,
  redraw,
  reduceView,
  statusLine,
  ttyBlock,
} from '../../src/cli/migrate-progress.js';
import { RATE_WINDOW_MS, reportRate, restoreRates } from '../../src/cli/migrate-restore-numbers.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const at = (seconds: number) => T0 + seconds * 1000;

const op = (type: LastOperation['type'], state: LastOperation['state'], progress: number, description?: string) =>
  ({ type, state, progress, ...(description ? { description } : {}) }) as LastOperation;

const progress = (fields: Partial<ShootProgress>): ShootProgress => ({
  specSeedName: 'seed-b',
  lastErrors: [],
  ...fields,
});

const checks: PreflightCheck[] = [
  { name: 'ShootMovable', status: 'Passed', origin: 'garden', message: 'shoot garden-dev/web runs on seed "seed-a"' },
  {
    name: 'MachinesReachTargetSeed',
    status: 'Passed',
    origin: 'seed/seed-a',
    message: 'every machine reaches seed "seed-b"',
  },
];

/** The move as the command reports it: preflight, binding, the shoot's states, the end. */
const EVENTS: MigrateEvent[] = [
  { event: 'preflight', time: at(0), phase: 'Pending', checks: [{ ...checks[0]!, status: 'Pending' }] },
  { event: 'preflight', time: at(1), phase: 'Succeeded', source: 'seed-a', mode: 'classic', checks },
  { event: 'bound', time: at(2), from: 'seed-a', resourceVersion: '42', attempts: 1, alreadyBound: false },
  {
    event: 'status',
    time: at(2),
    progress: progress({ statusSeedName: 'seed-a', lastOperation: op('Reconcile', 'Succeeded', 100) }),
  },
  {
    event: 'status',
    time: at(22),
    progress: progress({
      statusSeedName: 'seed-a',
      lastOperation: op(
        'Migrate',
        'Processing',
        40,
        'Waiting until kube-apiserver has been deleted, Migrating extension resources',
      ),
    }),
  },
  {
    event: 'status',
    time: at(30),
    progress: progress({
      statusSeedName: 'seed-a',
      lastOperation: op('Migrate', 'Error', 40, 'Shoot cluster preparation for migration failed: boom'),
      lastErrors: [{ taskID: 'Deleting vpn-seed-server', description: 'boom' }],
    }),
  },
  {
    event: 'status',
    time: at(40),
    progress: progress({ lastOperation: op('Migrate', 'Succeeded', 100, 'Migrated') }),
  },
  {
    event: 'status',
    time: at(62),
    progress: progress({ lastOperation: op('Restore', 'Processing', 50, 'Deploying etcd') }),
  },
  {
    event: 'status',
    time: at(80),
    progress: progress({ statusSeedName: 'seed-b', lastOperation: op('Restore', 'Succeeded', 100, 'Restored') }),
  },
  {
    event: 'end',
    time: at(80),
    outcome: 'succeeded',
    exitCode: 0,
    message: 'shoot garden-dev/web runs on seed "seed-b" (Restore Succeeded)',
  },
];

/** Each event with the views before and after it. */
function replay(events: readonly MigrateEvent[]): { before: MigrateView; event: MigrateEvent; after: MigrateView }[] {
  let view = initialView({ shoot: 'garden-dev/web', target: 'seed-b', startedAt: T0 });
  return events.map((event) => {
    const before = view;
    view = reduceView(view, event);
    return { before, event, after: view };
  });
}

describe('migrate progress: the view', () => {
  it('counts the Migrate as the first half and the Restore as the second', () => {
    const percents = replay(EVENTS)
      .filter((s) => s.event.event === 'status')
      .map((s) => s.after.percent);
    assert.deepEqual(percents, [0, 20, 20, 50, 75, 100]);
  });

  it('takes the ETA from the average rate since the binding, none while the operation is in Error', () => {
    const steps = replay(EVENTS);
    const after = (i: number) => steps[i]!.after;
    // 20 % in the 20 s since the binding: 80 % more take 80 s.
    assert.equal(etaMs(after(4), at(22)), 80_000);
    // Later without news the rate drops: 20 % in 40 s, 80 % take 160 s.
    assert.equal(etaMs(after(4), at(42)), 160_000);
    assert.equal(etaMs(after(5), at(30)), undefined, 'Error: waits for its retry');
    assert.equal(etaMs(after(3), at(2)), undefined, 'nothing moved yet');
    assert.equal(etaMs(after(8), at(80)), 0);
  });

  it('measures from the first status when the shoot was bound already', () => {
    let view = initialView({ shoot: 'ns/s', target: 'seed-b', startedAt: T0 });
    view = reduceView(view, { event: 'bound', time: at(0), attempts: 1, alreadyBound: true });
    view = reduceView(view, {
      event: 'status',
      time: at(10),
      progress: progress({ lastOperation: op('Restore', 'Processing', 0) }),
    });
    view = reduceView(view, {
      event: 'status',
      time: at(20),
      progress: progress({ lastOperation: op('Restore', 'Processing', 50) }),
    });
    // 50 % → 75 % in 10 s: 25 % more take 10 s.
    assert.equal(etaMs(view, at(20)), 10_000);
  });

  it('formats durations and bars', () => {
    assert.deepEqual([0, 45_000, 185_000, 3_720_000].map(formatDuration), ['0s', '45s', '3m05s', '1h02m']);
    assert.equal(bar(50, 10), '[█████░░░░░]');
    assert.equal(bar(120, 4), '[████]');
    assert.equal(
      checkLine({ name: 'TargetSeedReady', status: 'Failed', origin: 'garden', message: 'seed "x" does not exist' }),
      '✗ TargetSeedReady (garden): seed "x" does not exist',
    );
  });
});

describe('migrate progress: plain lines', () => {
  it('prints one timestamped line per change, the settled preflight and new errors', () => {
    const lines = replay(EVENTS).flatMap(({ before, event, after }) => plainLines(before, event, after));
    assert.deepEqual(lines, [
      '2025-03-01T10:00:01.000Z Preflight garden-dev/web → seed-b: Succeeded',
      '2025-03-01T10:00:01.000Z   ✓ ShootMovable (garden): shoot garden-dev/web runs on seed "seed-a"',
      '2025-03-01T10:00:01.000Z   ✓ MachinesReachTargetSeed (seed/seed-a): every machine reaches seed "seed-b"',
      '2025-03-01T10:00:01.000Z Plan: seed "seed-a" → seed "seed-b", classic migration',
      '2025-03-01T10:00:02.000Z Bound garden-dev/web to seed "seed-b" (from seed "seed-a")',
      '2025-03-01T10:00:02.000Z Waiting for seed "seed-a" to start the Migrate (last operation: Reconcile Succeeded); spec.seedName seed-b · status.seedName seed-a',
      '2025-03-01T10:00:22.000Z Migrate Processing 40% (overall 20%, ETA 1m20s): Waiting until kube-apiserver has been deleted, Migrating extension resources; spec.seedName seed-b · status.seedName seed-a',
      '2025-03-01T10:00:30.000Z Migrate Error 40% (overall 20%): Shoot cluster preparation for migration failed: boom; spec.seedName seed-b · status.seedName seed-a',
      '2025-03-01T10:00:30.000Z error Deleting vpn-seed-server: boom',
      '2025-03-01T10:00:40.000Z Migrate Succeeded 100% (overall 50%, ETA 38s): Migrated; spec.seedName seed-b · status.seedName none',
      '2025-03-01T10:01:02.000Z Restore Processing 50% (overall 75%, ETA 20s): Deploying etcd; spec.seedName seed-b · status.seedName none',
      '2025-03-01T10:01:20.000Z Restore Succeeded 100% (overall 100%): Restored; spec.seedName seed-b · status.seedName seed-b',
      '2025-03-01T10:01:20.000Z shoot garden-dev/web runs on seed "seed-b" (Restore Succeeded)',
    ]);
  });

  it('prints nothing for a status that changed nothing it shows', () => {
    const [, , , , step] = replay(EVENTS);
    const again = reduceView(step!.after, step!.event);
    assert.deepEqual(plainLines(step!.after, step!.event, again), []);
  });
});

describe('migrate progress: JSON lines', () => {
  it('gives one object per event with the time, the shoot and, for a status, percent and ETA', () => {
    const objects = replay(EVENTS).map(({ event, after }) => JSON.parse(jsonLine(event, after)));
    assert.deepEqual(
      objects.map((o) => o.event),
      ['preflight', 'preflight', 'bound', 'status', 'status', 'status', 'status', 'status', 'status', 'end'],
    );
    for (const o of objects) {
      assert.equal(o.shoot, 'garden-dev/web');
      assert.equal(o.target, 'seed-b');
    }
    const migrating = objects[4];
    assert.equal(migrating.time, '2025-03-01T10:00:22.000Z');
    assert.equal(migrating.phase, 'migrate');
    assert.equal(migrating.percent, 20);
    assert.equal(migrating.etaSeconds, 80);
    assert.equal(migrating.progress.lastOperation.type, 'Migrate');
    assert.equal(objects[5].etaSeconds, null);
    assert.deepEqual(objects[9], {
      event: 'end',
      time: '2025-03-01T10:01:20.000Z',
      shoot: 'garden-dev/web',
      target: 'seed-b',
      outcome: 'succeeded',
      exitCode: 0,
      message: 'shoot garden-dev/web runs on seed "seed-b" (Restore Succeeded)',
    });
  });
});

describe('migrate progress: the terminal block', () => {
  it('shows the bar, the percent, the ETA, the running steps, the errors and the seeds', () => {
    const steps = replay(EVENTS);
    assert.deepEqual(moveLines(steps[4]!.after, at(22), 80), [
      'Moving garden-dev/web: seed "seed-a" → seed "seed-b" (classic)',
      `${bar(20, 40)}  20%  20s elapsed  ETA 1m20s`,
      'Migrate Processing 40% on seed "seed-a"',
      '  › Waiting until kube-apiserver has been deleted',
      '  › Migrating extension resources',
      'spec.seedName seed-b · status.seedName seed-a',
    ]);
    assert.deepEqual(moveLines(steps[5]!.after, at(30), 80).slice(1), [
      `${bar(20, 40)}  20%  28s elapsed  ETA —`,
      'Migrate Error 40% on seed "seed-a"',
      '  Shoot cluster preparation for migration failed: boom',
      '  ✗ Deleting vpn-seed-server: boom',
      'spec.seedName seed-b · status.seedName seed-a',
    ]);
    assert.equal(
      moveLines(steps[6]!.after, at(40), 80)[2],
      'Migrate Succeeded on seed "seed-a"; waiting for seed "seed-b" to start the Restore',
    );
    assert.equal(
      moveLines(steps[3]!.after, at(2), 80)[2],
      'Waiting for seed "seed-a" to start the Migrate (last operation: Reconcile Succeeded)',
    );
  });

  it('shows the preflight until the binding, cut to the terminal width', () => {
    const steps = replay(EVENTS);
    assert.deepEqual(ttyBlock(steps[0]!.after, at(0), 200), [
      'Preflight garden-dev/web → seed-b: Pending (0 of 1 checks answered)',
      '  … ShootMovable (garden): shoot garden-dev/web runs on seed "seed-a"',
    ]);
    for (const line of ttyBlock(steps[1]!.after, at(1), 30)) assert.ok([...line].length <= 29, line);
  });

  it('redraws the block in place: up over the lines drawn last, clear, write', () => {
    assert.equal(redraw(0, ['a', 'b']), 'a\nb\n');
    assert.equal(redraw(2, ['c']), '\x1b[2F\x1b[Jc\n');
  });

  it('writes the whole sequence to a terminal, each block replacing the last', () => {
    const out = recorder({ isTTY: true, columns: 100 });
    const err = recorder({});
    let now = T0;
    const output = new MigrateOutput({
      stdout: out,
      stderr: err,
      now: () => now,
      mode: 'tty',
      shoot: 'garden-dev/web',
      target: 'seed-b',
      tickMs: 0,
    });
    const heights: number[] = [];
    for (const event of EVENTS) {
      now = event.time;
      const before = out.text.length;
      output.emit(event);
      heights.push(out.text.slice(before).split('\n').length - 1);
    }
    const text = out.text;
    // The pending preflight (2 lines) is replaced by the settled one, which stays.
    assert.ok(text.startsWith('Preflight garden-dev/web → seed-b: Pending'));
    assert.ok(text.includes('\x1b[2F\x1b[JPreflight garden-dev/web → seed-b: Succeeded'));
    // Each status replaces the block drawn before it (6 lines while the Migrate runs).
    assert.ok(text.includes('\x1b[6F\x1b[JMoving garden-dev/web'));
    assert.ok(text.trimEnd().endsWith('shoot garden-dev/web runs on seed "seed-b" (Restore Succeeded)'));
    assert.equal(err.text, '');
    assert.ok(heights.every((h) => h > 0));
  });

  it('sends warnings and a failed end to stderr, with its hint', () => {
    const out = recorder({});
    const err = recorder({});
    const output = new MigrateOutput({
      stdout: out,
      stderr: err,
      now: () => T0,
      mode: 'plain',
      shoot: 'ns/s',
      target: 'seed-b',
    });
    // A warning that repeats (each retry) is written once.
    output.emit({ event: 'warning', time: T0, message: 'garden unreachable, will retry' });
    output.emit({ event: 'warning', time: T0 + 1000, message: 'garden unreachable, will retry' });
    output.emit({
      event: 'end',
      time: T0,
      outcome: 'interrupted',
      exitCode: 130,
      message: 'stopped following ns/s; the move goes on on the seeds',
      hint: 'Follow it with: kubectl get shoot -n ns s -w',
    });
    assert.equal(out.text, '');
    assert.equal(
      err.text,
      'warning: garden unreachable, will retry\n' +
        'stopped following ns/s; the move goes on on the seeds\n' +
        'Follow it with: kubectl get shoot -n ns s -w\n',
    );
  });
});

const MiB = 1024 * 1024;

/** A report the destination wrote at `seconds` after T0 (its clock). */
function report(seconds: number, fields: Omit<RestoreProgressReport, 'updated'>): MigrateEvent {
  return {
    event: 'restore-progress',
    time: at(seconds) + 300,
    report: { ...fields, updated: new Date(at(seconds)).toISOString() },
  };
}

const copy = (seconds: number, copiedMiB: number, done = false) =>
  report(seconds, {
    phase: 'Copy',
    ...(done ? { done } : {}),
    copiedBytes: Math.round(copiedMiB * MiB),
    copyTotalBytes: 100 * MiB,
  });

const restore = (seconds: number, fetchedMiB: number, keys: number, done = false) =>
  report(seconds, {
    phase: 'Restore',
    ...(done ? { done } : {}),
    copiedBytes: 100 * MiB,
    copyTotalBytes: 100 * MiB,
    fetchedBytes: fetchedMiB * MiB,
    fetchTotalBytes: 20 * MiB,
    restoredKeys: keys,
    totalKeys: 5000,
  });

/** The Restore of EVENTS (up to "Deploying etcd") with the destination's numbers after it. */
const RESTORING = EVENTS.slice(0, 8);

describe('migrate progress: bytes copied and keys restored', () => {
  const views = (extra: MigrateEvent[]) => replay([...RESTORING, ...extra]).slice(RESTORING.length);

  it('shows the copy with its rate in the block, the status line and once per tenth in plain lines', () => {
    const steps = views([copy(63, 20.6), copy(65, 45.2)]);
    const view = steps.at(-1)!.after;
    assert.deepEqual(moveLines(view, at(66), 80).slice(2), [
      'Restore Processing 50% on seed "seed-b"',
      '  copied 45.2 MiB of 100.0 MiB (12.3 MiB/s)',
      '  › Deploying etcd',
      'spec.seedName seed-b · status.seedName none',
    ]);
    assert.match(
      statusLine(view, at(66)),
      /\): Deploying etcd; copied 45\.2 MiB of 100\.0 MiB \(12\.3 MiB\/s\); spec\.seedName/,
    );
    assert.deepEqual(
      steps.flatMap(({ before, event, after }) => plainLines(before, event, after)),
      [
        '2025-03-01T10:01:03.300Z copied 20.6 MiB of 100.0 MiB',
        '2025-03-01T10:01:05.300Z copied 45.2 MiB of 100.0 MiB (12.3 MiB/s)',
      ],
    );
    const listing = report(62, { phase: 'Copy', copiedBytes: 0, copyTotalBytes: 0 });
    const first = steps[0]!.before;
    assert.deepEqual(plainLines(first, listing, reduceView(first, listing)), [], 'nothing to show yet: no line');
    const sameTenth = reduceView(view, copy(66, 48));
    assert.deepEqual(plainLines(view, copy(66, 48), sameTenth), [], 'still in the same tenth: no line');
  });

  it('shows the restore: bytes fetched while it fetches, then keys restored, each with its rate', () => {
    const steps = views([
      copy(63, 100, true),
      restore(67, 0, 0),
      restore(68, 10, 0),
      restore(69, 20, 0),
      restore(71, 20, 1600),
    ]);
    const line = (i: number) => moveLines(steps[i]!.after, at(72), 120)[3];
    assert.equal(line(0), '  copied 100.0 MiB of 100.0 MiB');
    assert.equal(line(2), '  copied 100.0 MiB of 100.0 MiB');
    assert.equal(
      moveLines(steps[2]!.after, at(72), 120)[4],
      '  fetched 10.0 MiB of 20.0 MiB (10.0 MiB/s), restored 0 of 5,000 keys',
    );
    // Keys are measured from when everything was fetched: 1,600 in 2 s.
    assert.equal(
      moveLines(steps[4]!.after, at(72), 120)[4],
      '  fetched 20.0 MiB of 20.0 MiB, restored 1,600 of 5,000 keys (800 keys/s)',
    );
    const done = reduceView(steps[4]!.after, restore(72, 20, 5000, true));
    assert.equal(moveLines(done, at(72), 120)[4], '  fetched 20.0 MiB of 20.0 MiB, restored 5,000 of 5,000 keys');
    assert.deepEqual(restoreRates(done.restoreReports ?? []), {}, 'no rate once the restore ended');
  });

  it('measures rates over the last reports of the window, never across a copy that started over', () => {
    const reports = (events: MigrateEvent[]) =>
      views(events)
        .at(-1)!
        .after.restoreReports!.map((r) => r.copiedBytes! / MiB);
    // Reports older than the window before the newest are dropped, but two are always kept.
    assert.deepEqual(reports([copy(60, 10), copy(61, 20), copy(62 + RATE_WINDOW_MS / 1000, 30)]), [20, 30]);
    assert.deepEqual(reports([copy(60, 10), copy(80, 20)]), [10, 20]);
    const rate = (events: MigrateEvent[]) =>
      reportRate(views(events).at(-1)!.after.restoreReports!, (r) => r.copiedBytes);
    assert.equal(rate([copy(60, 10), copy(80, 20)]), (10 * MiB) / 20);
    assert.equal(rate([copy(60, 40), copy(61, 10)]), undefined, 'the copy started over');
    assert.equal(rate([copy(60, 40)]), undefined, 'one report is no rate');
  });

  it("takes only this move's reports, and gives their numbers and rates as JSON", () => {
    const view = replay(RESTORING).at(-1)!.after;
    assert.equal(isReportOfThisMove(view, (copy(1, 1) as { report: RestoreProgressReport }).report), false);
    assert.equal(isReportOfThisMove(view, (copy(3, 1) as { report: RestoreProgressReport }).report), true);
    const alreadyBound = { ...view, bound: { at: at(2), alreadyBound: true } };
    assert.equal(isReportOfThisMove(alreadyBound, (copy(1, 1) as { report: RestoreProgressReport }).report), true);

    const [first, second] = views([copy(63, 20.6), copy(65, 45.2)]);
    assert.deepEqual(JSON.parse(jsonLine(second!.event, second!.after)), {
      event: 'restore-progress',
      time: '2025-03-01T10:01:05.300Z',
      shoot: 'garden-dev/web',
      target: 'seed-b',
      report: {
        phase: 'Copy',
        copiedBytes: Math.round(45.2 * MiB),
        copyTotalBytes: 100 * MiB,
        updated: '2025-03-01T10:01:05.000Z',
      },
      rates: {
        copiedBytesPerSecond: (Math.round(45.2 * MiB) - Math.round(20.6 * MiB)) / 2,
        fetchedBytesPerSecond: null,
        restoredKeysPerSecond: null,
      },
    });
    assert.equal(JSON.parse(jsonLine(first!.event, first!.after)).rates.copiedBytesPerSecond, null);
  });
});

function recorder(props: { isTTY?: boolean; columns?: number }) {
  return {
    ...props,
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}
