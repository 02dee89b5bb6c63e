import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LastError } from '../../src/api/core-gardener/common.js';
import { FlowFailed, type FlowResult, Graph, lastErrorsAfter, withCodes } from '../../src/flow/index.js';

const now = new Date('2025-01-02T03:04:05Z');

describe('lastErrorsAfter', () => {
  it('adds and updates failed tasks, clears succeeded ones, keeps the others', async () => {
    const previous: LastError[] = [
      { taskID: 'Deploying main and events etcd', description: 'old etcd error', lastUpdateTime: 'then' },
      { taskID: 'Waiting until etcd backups are copied', description: 'old copy error', lastUpdateTime: 'then' },
      { taskID: 'Deploying kube-apiserver', description: 'not run this time', lastUpdateTime: 'then' },
      { description: 'an error without task' },
    ];
    const g = new Graph('Shoot cluster restoration');
    const etcd = g.add({ name: 'Deploying main and events etcd', fn: async () => {} });
    g.add({
      name: 'Waiting until etcd backups are copied',
      fn: async () => {
        throw withCodes(new Error('source store unreachable'), 'ERR_RETRYABLE_INFRA_DEPENDENCIES');
      },
      dependencies: etcd,
    });
    g.add({
      name: 'Deploying source backup entry',
      fn: async () => {
        throw new Error('conflict');
      },
    });
    g.add({ name: 'Deploying kube-apiserver', fn: async () => {}, skipIf: true });

    let err: unknown;
    try {
      await g.compile().run();
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof FlowFailed);
    assert.deepEqual(lastErrorsAfter(previous, err, now), [
      {
        taskID: 'Waiting until etcd backups are copied',
        description: 'source store unreachable',
        codes: ['ERR_RETRYABLE_INFRA_DEPENDENCIES'],
        lastUpdateTime: '2025-01-02T03:04:05.000Z',
      },
      { taskID: 'Deploying kube-apiserver', description: 'not run this time', lastUpdateTime: 'then' },
      { description: 'an error without task' },
      { taskID: 'Deploying source backup entry', description: 'conflict', lastUpdateTime: '2025-01-02T03:04:05.000Z' },
    ]);
  });

  it('after a successful run keeps only errors of tasks that did not run', () => {
    const result: FlowResult = {
      flowName: 'f',
      succeeded: [],
      resumed: [],
      skipped: [],
      failed: [],
      notRun: [],
      completedTasks: ['a', 'b'],
    };
    const previous: LastError[] = [
      { taskID: 'a', description: 'x' },
      { taskID: 'c', description: 'y' },
    ];
    assert.deepEqual(lastErrorsAfter(previous, result, now), [{ taskID: 'c', description: 'y' }]);
    assert.equal(previous.length, 2, 'pure: the input is not changed');
  });
});
