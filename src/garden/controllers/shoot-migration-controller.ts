/**
 * The garden's shoot migration controller (Gardener's controller manager
 * `pkg/controllermanager/controller/shoot/migration`): while a shoot is bound to another seed than
 * the one hosting it, its `ReadyForMigration` constraint says whether the destination may take
 * the control plane now (src/api/core-gardener/migration-readiness.ts), and the source's Migrate
 * waits for it to be True before it stops anything. The constraint goes once the source let go.
 *
 * It also keeps `status.migrationStartTime` as Gardener's shoot migration reconciler did (until
 * v1.65): set when the shoot is first seen being moved, cleared when it is no longer moved
 * (`status.seedName` is `spec.seedName` again: the Restore succeeded, whose status write clears
 * it too, or the move was undone before it began). Between Migrate and Restore
 * (`status.seedName` null) it stays.
 */
import {
  type MigrationReadiness,
  migrationReadiness,
  READY_FOR_MIGRATION,
  withMigrationReadiness,
} from '../../api/core-gardener/migration-readiness.js';
import { seedResource } from '../../api/core-gardener/seed.js';
import {
  type Shoot,
  shootResource,
  shootSpecSeedName,
  shootStatusSeedName,
  shouldPrepareShootForMigration,
} from '../../api/core-gardener/shoot.js';
import { nowTimestamp } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';

/**
 * How often a shoot being moved is looked at again: seeds' heartbeats are not watched here, and a
 * destination that recovers should be noticed within a heartbeat or two (Gardener: 5 s).
 */
const recheckMs = 2_000;

export class ShootMigrationReconciler implements Reconciler {
  readonly #client: Client;
  readonly #recheckMs: number;

  constructor(client: Client, options: { recheckMs?: number } = {}) {
    this.#client = client;
    this.#recheckMs = options.recheckMs ?? recheckMs;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const shoot = await this.#client.resource(shootResource).find(key.namespace, key.name);
    if (!shoot) return {};
    if (!shouldPrepareShootForMigration(shoot)) {
      await this.#settle(shoot);
      return {};
    }
    const startedAt = shoot.status?.migrationStartTime ?? nowTimestamp();
    const destinationName = shootSpecSeedName(shoot)!;
    const destination = await this.#client.resource(seedResource).find('', destinationName);
    const readiness: MigrationReadiness = migrationReadiness(destinationName, destination, startedAt);
    const constraints = shoot.status?.constraints ?? [];
    const next = withMigrationReadiness(constraints, readiness);
    if (next !== constraints || shoot.status?.migrationStartTime !== startedAt) {
      // The constraints list is replaced as a whole: the resourceVersion keeps another writer's change.
      await this.#patchStatus(shoot, { constraints: next, migrationStartTime: startedAt }, true);
    }
    return { requeueAfterMs: this.#recheckMs };
  }

  /** Not being moved (any more): no constraint; no start time once the shoot runs where it is bound. */
  async #settle(shoot: Shoot): Promise<void> {
    const constraints = shoot.status?.constraints ?? [];
    const hasConstraint = constraints.some((c) => c.type === READY_FOR_MIGRATION);
    const settled = shootStatusSeedName(shoot) !== undefined && shootStatusSeedName(shoot) === shootSpecSeedName(shoot);
    const clearStart = settled && shoot.status?.migrationStartTime !== undefined;
    if (!hasConstraint && !clearStart) return;
    await this.#patchStatus(
      shoot,
      {
        ...(hasConstraint ? { constraints: constraints.filter((c) => c.type !== READY_FOR_MIGRATION) } : {}),
        ...(clearStart ? { migrationStartTime: null } : {}),
      },
      hasConstraint,
    );
  }

  async #patchStatus(shoot: Shoot, status: Record<string, unknown>, guarded: boolean): Promise<void> {
    const metadata = guarded ? { metadata: { resourceVersion: shoot.metadata.resourceVersion } } : {};
    await this.#client
      .resource(shootResource)
      .patch(shoot.metadata.namespace!, shoot.metadata.name!, { ...metadata, status }, { subresource: 'status' });
  }
}
