import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  copyTaskFailed,
  copyTaskFailureMessage,
  copyTaskFinished,
  copyTaskLastError,
  copyTaskPhase,
  copyTaskSourceStore,
  copyTaskSucceeded,
  copyTaskTargetStore,
  copyTaskWaitForFinalSnapshot,
  copyTaskWorkerName,
} from '../../../src/api/druid/index.js';
import {
  SAMPLE_BACKUP_ENTRY,
  SAMPLE_CONTROL_PLANE_NAMESPACE,
  sampleCopyTask,
  sampleFailedCopyTask,
} from '../../helpers/sample-objects.js';

const NS = SAMPLE_CONTROL_PLANE_NAMESPACE;
const ENTRY = SAMPLE_BACKUP_ENTRY;

describe('EtcdCopyBackupsTask readers', () => {
  it('readers', () => {
    const task = sampleCopyTask();
    assert.deepEqual(copyTaskSourceStore(task), {
      provider: 's3',
      container: 'source-bucket',
      prefix: `${ENTRY}/etcd-main`,
      secretRef: { name: 'source-etcd-backup', namespace: NS },
    });
    assert.equal(copyTaskTargetStore(task)?.provider, 'local');
    assert.deepEqual(copyTaskWaitForFinalSnapshot(task), { enabled: true, timeoutMs: 300_000 });
    assert.deepEqual(
      copyTaskWaitForFinalSnapshot(sampleCopyTask({ waitForFinalSnapshot: { enabled: true, timeout: '0' } })),
      {
        enabled: true,
      },
    );
    assert.deepEqual(copyTaskWaitForFinalSnapshot(sampleCopyTask({ waitForFinalSnapshot: undefined })), {
      enabled: false,
    });
    assert.equal(copyTaskWorkerName(task), 'my-shoot-worker');
    assert.equal(copyTaskPhase(task), 'Processing');
    assert.ok(!copyTaskFinished(task));
    const failed = sampleFailedCopyTask();
    assert.ok(copyTaskFailed(failed));
    assert.ok(!copyTaskSucceeded(failed));
    assert.equal(copyTaskFailureMessage(failed), 'source unreachable');
    assert.equal(copyTaskLastError(failed), 'dial tcp: i/o timeout');
    assert.equal(copyTaskPhase(failed), 'Failed');
  });
});
