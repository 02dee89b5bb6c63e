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
