/**
 * The pure parts of the backup lifecycle: the shoot flows' backup steps (order, and none without
 * seed backups), the BackupBucketsReady condition, the control-plane namespace of an entry, and
 * the seed's backup flags (S3 credentials from a file or the environment, never a flag).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BackupBucket } from '../../src/api/core-gardener/backup-bucket.js';
import type { ExtensionBackupEntry } from '../../src/api/extensions/backup-entry.js';
import { seedBackupFromFlags } from '../../src/cli/seed-command.js';
import { controlPlaneNamespaceOf } from '../../src/seed/extensions/backup-actuators.js';
import { backupBucketsCondition } from '../../src/seed/gardenlet/backup-bucket-controller.js';
import { backupSecretData } from '../../src/seed/gardenlet/seed-registration.js';
import { deleteFlow, reconcileFlow } from '../../src/seed/gardenlet/shoot-flows.js';
import { recordingComponents } from '../helpers/recording-components.js';

describe('the shoot flows and backups', () => {
  it('deploy the backup entry and wait for it before etcd when the seed has backups', async () => {
    const { components, calls } = recordingComponents();
    await reconcileFlow(components, { operation: 'Create', allowBackup: true, skipReadiness: false }).run();
    const at = (name: string) => calls.indexOf(name);
    assert.ok(at('backupEntry.deploy') >= 0 && at('backupEntry.wait') > at('backupEntry.deploy'));
    assert.ok(at('etcdMain.deploy') > at('backupEntry.wait'));
  });

  it('skip both backup steps when the seed has no backups', async () => {
    const { components, calls } = recordingComponents();
    const flow = reconcileFlow(components, { operation: 'Create', allowBackup: false, skipReadiness: false });
    const result = await flow.run();
    assert.ok(!calls.some((call) => call.startsWith('backupEntry.')));
    assert.ok(calls.includes('etcdMain.deploy'));
    const skipped: readonly string[] = result.skipped;
    assert.ok(skipped.includes('Deploying backup entry'));
    assert.ok(skipped.includes('Waiting until the backup entry has been reconciled'));
  });

  it('delete the backup entry only after etcd is gone', async () => {
    const { components, calls } = recordingComponents();
    await deleteFlow(components).run();
    assert.ok(calls.indexOf('backupEntry.destroy') > calls.indexOf('etcdMain.waitCleanup'));
    assert.ok(calls.indexOf('backupEntry.waitCleanup') > calls.indexOf('backupEntry.destroy'));
  });
});

describe('BackupBucketsReady', () => {
  const bucket = (name: string, lastError?: string): BackupBucket => ({
    metadata: { name },
    spec: { provider: { type: 'local' } },
    ...(lastError ? { status: { lastError: { description: lastError } } } : {}),
  });

  it('is True with buckets, Unknown without, False naming each bucket with an error', () => {
    assert.equal(backupBucketsCondition([bucket('a')]).status, 'True');
    assert.equal(backupBucketsCondition([bucket('a')]).reason, 'BackupBucketsAvailable');
    assert.equal(backupBucketsCondition([]).status, 'Unknown');
    assert.equal(backupBucketsCondition([]).reason, 'BackupBucketsGone');
    const failed = backupBucketsCondition([bucket('a'), bucket('b', 'access denied')]);
    assert.equal(failed.status, 'False');
    assert.equal(failed.reason, 'BackupBucketsError');
    assert.equal(failed.message, 'The following BackupBuckets have issues:\n* b: access denied');
  });
});

describe('backup entries', () => {
  it('write their secret into the control-plane namespace their name starts with', () => {
    const entry = (name: string): ExtensionBackupEntry => ({
      metadata: { name },
      spec: { type: 'local', region: 'local', bucketName: 'b', secretRef: { name: `entry-${name}` } },
    });
    assert.equal(controlPlaneNamespaceOf(entry('shoot--dev--a--0f3e-11')), 'shoot--dev--a');
    assert.equal(controlPlaneNamespaceOf(entry('source-shoot--dev--a--0f3e-11')), 'shoot--dev--a');
  });
});

describe('transplant seed backup flags', () => {
  it('read S3 credentials from a file and take the endpoint flag; the garden secret has etcdbrctl keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'transplant-flags-'));
    try {
      const file = join(dir, 'credentials.json');
      await writeFile(
        file,
        JSON.stringify({ accessKeyID: 'AKIDEXAMPLE', secretAccessKey: 'c2VjcmV0', region: 'eu-1' }),
      );
      const backup = await seedBackupFromFlags(
        { backupProvider: 's3', backupEndpoint: 'http://127.0.0.1:9000', backupCredentialsFile: file },
        {},
      );
      assert.equal(backup?.provider, 's3');
      assert.equal(backup?.region, 'eu-1');
      assert.deepEqual(backupSecretData(backup!), {
        accessKeyID: 'AKIDEXAMPLE',
        secretAccessKey: 'c2VjcmV0',
        region: 'eu-1',
        endpoint: 'http://127.0.0.1:9000',
        s3ForcePathStyle: 'true',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('read S3 credentials from the environment as etcdbrctl does, and refuse what is missing', async () => {
    const backup = await seedBackupFromFlags(
      { backupProvider: 's3' },
      { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'c2VjcmV0', AWS_REGION: 'eu-1' },
    );
    assert.equal(backup?.provider === 's3' && backup.credentials.accessKeyId, 'AKIDEXAMPLE');
    await assert.rejects(seedBackupFromFlags({ backupProvider: 's3' }, {}), /no S3 credentials/);
    await assert.rejects(seedBackupFromFlags({ backupProvider: 'gcs' }, {}), /not supported: use "local" or "s3"/);
    await assert.rejects(seedBackupFromFlags({ backupProvider: 'local' }, {}), /needs --backup-root/);
  });
});
