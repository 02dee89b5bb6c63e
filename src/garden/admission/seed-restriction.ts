/**
 * Gardener's SeedRestriction admission plugin: what a gardenlet (a `gardener.cloud:system:seed:<seed>`
 * user, see SeedAuthorizer) creates or changes must belong to its own seed. The authorizer decides
 * which objects a gardenlet may touch; this plugin judges what it writes into them, which the
 * authorizer cannot see (a create has no name in its path, an update's fields are in its body):
 *
 * - Seed: only its own name. Lease (`gardener-system-seed-lease`): only its own name.
 * - BackupBucket: `spec.seedName` is the seed.
 * - BackupEntry: `spec.seedName` becomes the seed, or — the source's "Migrating BackupEntry to
 *   new seed" — the `spec.seedName` of the Shoot owning the entry while the Shoot's
 *   `status.seedName` is this seed; `spec.bucketName` names a bucket of the seed, or, for the
 *   Restore's `source-<entry>`, the bucket `<entry>` names.
 * - Shoot (main resource and status): `spec.seedName` never changes; `status.seedName` becomes
 *   null only on the seed it named (the end of Migrate) and this seed only once `spec.seedName`
 *   is this seed (the end of Create/Restore); the destination writes nothing while the source
 *   still hosts the shoot (`status.seedName` another seed).
 * - Secret: only `garden/backup-<seed>` and `garden/generated-bucket-<a bucket of the seed>`,
 *   without the `gardener.cloud/role` label (which makes a Secret the internal domain's).
 * - MigrationPreflight (status): only the check the seed answers changes: the target seed's
 *   `TargetSeedReachesSourceBackupStore`, the source seed's `MachinesReachTargetSeed`.
 * - Event (core/v1; RBAC grants gardenlets create and patch): only about a Shoot whose
 *   `spec.seedName` or `status.seedName` is the seed, in the Shoot's namespace (the shoot
 *   controller's operation events). Gardener's SeedAuthorizer allows any; this is stricter.
 *
 * A refusal is a 403 naming the field.
 */

import { SEED_LEASE_NAMESPACE } from '../../api/coordination/lease.js';
import {
  type BackupBucket,
  backupBucketSeedName,
  generatedBucketSecretName,
} from '../../api/core-gardener/backup-bucket.js';
import {
  BACKUP_SOURCE_PREFIX,
  type BackupEntry,
  backupEntrySpecSeedName,
} from '../../api/core-gardener/backup-entry.js';
import { GARDENER_API_VERSION, GARDENER_GROUP } from '../../api/core-gardener/common.js';
import { backupSecretName } from '../../api/core-gardener/seed.js';
import { type Shoot, shootSpecSeedName, shootStatusSeedName } from '../../api/core-gardener/shoot.js';
import { forbidden } from '../../api/errors.js';
import { isRecord } from '../../api/meta.js';
import {
  MIGRATION_TRANSPLANT_GROUP,
  type MigrationPreflight,
  PreflightCheckName,
} from '../../api/migration-transplant/migration-preflight.js';
import { semanticEqual } from '../../api/validation.js';
import type { AdmissionAttributes, AdmissionPlugin, Operation } from '../../apiserver/types.js';
import { seedOfUser } from '../authorizer/seed-authorizer.js';

/** How the plugin reads the objects a write refers to (the garden's client); null: there is none. */
export interface SeedRestrictionLookups {
  getBackupBucket(name: string): Promise<BackupBucket | null>;
  getBackupEntry(namespace: string, name: string): Promise<BackupEntry | null>;
  getShoot(namespace: string, name: string): Promise<Shoot | null>;
}

const roleLabel = 'gardener.cloud/role';

export class SeedRestriction implements AdmissionPlugin {
  readonly name = 'SeedRestriction';
  readonly #lookups: SeedRestrictionLookups;

  constructor(lookups: SeedRestrictionLookups) {
    this.#lookups = lookups;
  }

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'UPDATE';
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    const seed = seedOfUser(attrs.user);
    if (!seed) return;
    const name = attrs.name || attrs.object.metadata.name || '';
    const reject = (reason: string) =>
      forbidden({ group: attrs.kind.group, resource: attrs.resource }, name, `seed "${seed}" ${reason}`);
    const check = new Checks(seed, attrs, reject, this.#lookups);
    if (attrs.kind.group === 'coordination.k8s.io' && attrs.resource === 'leases') return check.lease(name);
    if (attrs.kind.group === '' && attrs.resource === 'secrets') return check.secret(name);
    if (attrs.kind.group === '' && attrs.resource === 'events') return check.event();
    if (attrs.kind.group === MIGRATION_TRANSPLANT_GROUP && attrs.resource === 'migrationpreflights') {
      return check.migrationPreflight();
    }
    if (attrs.kind.group !== GARDENER_GROUP) return;
    switch (attrs.resource) {
      case 'seeds':
        if (name !== seed) throw reject(`may only register and change its own Seed (metadata.name "${name}")`);
        return;
      case 'backupbuckets':
        return check.backupBucket();
      case 'backupentries':
        return check.backupEntry(name);
      case 'shoots':
        return check.shoot();
    }
  }
}

class Checks {
  constructor(
    readonly seed: string,
    readonly attrs: AdmissionAttributes,
    readonly reject: (reason: string) => Error,
    readonly lookups: SeedRestrictionLookups,
  ) {}

  /** A status write that changes only the probe answer that is this seed's (the target's or the source's). */
  migrationPreflight(): void {
    const old = this.attrs.oldObject as MigrationPreflight | undefined;
    const next = this.attrs.object as MigrationPreflight;
    if (!old) throw this.reject('may not create MigrationPreflights');
    const own = new Set<string>();
    if (old.spec.seedName === this.seed) own.add(PreflightCheckName.TargetSeedReachesSourceBackupStore);
    if (old.status?.sourceSeedName === this.seed) own.add(PreflightCheckName.MachinesReachTargetSeed);
    const others = (p: MigrationPreflight) => ({
      ...p.status,
      checks: (p.status?.checks ?? []).filter((c) => !own.has(c.name)),
    });
    if (!semanticEqual(others(next), others(old))) {
      throw this.reject(
        `may only answer its own checks of a MigrationPreflight (${[...own].join(', ') || 'none'}) (status)`,
      );
    }
  }

  lease(name: string): void {
    if (this.attrs.namespace !== SEED_LEASE_NAMESPACE || name !== this.seed) {
      throw this.reject(`may only write its own Lease ${SEED_LEASE_NAMESPACE}/${this.seed} (metadata.name "${name}")`);
    }
  }

  async secret(name: string): Promise<void> {
    const own = [backupSecretName(this.seed)];
    const prefix = generatedBucketSecretName('');
    if (name.startsWith(prefix) && (await this.#ownBucket(name.slice(prefix.length)))) own.push(name);
    if (this.attrs.namespace !== 'garden' || !own.includes(name)) {
      throw this.reject(
        `may only write the Secrets garden/${backupSecretName(this.seed)} and garden/${prefix}<a bucket of its own> (metadata.name "${name}")`,
      );
    }
    if (this.attrs.object.metadata.labels?.[roleLabel] !== undefined) {
      throw this.reject(`may not set the label ${roleLabel} (metadata.labels)`);
    }
  }

  /** An Event about a Shoot of its own (placed on or hosted by the seed), in the Shoot's namespace. */
  async event(): Promise<void> {
    const about = this.attrs.object.involvedObject;
    const ref = isRecord(about) ? about : {};
    const isShoot = ref.apiVersion === GARDENER_API_VERSION && ref.kind === 'Shoot';
    const inNamespace = ref.namespace === this.attrs.namespace;
    const shoot =
      isShoot && inNamespace && typeof ref.name === 'string'
        ? await this.lookups.getShoot(this.attrs.namespace, ref.name)
        : null;
    const own = !!shoot && (shootSpecSeedName(shoot) === this.seed || shootStatusSeedName(shoot) === this.seed);
    if (!own) {
      throw this.reject(
        `may only write Events about Shoots placed on or hosted by it, in their namespace (involvedObject ${JSON.stringify(`${ref.kind ?? ''} ${ref.namespace ?? ''}/${ref.name ?? ''}`)})`,
      );
    }
  }

  async backupBucket(): Promise<void> {
    const placed = backupBucketSeedName(this.attrs.object as BackupBucket);
    if (placed !== this.seed) {
      throw this.reject(
        `may only write BackupBuckets of its own seed (spec.seedName ${JSON.stringify(placed ?? null)})`,
      );
    }
  }

  async backupEntry(name: string): Promise<void> {
    if (this.attrs.subresource) return;
    const entry = this.attrs.object as BackupEntry;
    const old = this.attrs.oldObject as BackupEntry | undefined;
    const placed = backupEntrySpecSeedName(entry);
    const wasHere = !!old && backupEntrySpecSeedName(old) === this.seed;
    const handsOver = wasHere && (await this.#handsOver(entry, placed));
    if (placed !== (old && backupEntrySpecSeedName(old)) && placed !== this.seed && !handsOver) {
      throw this.reject(
        `may only place BackupEntries on its own seed, or on their shoot's new seed while migrating it (spec.seedName ${JSON.stringify(placed ?? null)})`,
      );
    }
    const bucket = entry.spec?.bucketName;
    if (old && bucket === old.spec?.bucketName) return;
    if (await this.#ownBucket(bucket)) return;
    if (name.startsWith(`${BACKUP_SOURCE_PREFIX}-`)) {
      const original = await this.lookups.getBackupEntry(
        this.attrs.namespace,
        name.slice(BACKUP_SOURCE_PREFIX.length + 1),
      );
      if (original && original.spec?.bucketName === bucket) return;
    }
    throw this.reject(`may only use BackupBuckets of its own seed (spec.bucketName ${JSON.stringify(bucket ?? null)})`);
  }

  async shoot(): Promise<void> {
    const shoot = this.attrs.object as Shoot;
    const old = this.attrs.oldObject as Shoot | undefined;
    if (!old) throw this.reject('may not create Shoots');
    if (shootSpecSeedName(shoot) !== shootSpecSeedName(old)) throw this.reject('may not change spec.seedName');
    const hostedBy = shootStatusSeedName(old);
    if (hostedBy && hostedBy !== this.seed) {
      throw this.reject(`may not change a Shoot that seed "${hostedBy}" still hosts (status.seedName)`);
    }
    const next = shootStatusSeedName(shoot);
    if (next === hostedBy) return;
    if (next === undefined ? hostedBy !== this.seed : next !== this.seed || shootSpecSeedName(shoot) !== this.seed) {
      throw this.reject(`may not set status.seedName to ${JSON.stringify(next ?? null)}`);
    }
  }

  /** The source's "Migrating BackupEntry to new seed": the entry follows the shoot that owns it. */
  async #handsOver(entry: BackupEntry, placed: string | undefined): Promise<boolean> {
    const owner = (entry.metadata.ownerReferences ?? []).find((ref) => ref.kind === 'Shoot');
    if (!owner || !placed) return false;
    const shoot = await this.lookups.getShoot(this.attrs.namespace, owner.name);
    return !!shoot && shootStatusSeedName(shoot) === this.seed && shootSpecSeedName(shoot) === placed;
  }

  async #ownBucket(name: string | undefined): Promise<boolean> {
    const bucket = name ? await this.lookups.getBackupBucket(name) : null;
    return !!bucket && backupBucketSeedName(bucket) === this.seed;
  }
}
