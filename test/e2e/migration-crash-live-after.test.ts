/**
 * The seed process killed with SIGKILL right after each step of the live flows that changes
 * something did its work, before the flow recorded it: the source seed in the live Migrate, the
 * destination seed in the live migration's Restore side. The restarted seed finds the work done
 * (a learner added, a member promoted, the endpoint switched, a member removed) and every live
 * migration still ends in `Restore Succeeded` on the destination with no acknowledged write lost
 * and one control plane (test/helpers/seed-crash-migration.ts). `make test-crash-matrix` only.
 */
import { describeSeedKilledAtEveryStep } from '../helpers/seed-crash-migration.js';

describeSeedKilledAtEveryStep('LiveMigrate', { moment: 'after' });
describeSeedKilledAtEveryStep('LiveMigration', { moment: 'after' });
