/**
 * The destination seed process of a highly available shoot (3 etcd members, 2 kube-apiserver
 * replicas) killed with SIGKILL as each step of its part of the live migration is about to start,
 * and restarted by the landscape: every live migration still ends in `Restore Succeeded` on the
 * destination with no acknowledged write lost, the destination's 3 members the whole cluster, one
 * API server set listening, and, sampled throughout, never more than one learner nor fewer running
 * voters than a quorum (test/helpers/seed-crash-migration.ts). `make test-crash-matrix` only
 * (every step); `make test` skips the file.
 */
import { describeSeedKilledAtEveryStep } from '../helpers/seed-crash-migration.js';

describeSeedKilledAtEveryStep('LiveMigration', { moment: 'before', failureTolerance: 'node' });
