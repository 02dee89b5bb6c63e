/**
 * The seed process killed with SIGKILL right after each step of the Migrate flow (on the source)
 * and of the Restore flow (on the destination) that changes something did its work, before the
 * flow recorded it: the restarted seed finds the work done and every migration still ends in
 * `Restore Succeeded` with no acknowledged write lost (test/helpers/seed-crash-migration.ts).
 */
import { describeSeedKilledAtEveryStep } from '../helpers/seed-crash-migration.js';

describeSeedKilledAtEveryStep('Migrate', { moment: 'after' });
describeSeedKilledAtEveryStep('Restore', { moment: 'after' });
