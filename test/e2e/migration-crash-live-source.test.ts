/**
 * The source seed process killed with SIGKILL as each step of the live Migrate is about to start,
 * and restarted by the landscape: every live migration still ends in `Restore Succeeded` on the
 * destination with no acknowledged write lost, one etcd and one API server listening
 * (test/helpers/seed-crash-migration.ts). `make test-crash-matrix` only; `make test` runs
 * migration-crash-slice.
 */
import { describeSeedKilledAtEveryStep } from '../helpers/seed-crash-migration.js';

describeSeedKilledAtEveryStep('LiveMigrate', { moment: 'before' });
