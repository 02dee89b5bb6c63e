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
 *
 * Live migrations (docs/live-migration.md): when the destination has aborted one (the record in the
 * ShootState is `Aborted`), it binds the shoot back to its source (`spec.seedName` =
 * `status.seedName`) and takes the abort annotation away in the same write, with an Event; a move
 * that fell back to the classic migration in its binding gets an Event naming why, when the move
 * is first seen.
 */

import { type Logger, pino } from 'pino';
import {
  ABORT_LIVE_MIGRATION_ANNOTATION,
  LIVE_MIGRATE_FALLBACK_REASON_ANNOTATION,
  liveMigrationRecord,
} from '../../api/core-gardener/live-migration.js';
import {
  type MigrationReadiness,
  migrationReadiness,
  READY_FOR_MIGRATION,
  withMigrationReadiness,
} from '../../api/core-gardener/migration-readiness.js';
import { type Seed, seedResource } from '../../api/core-gardener/seed.js';
import {
  type Shoot,
  shootResource,
  shootSpecSeedName,
  shootStatusSeedName,
  shouldPrepareShootForMigration,
} from '../../api/core-gardener/shoot.js';
import { shootStateResource } from '../../api/core-gardener/shoot-state.js';
import { nowTimestamp } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import { EventRecorder } from '../../controller/event-recorder.js';
import type { Lister } from '../../controller/shared-informers.js';

/** The Events' source: Gardener's controller manager. */
const EVENT_SOURCE = { component: 'gardener-controller-manager' };

/**
 * How often a shoot being moved is looked at again besides its destination's changes and its
 * ShootState's (`shootsMovingTo`, and the controller's watches in garden.ts): only for what
 * time alone changes, a destination whose gardenlet stopped reporting. Gardener looks every 5 s
 * without watching; a drained seed's thousand shoots looked at every 2 s kept the garden busy
 * (bench/README.md, "Garden API server latency").
 */
const recheckMs = 10_000;

/**
 * The shoots being moved to `seed`, from a cache of the garden's shoots: a change of the
 * destination (its gardenlet's heartbeat, its conditions) re-judges their `ReadyForMigration`.
 */
export function shootsMovingTo(shoots: Lister<Shoot>): (seed: Seed) => ObjectKey[] {
  return (seed) =>
    shoots
      .list()
      .filter((shoot) => shootSpecSeedName(shoot) === seed.metadata.name && shouldPrepareShootForMigration(shoot))
      .map((shoot) => ({ namespace: shoot.metadata.namespace!, name: shoot.metadata.name! }));
}

export class ShootMigrationReconciler implements Reconciler {
  readonly #client: Client;
  readonly #recheckMs: number;
  readonly #events: EventRecorder;

  constructor(client: Client, options: { recheckMs?: number; logger?: Logger } = {}) {
    this.#client = client;
    this.#recheckMs = options.recheckMs ?? recheckMs;
    this.#events = new EventRecorder(client, EVENT_SOURCE, options.logger ?? pino({ level: 'silent' }), shootResource);
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const shoot = await this.#client.resource(shootResource).find(key.namespace, key.name);
    if (!shoot) return {};
    if (!shouldPrepareShootForMigration(shoot)) {
      await this.#settle(shoot);
      return {};
    }
    if (await this.#rebindAbortedLiveMigration(shoot)) return {};
    if (!shoot.status?.migrationStartTime) this.#reportClassicFallback(shoot);
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

  /**
   * Binds a shoot whose live migration the destination aborted back to its source, taking the
   * abort annotation away in the same write (the binding carries the metadata). True when it did.
   */
  async #rebindAbortedLiveMigration(shoot: Shoot): Promise<boolean> {
    const source = shootStatusSeedName(shoot)!;
    const destination = shootSpecSeedName(shoot)!;
    const state = await this.#client.resource(shootStateResource).find(shoot.metadata.namespace!, shoot.metadata.name!);
    const record = liveMigrationRecord(state ?? undefined);
    if (record?.phase !== 'Aborted' || record.sourceSeed !== source || record.destinationSeed !== destination) {
      return false;
    }
    const { [ABORT_LIVE_MIGRATION_ANNOTATION]: _abort, ...annotations } = shoot.metadata.annotations ?? {};
    const rebound = await this.#client
      .resource(shootResource)
      .update(
        shoot.metadata.namespace!,
        { ...shoot, metadata: { ...shoot.metadata, annotations }, spec: { ...shoot.spec, seedName: source } },
        { subresource: 'binding' },
      );
    this.#events.event(
      rebound,
      'Normal',
      'LiveMigrationAborted',
      `Live migration to seed "${destination}" aborted${record.message ? ` (${record.message})` : ''}: the shoot is bound to seed "${source}" again, where its control plane ran throughout`,
    );
    return true;
  }

  /** The Event of a move whose binding fell back to the classic migration (LiveMigration admission). */
  #reportClassicFallback(shoot: Shoot): void {
    const reason = shoot.metadata.annotations?.[LIVE_MIGRATE_FALLBACK_REASON_ANNOTATION];
    if (!reason) return;
    this.#events.event(
      shoot,
      'Warning',
      'LiveMigrationImpossible',
      `Migrating to seed "${shootSpecSeedName(shoot)}" the classic way (fallback-to-classic): the live migration is impossible: ${reason}`,
    );
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
