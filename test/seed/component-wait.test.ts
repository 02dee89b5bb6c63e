/**
 * How the gardenlet's components wait (src/seed/gardenlet/components/wait.ts): with the flow
 * toolkit's retryUntilTimeout — again until the check passes, at once out when waiting cannot help
 * (terminal) or the flow is canceled, and with the last thing seen when the time is up.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowCanceled } from '../../src/flow/flow-errors.js';
import { Graph } from '../../src/flow/graph.js';
import { RetryTimeoutError, terminal } from '../../src/flow/task-errors.js';
import type { TaskContext } from '../../src/flow/task-fn.js';
import { NotYetError, waitUntil } from '../../src/seed/gardenlet/components/wait.js';

const context = (signal = new AbortController().signal): TaskContext => ({ signal, log: () => {} });

describe('components wait', () => {
  it('look again until the check passes, soon at first', async () => {
    let attempts = 0;
    const started = Date.now();
    await waitUntil(context(), 5_000, async () => {
      if (++attempts < 4) throw new NotYetError('not yet');
    });
    assert.equal(attempts, 4);
    // 25 + 50 + 100 ms of backoff, not a fixed long interval.
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
  });

  it('end at once when waiting cannot help', async () => {
    let attempts = 0;
    await assert.rejects(
      waitUntil(context(), 5_000, async () => {
        attempts++;
        throw terminal(new Error('etcd-main cannot start: broken backups'));
      }),
      /broken backups/,
    );
    assert.equal(attempts, 1);
  });

  it('name what they saw last when the time is up', async () => {
    await assert.rejects(
      waitUntil(context(), 300, async () => {
        throw new NotYetError('BackupEntry x is not reconciled: bucket missing');
      }),
      (err) => err instanceof RetryTimeoutError && /bucket missing/.test(err.message),
    );
  });

  it('stop at once when their flow is canceled', async () => {
    const controller = new AbortController();
    const g = new Graph('cancel');
    g.add({
      name: 'Waiting until something that never comes',
      fn: (ctx) =>
        waitUntil(ctx, 60_000, async () => {
          throw new NotYetError('never');
        }),
    });
    const run = g.compile().run({ signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const canceledAt = Date.now();
    controller.abort(new Error('the seed is stopping'));
    await assert.rejects(run, (err) => err instanceof FlowCanceled);
    assert.ok(Date.now() - canceledAt < 200, `the wait ended ${Date.now() - canceledAt} ms after the cancel`);
  });
});
