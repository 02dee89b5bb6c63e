import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeProgress,
  FlowCanceled,
  FlowFailed,
  type FlowProgress,
  flowErrors,
  Graph,
  isFlowFailed,
  sleep,
  type TaskFn,
  type TaskID,
  wasCanceled,
} from '../../src/flow/index.js';

/** A task function sleeping `ms` (aborted with the run), recording when it started and ended. */
function timed(times: Map<string, { start: number; end: number }>, name: string, ms: number): TaskFn {
  return async (ctx) => {
    const start = performance.now();
    await sleep(ms, ctx.signal);
    times.set(name, { start, end: performance.now() });
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the promise to reject');
}

describe('Graph', () => {
  it('throws at add() on a duplicate name, an unknown dependency and an empty name', () => {
    const g = new Graph('test');
    const a = g.add({ name: 'Deploying Shoot namespace in Seed', fn: async () => {} });
    assert.throws(() => g.add({ name: 'Deploying Shoot namespace in Seed', fn: async () => {} }), /duplicate task/);
    const other = new Graph('other').add({ name: 'Somewhere else', fn: async () => {} });
    assert.throws(() => g.add({ name: 'b', fn: async () => {}, dependencies: [a, other] }), /not added before/);
    assert.throws(() => g.add({ name: 'c', fn: async () => {}, dependencies: 'typo' as TaskID }), /not added before/);
    assert.throws(() => g.add({ name: ' ', fn: async () => {} }), /non-empty name/);
    assert.deepEqual(g.compile().taskIDs, ['Deploying Shoot namespace in Seed']);
  });
});

describe('Flow.run', () => {
  it('starts a task only after all its dependencies ended', async () => {
    const times = new Map<string, { start: number; end: number }>();
    const g = new Graph('order');
    const a = g.add({ name: 'a', fn: timed(times, 'a', 30) });
    const b = g.add({ name: 'b', fn: timed(times, 'b', 20), dependencies: a });
    const c = g.add({ name: 'c', fn: timed(times, 'c', 40), dependencies: [a] });
    const sync = g.syncPoint('b and c done', [b, c]);
    g.add({ name: 'd', fn: timed(times, 'd', 10), dependencies: sync });
    const result = await g.compile().run();
    const t = (n: string) => times.get(n)!;
    assert.ok(t('b').start >= t('a').end && t('c').start >= t('a').end);
    assert.ok(t('d').start >= Math.max(t('b').end, t('c').end));
    assert.ok(t('c').start < t('b').end, 'b and c overlap');
    assert.deepEqual(result.succeeded, ['a', 'b', 'c', 'b and c done', 'd']);
  });

  it('runs independent tasks in parallel', async () => {
    const g = new Graph('parallel');
    g.add({ name: 'one', fn: () => sleep(100) });
    g.add({ name: 'two', fn: () => sleep(100) });
    const started = performance.now();
    await g.compile().run();
    assert.ok(performance.now() - started < 180, `took ${performance.now() - started}ms`);
  });

  it('runs at most `concurrency` tasks at once', async () => {
    let running = 0;
    let maxRunning = 0;
    const fn: TaskFn = async () => {
      maxRunning = Math.max(maxRunning, ++running);
      await sleep(20);
      running--;
    };
    const g = new Graph('limited');
    for (const name of ['a', 'b', 'c', 'd']) g.add({ name, fn });
    await g.compile().run({ concurrency: 2 });
    assert.equal(maxRunning, 2);
  });

  it('does not run the dependents of a failed task but keeps running independent ones', async () => {
    const ran: string[] = [];
    const record =
      (name: string): TaskFn =>
      async () => {
        ran.push(name);
      };
    const g = new Graph('failure');
    const broken = g.add({
      name: 'Deploying main and events etcd',
      fn: async () => {
        await sleep(10);
        throw new Error('etcd is broken');
      },
    });
    g.add({ name: 'Waiting until main and event etcd report readiness', fn: record('wait'), dependencies: broken });
    const other = g.add({ name: 'Deploying gardener-resource-manager', fn: record('grm') });
    g.add({ name: 'Waiting for gardener-resource-manager', fn: record('grm wait'), dependencies: other });
    const err = await rejection(g.compile().run());
    assert.ok(err instanceof FlowFailed && isFlowFailed(err) && !wasCanceled(err));
    assert.deepEqual(ran, ['grm', 'grm wait']);
    assert.deepEqual(err.result.notRun, ['Waiting until main and event etcd report readiness']);
    assert.deepEqual(err.result.completedTasks, [
      'Deploying gardener-resource-manager',
      'Waiting for gardener-resource-manager',
    ]);
  });

  it('ends with FlowFailed carrying every failed task with its error', async () => {
    const g = new Graph('two failures');
    g.add({
      name: 'first',
      fn: async () => {
        throw new Error('boom 1');
      },
    });
    g.add({
      name: 'second',
      fn: () => {
        throw 'not an Error'; // a synchronous throw of a non-Error still fails only this task
      },
    });
    g.add({ name: 'fine', fn: async () => {} });
    const err = await rejection(g.compile().run());
    assert.ok(err instanceof FlowFailed);
    const byTask = Object.fromEntries(flowErrors(err).map((e) => [e.taskID, e.error.message]));
    assert.deepEqual(byTask, { first: 'boom 1', second: 'non-error thrown: not an Error' });
    assert.match(err.message, /task "first" failed: boom 1/);
    assert.deepEqual(err.result.succeeded, ['fine']);
  });

  it('skips a task with skipIf and still runs its dependents', async () => {
    const ran: string[] = [];
    const g = new Graph('skip');
    const scale = g.add({
      name: 'Scaling etcd up',
      fn: async () => {
        ran.push('scale');
      },
      skipIf: true,
    });
    g.add({
      name: 'Waiting until main and event etcd report readiness',
      fn: async () => {
        ran.push('wait');
      },
      dependencies: scale,
    });
    const reports: FlowProgress[] = [];
    const flow = g.compile();
    assert.deepEqual(flow.skippedTaskIDs, ['Scaling etcd up'], 'known before it runs');
    const result = await flow.run({ progressReporter: (p) => void reports.push(p) });
    assert.deepEqual(ran, ['wait']);
    assert.deepEqual(result.skipped, ['Scaling etcd up']);
    const last = reports.at(-1)!;
    assert.equal(last.total, 1);
    assert.equal(last.progress, 100);
  });

  it('cancels on abort: running tasks see the signal, nothing new starts, FlowCanceled', async () => {
    const controller = new AbortController();
    let sawAbort = false;
    let dependentRan = false;
    const g = new Graph('cancel');
    const wait = g.add({
      name: 'Waiting until etcd backups are copied',
      fn: async (ctx) => {
        try {
          await sleep(10_000, ctx.signal);
        } finally {
          sawAbort = ctx.signal.aborted;
        }
      },
    });
    g.add({
      name: 'Deploying main and events ETCDs',
      fn: async () => {
        dependentRan = true;
      },
      dependencies: wait,
    });
    setTimeout(() => controller.abort(), 30);
    const started = performance.now();
    const err = await rejection(g.compile().run({ signal: controller.signal }));
    assert.ok(performance.now() - started < 1000);
    assert.ok(err instanceof FlowCanceled && wasCanceled(err) && !isFlowFailed(err));
    assert.ok(sawAbort);
    assert.equal(dependentRan, false);
    assert.deepEqual(err.result.notRun, ['Deploying main and events ETCDs']);
    assert.deepEqual(
      flowErrors(err).map((e) => e.taskID),
      ['Waiting until etcd backups are copied'],
    );
  });

  it('does not start anything when the signal is already aborted', async () => {
    let ran = false;
    const g = new Graph('pre-aborted');
    g.add({
      name: 'a',
      fn: async () => {
        ran = true;
      },
    });
    const err = await rejection(g.compile().run({ signal: AbortSignal.abort() }));
    assert.ok(wasCanceled(err));
    assert.equal(ran, false);
  });

  it('reports progress with the running task names, debounced, and 100 at the end', async () => {
    const g = new Graph('Shoot cluster restoration');
    const copy = g.add({ name: 'Waiting until etcd backups are copied', fn: () => sleep(60) });
    const deploy = g.add({ name: 'Deploying vpn-seed-server', fn: () => sleep(60) });
    let previous: TaskID = g.add({ name: 'step 0', fn: () => sleep(5), dependencies: [copy, deploy] });
    for (let i = 1; i < 20; i++) previous = g.add({ name: `step ${i}`, fn: () => sleep(5), dependencies: previous });

    const reports: FlowProgress[] = [];
    let overlapping = false;
    let inReport = false;
    await g.compile().run({
      progressIntervalMs: 50,
      progressReporter: async (p) => {
        overlapping ||= inReport;
        inReport = true;
        reports.push(p);
        await sleep(1);
        inReport = false;
      },
    });
    assert.deepEqual(reports[0]!.running, ['Waiting until etcd backups are copied', 'Deploying vpn-seed-server']);
    assert.equal(describeProgress(reports[0]!), 'Waiting until etcd backups are copied, Deploying vpn-seed-server');
    assert.equal(reports[0]!.progress, 0);
    // ~60 ms + 20 steps of ≥5 ms with 50 ms between reports: far fewer reports than the 44 state changes.
    assert.ok(reports.length >= 3 && reports.length <= 8, `${reports.length} reports`);
    assert.equal(overlapping, false);
    const last = reports.at(-1)!;
    assert.deepEqual(
      [last.progress, last.completed, last.total, last.running, last.completedTasks.length],
      [100, 22, 22, [], 22],
    );
    assert.equal(describeProgress(last), 'Shoot cluster restoration finished');
    const middle = reports.slice(1, -1);
    assert.ok(middle.some((p) => p.progress > 0 && p.progress < 100));
  });

  it('treats tasks of the `completed` set as done without running them', async () => {
    const ran: string[] = [];
    const record =
      (name: string): TaskFn =>
      async () => {
        ran.push(name);
      };
    const g = new Graph('resume');
    const a = g.add({ name: 'Persisting ShootState in garden cluster', fn: record('a') });
    const b = g.add({ name: 'Creating ETCD Snapshot', fn: record('b'), dependencies: a });
    g.add({ name: 'Migrating BackupEntry to new seed', fn: record('c'), dependencies: b });
    const reports: FlowProgress[] = [];
    const result = await g.compile().run({
      completed: new Set([
        'Persisting ShootState in garden cluster',
        'Creating ETCD Snapshot',
        'no longer in the flow',
      ]),
      progressReporter: (p) => void reports.push(p),
    });
    assert.deepEqual(ran, ['c']);
    assert.deepEqual(result.resumed, ['Persisting ShootState in garden cluster', 'Creating ETCD Snapshot']);
    assert.deepEqual(result.succeeded, ['Migrating BackupEntry to new seed']);
    assert.equal(result.completedTasks.length, 3);
    assert.deepEqual(reports[0]!.completedTasks, ['Persisting ShootState in garden cluster', 'Creating ETCD Snapshot']);
    assert.equal(reports[0]!.progress, 66);

    ran.length = 0;
    await g.compile().run();
    assert.deepEqual(ran, ['a', 'b', 'c'], 'by default everything runs again');
  });

  it('cleans a stored error as soon as its task succeeds (error context)', async () => {
    const cleaned: string[] = [];
    const g = new Graph('cleaner');
    g.add({ name: 'was broken', fn: async () => {} });
    g.add({ name: 'never broken', fn: async () => {} });
    await g.compile().run({
      errorContext: {
        lastErrors: [{ taskID: 'was broken', description: 'old' }, { description: 'no task' }],
        clean: async (taskID) => {
          cleaned.push(taskID);
        },
      },
    });
    assert.deepEqual(cleaned, ['was broken']);
  });

  it('passes flow and task names to the logger', async () => {
    const lines: { msg: string; fields: Record<string, unknown> }[] = [];
    const g = new Graph('logging');
    g.add({ name: 'a', fn: async (ctx) => ctx.log('hello', { x: 1 }) });
    await g.compile().run({ log: (msg, fields) => lines.push({ msg, fields }) });
    assert.ok(
      lines.some((l) => l.msg === 'hello' && l.fields.flow === 'logging' && l.fields.task === 'a' && l.fields.x === 1),
    );
  });
});
