/**
 * The seed document's first failure mode and its manual workaround from an S3 store to a local
 * one: the shoot's BackupEntry changes provider in the Restore (test/helpers/no-connectivity-migration.ts).
 */
import { describeNoConnectivityToSourceStore } from '../helpers/no-connectivity-migration.js';

describeNoConnectivityToSourceStore('local');
