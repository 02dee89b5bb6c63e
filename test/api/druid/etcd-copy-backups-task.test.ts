import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  copyTaskFailed,
  copyTaskFailureMessage,
  copyTaskFinished,
  copyTaskPhase,
  copyTaskSucceeded,
  copyTaskWaitForFinalSnapshot,
  copyTaskWorkerName,
  etcdCopyBackupsTaskResource,
} from '../../../src/api/druid/index.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { checked } from '../../../src/client/client.js';
import {
  SAMPLE_BACKUP_ENTRY,
  SAMPLE_CONTROL_PLANE_NAMESPACE,
  sampleCopyTask,
  sampleFailedCopyTask,
} from '../../helpers/sample-objects.js';

const NS = SAMPLE_CONTROL_PLANE_NAMESPACE;
const ENTRY = SAMPLE_BACKUP_ENTRY;

/** A task as a client reads it: through the EtcdCopyBackupsTask guard. */
const task = (obj: KubeObject = sampleCopyTask()) => checked(etcdCopyBackupsTaskResource, obj);

describe('EtcdCopyBackupsTask readers', () => {
  it('readers', () => {
    assert.deepEqual(task().spec.sourceStore, {
      provider: 's3',
      container: 'source-bucket',
      prefix: `${ENTRY}/etcd-main`,
      secretRef: { name: 'source-etcd-backup', namespace: NS },
    });
    assert.equal(task().spec.targetStore.provider, 'local');
    assert.deepEqual(copyTaskWaitForFinalSnapshot(task()), { enabled: true, timeoutMs: 300_000 });
    assert.deepEqual(
      copyTaskWaitForFinalSnapshot(task(sampleCopyTask({ waitForFinalSnapshot: { enabled: true, timeout: '0' } }))),
      {
        enabled: true,
      },
    );
    assert.deepEqual(copyTaskWaitForFinalSnapshot(task(sampleCopyTask({ waitForFinalSnapshot: undefined }))), {
      enabled: false,
    });
    assert.equal(copyTaskWorkerName(task()), 'my-shoot-worker');
    assert.equal(copyTaskPhase(task()), 'Processing');
    assert.ok(!copyTaskFinished(task()));
    const failed = task(sampleFailedCopyTask());
    assert.ok(copyTaskFailed(failed));
    assert.ok(!copyTaskSucceeded(failed));
    assert.equal(copyTaskFailureMessage(failed), 'source unreachable');
    assert.equal(failed.status?.lastError, 'dial tcp: i/o timeout');
    assert.equal(copyTaskPhase(failed), 'Failed');
  });
});
