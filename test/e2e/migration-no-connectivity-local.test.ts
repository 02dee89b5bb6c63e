/**
 * The seed document's first failure mode and its manual workaround from an S3 store to a local
 * one: the shoot's BackupEntry changes provider in the Restore (test/helpers/no-connectivity-migration.ts).
 * `make test-matrix` only: `make test` runs an S3-to-S3 twin (hosts-pitfalls or migration-no-connectivity), and
 * the copy from S3 to a local store is covered by test/backup/copier.test.ts.
 */
import { describeNoConnectivityToSourceStore } from '../helpers/no-connectivity-migration.js';
import { testMatrixOnly } from '../helpers/test-matrix.js';

describeNoConnectivityToSourceStore('local', {
  skip: testMatrixOnly('hosts-pitfalls (1.) or migration-no-connectivity, S3 to S3'),
});
