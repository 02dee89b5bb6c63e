/**
 * Which operation a seed's gardenlet runs for a shoot (Gardener's `GetResponsibleSeedName` and
 * `ComputeOperationType`, with the seed document's null `status.seedName` after Migrate):
 *
 * - Migrate on the source: `status.seedName` is this seed and `spec.seedName` another one.
 * - Restore on the destination: `spec.seedName` is this seed, `status.seedName` is null, and the
 *   last operation is a succeeded Migrate or a Restore that has not succeeded yet. The Restore
 *   never starts before the Migrate succeeded, so the two seeds never serve the shoot together.
 * - Delete, Create or Reconcile when the shoot is placed here and not being moved.
 * - Nothing otherwise: another seed is responsible, or the source has not finished yet.
 */
import type { LastOperationType } from '../../api/core-gardener/common.js';
import {
  ABORT_LIVE_MIGRATION_ANNOTATION,
  abortable,
  type LiveMigrationRecord,
  wantsLiveMigration,
} from '../../api/core-gardener/live-migration.js';
import { type Shoot, shootSpecSeedName, shootStatusSeedName } from '../../api/core-gardener/shoot.js';

/** The operations of a shoot: Gardener's last operation types, every one of them. */
export type ShootOperation = LastOperationType;

export function shootOperationFor(shoot: Shoot, seedName: string): ShootOperation | undefined {
  const spec = shootSpecSeedName(shoot);
  const status = shootStatusSeedName(shoot);
  const last = shoot.status?.lastOperation;
  if (status === seedName && spec !== undefined && spec !== seedName) return 'Migrate';
  if (spec !== seedName) return undefined;
  // Still hosted by the source, which has to migrate it first.
  if (status !== undefined && status !== seedName) return undefined;
  if (status === undefined && last?.type === 'Migrate') return last.state === 'Succeeded' ? 'Restore' : undefined;
  if (status === undefined && last?.type === 'Restore' && last.state !== 'Succeeded') return 'Restore';
  if (shoot.metadata.deletionTimestamp) return 'Delete';
  const created = last !== undefined && (last.type !== 'Create' || last.state === 'Succeeded');
  return created ? 'Reconcile' : 'Create';
}

/**
 * A live migration's part for this seed (docs/live-migration.md "The record both seeds keep"),
 * for a shoot that asks for one (`migration.gardener.cloud/live-migrate: "true"`), given its
 * record in the ShootState (that of this pair of seeds, or undefined):
 *
 * - `Source`: the source's live Migrate; it owns `lastOperation` until its control plane is gone.
 * - `Destination`: the destination's part, from the source's `Preparing` on, concurrently with
 *   the source, until `Completed` (also after the source's Migrate succeeded: then the ordinary
 *   Restore follows, which adopts what runs).
 * - `Abort`: the destination takes its members and API server away (before the point of no return).
 * - `Wait`: nothing to do now, look again soon (the other seed's turn, or the garden's rebinding).
 * - undefined: no live migration concerns this seed; the ordinary dispatch decides.
 */
export type LiveMigrationPart = 'Source' | 'Destination' | 'Abort' | 'Wait';

export function liveMigrationPartFor(
  shoot: Shoot,
  seedName: string,
  record: LiveMigrationRecord | undefined,
): LiveMigrationPart | undefined {
  const annotations = shoot.metadata.annotations;
  if (!wantsLiveMigration(annotations) || shoot.metadata.deletionTimestamp) return undefined;
  const abort = annotations?.[ABORT_LIVE_MIGRATION_ANNOTATION] === 'true';
  const spec = shootSpecSeedName(shoot);
  const status = shootStatusSeedName(shoot);
  if (status === seedName && spec !== undefined && spec !== seedName) return abort ? 'Wait' : 'Source';
  if (spec !== seedName || status === seedName) return undefined;
  // This seed is the destination; the source still hosts the shoot, or its Migrate succeeded.
  const afterMigrate = status === undefined;
  if (record?.phase === 'Aborted') return afterMigrate ? undefined : 'Wait';
  if (record?.phase === 'Aborting' && !afterMigrate) return 'Abort';
  if (abort && !afterMigrate && (!record || abortable(record))) return 'Abort';
  if (!record || record.phase === 'Completed') return afterMigrate ? undefined : 'Wait';
  return 'Destination';
}
