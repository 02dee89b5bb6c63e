import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CodedError,
  doIf,
  errorCodesOf,
  isTerminal,
  parallel,
  parallelExitOnError,
  RetryTimeoutError,
  recover,
  retryUntilTimeout,
  sequential,
  skipIf,
  sleep,
  type TaskContext,
  TaskTimeoutError,
  TerminalTaskError,
  terminal,
  timeout,
  withCodes,
} from '../../src/flow/index.js';

function context(signal: AbortSignal = new AbortController().signal): TaskContext {
  return { signal, log: () => {} };
}

describe('retryUntilTimeout', () => {
  it('retries until the function succeeds', async () => {
    let calls = 0;
    await retryUntilTimeout(
      async () => {
        if (++calls < 4) throw new Error('not yet');
      },
      5,
      1000,
    )(context());
    assert.equal(calls, 4);
  });

  it('gives up at the timeout with the last error as cause', async () => {
    let calls = 0;
    const started = performance.now();
    await assert.rejects(
      retryUntilTimeout(
        async () => {
          calls++;
          throw withCodes(new Error('etcd not ready'), 'ERR_RETRYABLE_INFRA_DEPENDENCIES');
        },
        10,
        80,
      )(context()),
      (err: unknown) => {
        assert.ok(err instanceof RetryTimeoutError);
        assert.match(err.message, /last error: etcd not ready/);
        assert.deepEqual(errorCodesOf(err), ['ERR_RETRYABLE_INFRA_DEPENDENCIES']);
        return true;
      },
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 75 && elapsed < 300, `${elapsed}ms`);
    assert.ok(calls >= 3, `${calls} calls`);
  });

  it('cuts an attempt that ignores the signal at the deadline', async () => {
    const started = performance.now();
    await assert.rejects(retryUntilTimeout(() => sleep(400), 10, 50)(context()), RetryTimeoutError);
    assert.ok(performance.now() - started < 300);
  });

  it('stops at a terminal error', async () => {
    let calls = 0;
    await assert.rejects(
      retryUntilTimeout(
        async () => {
          calls++;
          throw terminal(new Error('BackupEntries point to the same bucket'));
        },
        5,
        1000,
      )(context()),
      (err: unknown) => err instanceof TerminalTaskError && err.message === 'BackupEntries point to the same bucket',
    );
    assert.equal(calls, 1);
  });

  it('stops waiting when the run is aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 30);
    const started = performance.now();
    await assert.rejects(
      retryUntilTimeout(
        async () => {
          throw new Error('not yet');
        },
        1000,
        10_000,
      )(context(controller.signal)),
      /shutting down/,
    );
    assert.ok(performance.now() - started < 500);
  });
});

describe('combinators', () => {
  it('timeout fails a slow function and aborts its signal', async () => {
    let seen: AbortSignal | undefined;
    await assert.rejects(
      timeout(async (ctx) => {
        seen = ctx.signal;
        await sleep(400); // ignores its signal
      }, 30)(context()),
      TaskTimeoutError,
    );
    assert.ok(seen?.aborted);
    await timeout(() => sleep(5), 1000)(context());
  });

  it('skipIf and doIf', async () => {
    let calls = 0;
    const fn = async () => {
      calls++;
    };
    await skipIf(fn, true)(context());
    await doIf(fn, false)(context());
    assert.equal(calls, 0);
    await skipIf(fn, false)(context());
    await doIf(fn, true)(context());
    assert.equal(calls, 2);
  });

  it('sequential runs in order and stops at the first failure', async () => {
    const order: number[] = [];
    const step =
      (n: number, fail = false) =>
      async () => {
        await sleep(5 - n);
        order.push(n);
        if (fail) throw new Error(`step ${n}`);
      };
    await assert.rejects(sequential(step(1), step(2, true), step(3))(context()), /step 2/);
    assert.deepEqual(order, [1, 2]);
  });

  it('parallel runs everything and collects all errors', async () => {
    let finished = 0;
    const started = performance.now();
    await assert.rejects(
      parallel(
        async () => {
          throw new Error('a');
        },
        async () => {
          await sleep(50);
          finished++;
        },
        async () => {
          await sleep(50);
          throw new Error('b');
        },
      )(context()),
      (err: unknown) => err instanceof AggregateError && err.errors.length === 2 && err.message === 'a; b',
    );
    assert.equal(finished, 1);
    assert.ok(performance.now() - started < 90, 'concurrently');
  });

  it('parallelExitOnError aborts the others at the first failure', async () => {
    let otherSawAbort = false;
    const started = performance.now();
    await assert.rejects(
      parallelExitOnError(
        async () => {
          await sleep(10);
          throw new Error('first');
        },
        async (ctx) => {
          await sleep(5000, ctx.signal).catch(() => {
            otherSawAbort = ctx.signal.aborted;
          });
        },
      )(context()),
      /first/,
    );
    assert.ok(otherSawAbort);
    assert.ok(performance.now() - started < 500);
  });

  it('recover turns synchronous and non-Error throws into rejected Errors', async () => {
    await assert.rejects(
      recover((() => {
        throw 42;
      }) as never)(context()),
      (err: unknown) => err instanceof Error && err.message === 'non-error thrown: 42',
    );
  });
});

describe('task errors', () => {
  it('terminal and codes survive wrapping in either order', () => {
    const inner = new Error('quota');
    const a = withCodes(terminal(inner), 'ERR_INFRA_DEPENDENCIES');
    const b = terminal(withCodes(inner, 'ERR_CONFIGURATION_PROBLEM'));
    assert.ok(a instanceof CodedError && isTerminal(a) && isTerminal(b));
    assert.deepEqual(errorCodesOf(a), ['ERR_INFRA_DEPENDENCIES']);
    assert.deepEqual(errorCodesOf(b), ['ERR_CONFIGURATION_PROBLEM']);
    assert.equal(a.message, 'quota');
    assert.equal(isTerminal(inner), false);
    const named = new Error('from a reconciler');
    named.name = 'TerminalError';
    assert.ok(isTerminal(named));
  });
});
