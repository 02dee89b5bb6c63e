/**
 * The source seed process killed with SIGKILL as each step of the Migrate flow is about to start,
 * and restarted by the landscape: every migration still ends in `Restore Succeeded` with no
 * acknowledged write lost (test/helpers/seed-crash-migration.ts).
 */
import { describeSeedKilledAtEveryStep } from '../helpers/seed-crash-migration.js';

describeSeedKilledAtEveryStep('Migrate', { moment: 'before' });
