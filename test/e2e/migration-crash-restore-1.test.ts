/**
 * The destination seed process killed with SIGKILL as a step of the Restore flow is about to
 * start, and restarted by the landscape: every migration still ends in `Restore Succeeded` with
 * no acknowledged write lost (test/helpers/seed-crash-migration.ts). Every other step, from the
 * first on; migration-crash-restore-2.test.ts has the others, so the two files run in parallel.
 */
import { describeSeedKilledAtEveryStep } from '../helpers/seed-crash-migration.js';

describeSeedKilledAtEveryStep('Restore', { moment: 'before', share: { part: 0, of: 2 } });
