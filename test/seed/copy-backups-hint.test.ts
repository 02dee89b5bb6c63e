/**
 * The error of "Waiting until etcd backups are copied" says why and what to do: the task's error,
 * then the seed document's manual path with this shoot's names and stores filled in.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Shoot } from '../../src/api/core-gardener/shoot.js';
import type { EtcdCopyBackupsTask } from '../../src/api/druid/etcd-copy-backups-task.js';
import { copyBackupsFailedMessage } from '../../src/seed/gardenlet/copy-backups-hint.js';

const shoot: Shoot = { metadata: { name: 'my-shoot', namespace: 'garden-dev', uid: 'u1' }, spec: {} };
const prefix = 'shoot--dev--my-shoot--u1/etcd-main';
const task: EtcdCopyBackupsTask = {
  metadata: { name: 'my-shoot', namespace: 'shoot--dev--my-shoot' },
  spec: {
    sourceStore: { provider: 'local', container: 'bucket-a', prefix, secretRef: { name: 'source-etcd-backup' } },
    targetStore: { provider: 's3', container: 'bucket-b', prefix, secretRef: { name: 'etcd-backup' } },
  },
};

describe('copyBackupsFailedMessage', () => {
  const message = copyBackupsFailedMessage(shoot, task, 'source store /backups/bucket-a: EACCES');

  it('names the task and why it failed', () => {
    assert.match(
      message,
      /^EtcdCopyBackupsTask shoot--dev--my-shoot\/my-shoot cannot copy .*: source store \/backups\/bucket-a: EACCES\./,
    );
  });

  it("gives the copy command with etcdbrctl's flags and the task's stores", () => {
    assert.ok(
      message.includes(
        `transplant backup copy --source-storage-provider=Local --source-store-container=bucket-a --source-store-prefix=${prefix} ` +
          `--storage-provider=S3 --store-container=bucket-b --store-prefix=${prefix} --wait-for-final-snapshot=true`,
      ),
      message,
    );
  });

  it("gives the seed document's patch command and the finalizer to remove afterwards", () => {
    assert.ok(
      message.includes(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell variables of the seed document's command
        'SHOOT_NAME=my-shoot; PROJECT_NAME=dev; kubectl patch -n shoot--${PROJECT_NAME}--${SHOOT_NAME} etcdcopybackupstask ${SHOOT_NAME} ' +
          '--subresource status --type merge -p "{\\"status\\":{\\"conditions\\":[{\\"type\\":\\"Succeeded\\",\\"status\\":\\"True\\",' +
          '\\"reason\\":\\"manual copy successful\\",\\"message\\":\\"manual copy successful\\",' +
          '\\"lastTransitionTime\\":\\"$(date -Iseconds)\\",\\"lastUpdateTime\\":\\"$(date -Iseconds)\\"}]}}"',
      ),
      message,
    );
    assert.match(
      message,
      /remove the finalizer of the extensions\.gardener\.cloud BackupEntry source-shoot--dev--my-shoot--u1/,
    );
  });
});
