/**
 * The seed document's first failure mode and its manual workaround, between two S3 stores
 * (test/helpers/no-connectivity-migration.ts).
 */
import { describeNoConnectivityToSourceStore } from '../helpers/no-connectivity-migration.js';

describeNoConnectivityToSourceStore('s3');
