/**
 * ShootValidator: the admission rules that guard where a shoot's control plane runs (Gardener's
 * `plugin/pkg/shoot/validator`, the scheduling and migration part, plus the seed-health rule of
 * the seed document). It validates, never mutates.
 *
 * - `shoots/binding` (UPDATE) is the only way to set or change `spec.seedName`: the seed must
 *   change and may not become null, nothing else in the spec may change, no Migrate or Restore
 *   may be running, and the destination must exist, not be marked for deletion and be healthy.
 *   Moving an assigned shoot (control plane migration) also needs backups on both seeds. The one
 *   binding allowed during a Migrate: back to the source of a live migration whose destination
 *   aborted it (the ShootState's record `Aborted`, docs/live-migration.md).
 * - Main resource UPDATE: `spec.seedName` cannot change (use the binding); the spec is frozen from
 *   the binding until the source seed starts the Migrate, and during Migrate and an unfinished
 *   Restore.
 * - DELETE is refused during Migrate and an unfinished Restore.
 * - CREATE with `spec.seedName`: the user needs `update shoots/binding`; the seed must exist and
 *   not be marked for deletion.
 * - Wherever `spec.seedName` is set or changed (CREATE, binding), the seed must run every
 *   extension the shoot needs (src/garden/seed-extensions.ts): a 422 at `spec.seedName` naming
 *   the missing kinds/types.
 *
 * Field problems are 422 Invalid at `spec.seedName`/`spec`; "not now" rules are 403 Forbidden
 * with Gardener's messages. Status and other subresources are not checked.
 */

import {
  GARDENER_GROUP,
  isMarkedForDeletion,
  isShootInMigrationOrRestorePhase,
  isShootMigrationOrRestoreRunning,
  type Project,
  SEED_HEARTBEAT_MAX_AGE_SECONDS,
  type Seed,
  type Shoot,
  seedHasBackup,
  seedReadiness,
  shootResource,
  shootSpecSeedName,
  shootSpecWithoutSeedName,
  shootStatusSeedName,
  wasShootRescheduledToNewSeed,
} from '../../api/core-gardener/index.js';
import type { LiveMigrationRecord } from '../../api/core-gardener/live-migration.js';
import { FieldError, forbidden, internalError, invalid, type StatusError } from '../../api/errors.js';
import { semanticEqual } from '../../api/validation.js';
import { storedAs } from '../../apiserver/stored-object.js';
import type { AdmissionAttributes, AdmissionPlugin, Operation, UserInfo } from '../../apiserver/types.js';
import { describeMissingExtensions, type ExtensionFacts, missingExtensionsOn } from '../seed-extensions.js';

/** Where the validator reads seeds from (an informer cache or the server's client). */
export interface SeedLookup {
  /** The Seed, or null when there is none of that name. */
  getSeed(name: string): Promise<Seed | null>;
}

export interface ShootValidatorOptions {
  seeds: SeedLookup;
  /** The clock seed heartbeats are judged by; default `new Date()`. */
  now?: () => Date;
  /** Oldest acceptable gardenlet heartbeat of a destination seed; default SEED_HEARTBEAT_MAX_AGE_SECONDS. */
  heartbeatMaxAgeSeconds?: number;
  /**
   * Whether `user` may `update shoots/binding` in `namespace` (RBAC); asked when a shoot is
   * created with `spec.seedName`. Without it, everyone may.
   */
  canBind?(user: UserInfo, namespace: string, name: string): Promise<boolean>;
  /** The Project whose namespace this is; shoots live only in project namespaces. Without it, any namespace. */
  projectOf?(namespace: string): Promise<Project | undefined>;
  /** The garden's extension registrations and installations; without them, extensions are not checked. */
  extensions?: ExtensionFacts;
  /** The live migration record in the shoot's ShootState (src/api/core-gardener/live-migration.ts); without it, none. */
  liveMigrationRecord?(namespace: string, name: string): Promise<LiveMigrationRecord | undefined>;
}

const SHOOTS = { group: GARDENER_GROUP, resource: 'shoots' } as const;
const SHOOT_KIND = { group: GARDENER_GROUP, kind: 'Shoot' } as const;

export class ShootValidator implements AdmissionPlugin {
  readonly name = 'ShootValidator';
  readonly #seeds: SeedLookup;
  readonly #now: () => Date;
  readonly #heartbeatMaxAgeSeconds: number;
  readonly #canBind: ShootValidatorOptions['canBind'];
  readonly #projectOf: ShootValidatorOptions['projectOf'];
  readonly #extensions: ExtensionFacts | undefined;
  readonly #liveMigrationRecord: ShootValidatorOptions['liveMigrationRecord'];

  constructor(options: ShootValidatorOptions) {
    this.#seeds = options.seeds;
    this.#now = options.now ?? (() => new Date());
    this.#heartbeatMaxAgeSeconds = options.heartbeatMaxAgeSeconds ?? SEED_HEARTBEAT_MAX_AGE_SECONDS;
    this.#canBind = options.canBind;
    this.#projectOf = options.projectOf;
    this.#extensions = options.extensions;
    this.#liveMigrationRecord = options.liveMigrationRecord;
  }

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'UPDATE' || operation === 'DELETE';
  }

  /** The shoots judged are validated (the request) or stored (the old one): read as Shoots, src/apiserver/stored-object.ts. */
  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.resource !== 'shoots') return;
    if (attrs.subresource !== '' && attrs.subresource !== 'binding') return;
    const shoot = storedAs(shootResource, attrs.object);
    const old = attrs.oldObject && storedAs(shootResource, attrs.oldObject);
    switch (attrs.operation) {
      case 'CREATE':
        if (attrs.subresource === '') await this.#validateCreate(attrs, shoot);
        return;
      case 'UPDATE': {
        if (!old) throw internalError('ShootValidator: an update without the stored shoot');
        if (attrs.subresource === 'binding') await this.#validateBinding(shoot, old);
        else this.#validateUpdate(shoot, old);
        return;
      }
      case 'DELETE':
        if (attrs.subresource === '') this.#validateDelete(old ?? shoot);
        return;
      default:
        return;
    }
  }

  async #validateCreate(attrs: AdmissionAttributes, shoot: Shoot): Promise<void> {
    if (this.#projectOf && !(await this.#projectOf(attrs.namespace))) {
      throw invalid(SHOOT_KIND, shootName(shoot, attrs.name), [
        FieldError.invalid(
          'metadata.namespace',
          attrs.namespace,
          'the namespace belongs to no project: shoots are created in a project namespace (garden-<project>)',
        ),
      ]);
    }
    const seedName = shootSpecSeedName(shoot);
    if (!seedName) return;
    const name = shootName(shoot, attrs.name);
    if (this.#canBind && !(await this.#canBind(attrs.user, attrs.namespace, name))) {
      throw forbidden(SHOOTS, name, `user "${attrs.user.name}" is not allowed to set .spec.seedName for "shoots"`);
    }
    const seed = await this.#requireSeed(name, seedName);
    if (isMarkedForDeletion(seed)) throw markedForDeletion(name, seedName);
    await this.#requireExtensions(shoot, seed);
  }

  /** The binding: schedule (first seed) or reschedule (control plane migration). */
  async #validateBinding(shoot: Shoot, old: Shoot): Promise<void> {
    const name = shootName(shoot);
    const seedName = shootSpecSeedName(shoot);
    const oldSeedName = shootSpecSeedName(old);

    if (seedName === oldSeedName) {
      throw invalid(SHOOT_KIND, name, [
        FieldError.invalid(
          'spec.seedName',
          seedName,
          'update of binding rejected, shoot is already assigned to the same seed',
        ),
      ]);
    }
    if (!seedName) {
      throw invalid(SHOOT_KIND, name, [
        FieldError.invalid(
          'spec.seedName',
          null,
          `spec.seedName is already set to '${oldSeedName}' and cannot be changed to 'nil'`,
        ),
      ]);
    }
    const changed = changedSpecFields(shoot, old);
    if (changed.length > 0) {
      const when = oldSeedName
        ? 'when the shoot is being rescheduled to a new seed'
        : 'when the shoot is being scheduled';
      throw invalid(SHOOT_KIND, name, [
        FieldError.forbidden(
          'spec',
          `only spec.seedName can be changed using the binding subresource ${when} (also changed: ${changed.join(', ')})`,
        ),
      ]);
    }
    // The status on the binding is the stored one (the binding strategy keeps it).
    if (isShootMigrationOrRestoreRunning(old) && !(await this.#rebindsAbortedLiveMigration(shoot, old))) {
      throw duringOperation(name, old, 'change shoot spec');
    }

    const seed = await this.#requireSeed(name, seedName);
    if (isMarkedForDeletion(seed)) throw markedForDeletion(name, seedName);

    let oldSeed: Seed | null = null;
    if (oldSeedName) {
      oldSeed = await this.#seeds.getSeed(oldSeedName);
      if (!oldSeed) {
        throw forbidden(SHOOTS, name, `cannot change seed name because the old seed "${oldSeedName}" does not exist`);
      }
      if (!seedHasBackup(oldSeed)) {
        throw forbidden(
          SHOOTS,
          name,
          `cannot change seed name because backup is not configured for old seed "${oldSeedName}"`,
        );
      }
      if (!seedHasBackup(seed)) {
        throw forbidden(
          SHOOTS,
          name,
          `cannot change seed name because backup is not configured for seed "${seedName}"`,
        );
      }
    }

    await this.#requireExtensions(shoot, seed, oldSeed ?? undefined);
    const readiness = seedReadiness(seed, this.#now(), this.#heartbeatMaxAgeSeconds);
    if (!readiness.ready) {
      throw forbidden(
        SHOOTS,
        name,
        `cannot schedule shoot '${name}' on seed '${seedName}' because the seed is not ready: ${readiness.reason}`,
      );
    }
  }

  /**
   * A live migration whose destination aborted it (record phase `Aborted`) leaves the source's
   * Migrate unfinished; binding the shoot back to its source is how it ends
   * (docs/live-migration.md), so that binding is allowed during it.
   */
  async #rebindsAbortedLiveMigration(shoot: Shoot, old: Shoot): Promise<boolean> {
    const source = shootStatusSeedName(old);
    if (!this.#liveMigrationRecord || !source || shootSpecSeedName(shoot) !== source) return false;
    const record = await this.#liveMigrationRecord(old.metadata.namespace ?? '', old.metadata.name ?? '');
    return record?.phase === 'Aborted' && record.sourceSeed === source;
  }

  #validateUpdate(shoot: Shoot, old: Shoot): void {
    const name = shootName(shoot);
    const seedName = shootSpecSeedName(shoot);
    const oldSeedName = shootSpecSeedName(old);
    if (seedName !== oldSeedName) {
      throw forbidden(
        SHOOTS,
        name,
        `spec.seedName '${oldSeedName ?? 'nil'}' cannot be changed to '${seedName ?? 'nil'}' by patching the shoot, please use the shoots/binding subresource`,
      );
    }
    if (semanticEqual(shoot.spec, old.spec)) return;
    // Status cannot change through the main resource: judge by the stored one.
    if (wasShootRescheduledToNewSeed(old)) {
      throw forbidden(SHOOTS, name, 'shoot spec cannot be changed because shoot has been rescheduled to a new seed');
    }
    if (isShootInMigrationOrRestorePhase(old)) throw duringOperation(name, old, 'change shoot spec');
  }

  #validateDelete(shoot: Shoot): void {
    const name = shootName(shoot);
    if (isShootInMigrationOrRestorePhase(shoot)) throw duringOperation(name, shoot, 'mark shoot for deletion');
    // Gardener lets this through; the source then tears the control plane down while the binding
    // points elsewhere, and its backups are left with no entry to follow the shoot.
    if (wasShootRescheduledToNewSeed(shoot)) {
      throw forbidden(
        SHOOTS,
        name,
        `cannot mark shoot for deletion: it has been rescheduled to seed "${shootSpecSeedName(shoot)}" and its migration from seed "${shootStatusSeedName(shoot)}" has not started yet`,
      );
    }
  }

  /** The seed runs every extension the shoot needs (a 422 at spec.seedName naming what it lacks). */
  async #requireExtensions(shoot: Shoot, seed: Seed, sourceSeed?: Seed): Promise<void> {
    if (!this.#extensions) return;
    const missing = await missingExtensionsOn(this.#extensions, shoot, seed, sourceSeed);
    if (missing.length === 0) return;
    throw invalid(SHOOT_KIND, shootName(shoot), [
      FieldError.invalid('spec.seedName', seed.metadata.name, describeMissingExtensions(seed.metadata.name!, missing)),
    ]);
  }

  async #requireSeed(shoot: string, seedName: string): Promise<Seed> {
    const seed = await this.#seeds.getSeed(seedName);
    if (!seed) {
      throw invalid(SHOOT_KIND, shoot, [
        FieldError.invalid('spec.seedName', seedName, `seed "${seedName}" does not exist`),
      ]);
    }
    return seed;
  }
}

function shootName(shoot: Shoot, fallback = ''): string {
  return shoot.metadata.name ?? fallback;
}

function markedForDeletion(shoot: string, seed: string): StatusError {
  return forbidden(
    SHOOTS,
    shoot,
    `cannot schedule shoot '${shoot}' on seed '${seed}' that is already marked for deletion`,
  );
}

/** `cannot <what> during <type> operation that is in state <state>`. */
function duringOperation(name: string, shoot: Shoot, what: string): StatusError {
  const op = shoot.status?.lastOperation;
  return forbidden(SHOOTS, name, `cannot ${what} during ${op?.type} operation that is in state ${op?.state}`);
}

/** The `spec.<field>` paths (top level) that differ between the two shoots, ignoring seedName. */
function changedSpecFields(shoot: Shoot, old: Shoot): string[] {
  const spec = shootSpecWithoutSeedName(shoot);
  const oldSpec = shootSpecWithoutSeedName(old);
  const keys = [...new Set([...Object.keys(spec), ...Object.keys(oldSpec)])].sort();
  return keys.filter((key) => !semanticEqual(spec[key], oldSpec[key])).map((key) => `spec.${key}`);
}
