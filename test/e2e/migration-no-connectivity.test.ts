/**
 * The seed document's first failure mode and its manual workaround, between two S3 stores
 * (test/helpers/no-connectivity-migration.ts). `make test` runs it where the multi-host twin
 * (hosts-pitfalls, 1.: the store cut by a firewall rule) cannot run.
 */
import { describeNoConnectivityToSourceStore } from '../helpers/no-connectivity-migration.js';
import { loopbackTwinOf } from '../helpers/test-matrix.js';

describeNoConnectivityToSourceStore('s3', { skip: loopbackTwinOf('hosts-pitfalls (1.)') });
