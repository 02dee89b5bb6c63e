/**
 * Whether a shoot's destination seed may take its control plane now: the `ReadyForMigration`
 * constraint Gardener's controller manager keeps on a shoot being moved (`pkg/controllermanager/
 * controller/shoot/migration`), and the source's Migrate waits for before it stops anything.
 *
 * As in Gardener the destination must be ready (`seedReadiness`) and not being deleted. On top of
 * that its gardenlet must have reported since the migration began (`status.migrationStartTime`):
 * a heartbeat up to a minute old proves only that the destination was alive before the binding,
 * and the source is about to stop the only API server of the shoot. Both times are whole seconds,
 * so a heartbeat in the same second as the binding counts.
 */
import type { Condition } from '../meta.js';
import { getCondition, SeedConditionType, ShootConditionType, setCondition } from './conditions.js';
import type { Seed } from './seed.js';
import { seedReadiness } from './seed-readiness.js';

export interface MigrationReadiness {
  status: 'True' | 'False';
  /** Gardener's reasons: DestinationSeedReady, DestinationSeedUnready, DestinationSeedInDeletion. */
  reason: string;
  message: string;
}

export const READY_FOR_MIGRATION = ShootConditionType.ReadyForMigration;

/** The constraint for a migration to `destination` (null: no such seed) begun at `migrationStartTime`. */
export function migrationReadiness(
  destinationName: string,
  destination: Seed | null,
  migrationStartTime: string,
  now: Date = new Date(),
): MigrationReadiness {
  const unready = (message: string): MigrationReadiness => ({
    status: 'False',
    reason: 'DestinationSeedUnready',
    message: `destination seed ${destinationName} is not ready: ${message}`,
  });
  if (!destination) return unready('it does not exist');
  if (destination.metadata.deletionTimestamp) {
    return { status: 'False', reason: 'DestinationSeedInDeletion', message: 'Seed is being deleted' };
  }
  const readiness = seedReadiness(destination, now);
  if (!readiness.ready) return unready(readiness.reason);
  const gardenlet = getCondition(destination.status?.conditions ?? [], SeedConditionType.GardenletReady);
  const heartbeat = gardenlet?.lastUpdateTime ?? gardenlet?.lastTransitionTime ?? '';
  if (Date.parse(heartbeat) < Date.parse(migrationStartTime)) {
    return unready(
      `its gardenlet has not reported since the migration started at ${migrationStartTime} (last heartbeat ${heartbeat})`,
    );
  }
  return {
    status: 'True',
    reason: 'DestinationSeedReady',
    message: 'Destination seed cluster is ready for the shoot migration',
  };
}

/** `constraints` with `ReadyForMigration` set to `readiness`; the same array when it says the same already. */
export function withMigrationReadiness(
  constraints: readonly Condition[],
  readiness: MigrationReadiness,
  now: Date = new Date(),
): readonly Condition[] {
  const existing = getCondition(constraints, READY_FOR_MIGRATION);
  const same =
    existing?.status === readiness.status &&
    existing.reason === readiness.reason &&
    existing.message === readiness.message;
  if (same) return constraints;
  return setCondition(constraints, READY_FOR_MIGRATION, readiness.status, readiness.reason, readiness.message, now);
}
