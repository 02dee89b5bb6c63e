/**
 * Continuous backups to an S3 bucket (s3rver, through the AWS SDK) and restore after data loss,
 * on a real landscape started with `transplant up --backup s3` (see
 * test/helpers/backup-restore-scenario.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { backupScenario, itRestoresAfterDataLoss } from '../helpers/backup-restore-scenario.js';
import { startS3rver, writeS3rverCredentialsFile } from '../helpers/s3rver.js';

describe('backups to an S3 bucket', () => {
  const scenario = backupScenario(async () => {
    const s3 = await startS3rver();
    const dir = await mkdtemp(join(tmpdir(), 'transplant-s3-credentials-'));
    const credentials = join(dir, 'credentials.json');
    await writeS3rverCredentialsFile(credentials);
    return {
      seeds: ['seed-a'],
      backup: 's3',
      backupEndpoint: s3.endpoint,
      env: { AWS_APPLICATION_CREDENTIALS_JSON: credentials },
      cleanup: async () => {
        await s3.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });

  itRestoresAfterDataLoss(scenario);
});
