/**
 * Gardener's controllerregistration "seed" reconciler (gardener-controller-manager,
 * `controllerregistration/controllerinstallation`): per seed, which ControllerRegistrations are
 * wanted there, and a ControllerInstallation for each of them, none for the others.
 *
 * Wanted on a seed: every registration with policy `Always` (while the seed is not being
 * deleted), `AlwaysExceptNoShoots` while shoots are on it, and — `OnDemand` — those serving a
 * kind/type the seed needs itself (its provider's, its bucket's) or the shoots placed on or
 * hosted by it need (their provider's when they have workers, their seed's backup provider, the
 * internal domain's DNS provider), and its BackupBuckets and BackupEntries need; all filtered by
 * the registrations' `seedSelector`. A needed kind/type that no registration serves is logged
 * and skipped (Gardener fails the reconcile; the binding admission refuses such a placement).
 * Each installation carries a hash of its registration's spec as a label, so a changed
 * registration changes its installations and their gardenlets report on them again.
 *
 * The key is a seed's (cluster-scoped, `{namespace: '', name}`); the empty name, which a
 * registration's change enqueues, reconciles every seed.
 *
 * Shoots and BackupEntries, one of each per shoot, are read from an informer cache, as Gardener's
 * reconciler reads them: every shoot event enqueues its seed, and a reconcile that listed them
 * through the API decoded every shoot and entry of the garden, so n creates cost O(n²)
 * (bench/README.md, "Garden API server latency").
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { canonicalJson } from '../../api/canonical-json.js';
import {
  type BackupEntry,
  backupBucketResource,
  type ControllerInstallation,
  type ControllerRegistration,
  controllerInstallationName,
  controllerInstallationResource,
  controllerRegistrationResource,
  deploymentPolicy,
  type ExtensionId,
  GARDENER_GROUP,
  GARDENER_VERSION,
  isMarkedForDeletion,
  REGISTRATION_SPEC_HASH_LABEL,
  registrationSelectsSeed,
  registrationServes,
  requiredExtensionsForSeed,
  requiredExtensionsForShoot,
  type Seed,
  type Shoot,
  seedResource,
  shootNeedsKey,
} from '../../api/core-gardener/index.js';
import { isRecord, type KubeObject, specOf, statusOf } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { createOrPatch } from '../../client/create-or-patch.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import type { Lister } from '../../controller/shared-informers.js';
import type { ExtensionFacts } from '../seed-extensions.js';

/** The shoots and BackupEntries of the garden as a cache holds them (`SharedInformerFactory`). */
export interface PlacementCache {
  shoots: Lister<Shoot>;
  backupEntries: Lister<BackupEntry>;
  /**
   * Resolves once both hold their first list. A reconcile waits for it: one that read an empty
   * cache would delete every installation that only the shoots need.
   */
  synced(): Promise<void>;
}

export interface ControllerInstallationReconcilerOptions {
  /** The garden's objects. */
  client: Client;
  cache: PlacementCache;
  facts: Pick<ExtensionFacts, 'internalDomainProvider'>;
  logger: Logger;
}

const apiVersion = `${GARDENER_GROUP}/${GARDENER_VERSION}`;

export class ControllerInstallationReconciler implements Reconciler {
  readonly #options: ControllerInstallationReconcilerOptions;

  constructor(options: ControllerInstallationReconcilerOptions) {
    this.#options = options;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const { client, cache } = this.#options;
    await cache.synced();
    if (key.name === '') {
      for (const seed of (await client.resource(seedResource).list('')).items) {
        await this.reconcile({ namespace: '', name: seed.metadata.name! });
      }
      return {};
    }
    const seed = await client.resource(seedResource).find('', key.name);
    const registrations = (await client.resource(controllerRegistrationResource).list('')).items;
    const installations = client.resource(controllerInstallationResource);
    const existing = (await installations.list('', { fieldSelector: `spec.seedRef.name=${key.name}` })).items;
    const wanted = seed ? await this.#wanted(seed, registrations) : new Map<string, ControllerRegistration>();

    for (const registration of wanted.values()) {
      const installation = installationOf(registration, key.name);
      await createOrPatch(installations, '', installation, {
        metadata: { labels: installation.metadata.labels },
        spec: installation.spec,
      });
    }
    for (const installation of existing) {
      if (!wanted.has(installation.spec.registrationRef.name)) {
        await installations.deleteIfPresent('', installation.metadata.name!);
      }
    }
    return {};
  }

  async #wanted(seed: Seed, registrations: ControllerRegistration[]): Promise<Map<string, ControllerRegistration>> {
    const seedName = seed.metadata.name!;
    const shoots = this.#shootsOn(seedName);
    const needed = new Set<ExtensionId>(isMarkedForDeletion(seed) ? [] : requiredExtensionsForSeed(seed));
    const domainProvider = await this.#options.facts.internalDomainProvider();
    // A shoot moving here needs the source's backup provider too (its `source-…` BackupEntry).
    const seeds = new Map(
      (await this.#options.client.resource(seedResource).list('')).items.map((s) => [s.metadata.name!, s]),
    );
    const asked = new Set<string>();
    for (const shoot of shoots) {
      const key = shootNeedsKey(shoot);
      if (asked.has(key)) continue;
      asked.add(key);
      const source = shoot.status?.seedName ? seeds.get(shoot.status.seedName) : undefined;
      for (const id of requiredExtensionsForShoot(shoot, seed, domainProvider, source)) needed.add(id);
    }
    for (const id of await this.#backupsOn(seedName)) needed.add(id);

    const wanted = new Map<string, ControllerRegistration>();
    for (const registration of registrations) {
      if (registration.metadata.deletionTimestamp) continue;
      const policy = deploymentPolicy(registration);
      const serves = registrationServes(registration);
      if (
        (policy === 'Always' && !isMarkedForDeletion(seed)) ||
        (policy === 'AlwaysExceptNoShoots' && shoots.length > 0) ||
        serves.some((id) => needed.has(id))
      ) {
        wanted.set(registration.metadata.name!, registration);
      }
    }
    const served = new Set(registrations.flatMap(registrationServes));
    const unserved = [...needed].filter((id) => !served.has(id));
    if (unserved.length > 0) {
      this.#options.logger.info(
        { seed: seedName, unserved },
        'no ControllerRegistration serves what the seed or its shoots need',
      );
    }
    for (const [name, registration] of wanted) {
      if (!registrationSelectsSeed(registration, seed.metadata.labels)) wanted.delete(name);
    }
    return wanted;
  }

  /** The shoots placed on the seed or still hosted by it (a Migrate runs where status.seedName points). */
  #shootsOn(seed: string): Shoot[] {
    return this.#options.cache.shoots.list().filter((s) => s.spec.seedName === seed || s.status?.seedName === seed);
  }

  /** BackupBucket/<provider> of the seed's buckets and BackupEntry/<its bucket's provider> of its entries. */
  async #backupsOn(seed: string): Promise<ExtensionId[]> {
    const { client } = this.#options;
    const buckets = (await client.resource(backupBucketResource).list('')).items;
    const providerOf = new Map(buckets.map((b) => [b.metadata.name!, b.spec.provider.type]));
    const ids: ExtensionId[] = buckets
      .filter((b) => b.spec.seedName === seed)
      .map((b) => `BackupBucket/${b.spec.provider.type}` as const);
    const entries = this.#options.cache.backupEntries.list().filter((e) => e.spec.seedName === seed);
    for (const entry of entries) {
      const provider = providerOf.get(entry.spec.bucketName);
      if (provider) ids.push(`BackupEntry/${provider}`);
    }
    return ids;
  }
}

function installationOf(registration: ControllerRegistration, seed: string): ControllerInstallation {
  const registrationName = registration.metadata.name!;
  return {
    apiVersion,
    kind: 'ControllerInstallation',
    metadata: {
      name: controllerInstallationName(registrationName, seed),
      labels: { [REGISTRATION_SPEC_HASH_LABEL]: specHash(registration) },
    },
    spec: {
      registrationRef: { apiVersion, kind: 'ControllerRegistration', name: registrationName },
      seedRef: { apiVersion, kind: 'Seed', name: seed },
    },
  };
}

/** The first 16 hex digits of SHA-256 over the spec's JSON with sorted keys (Gardener's label is 16 long). */
function specHash(registration: ControllerRegistration): string {
  return createHash('sha256').update(canonicalJson(registration.spec)).digest('hex').slice(0, 16);
}

/** The seed named by `field` of `part` (spec or status) of an object no guard has checked. */
function seedAt(part: Record<string, unknown> | undefined, field: string): string[] {
  const value = part?.[field];
  return typeof value === 'string' && value !== '' ? [value] : [];
}

const seedKeys = (names: string[]): ObjectKey[] => [...new Set(names)].map((name) => ({ namespace: '', name }));

/** The seeds a changed object concerns, for the controller's watches (informers read objects unchecked). */
export const seedKeysOf = {
  /** A registration concerns every seed: the empty key. */
  registration: (): ObjectKey[] => [{ namespace: '', name: '' }],
  installation: (obj: KubeObject): ObjectKey[] => {
    const seedRef = specOf(obj)?.seedRef;
    return seedKeys(seedAt(isRecord(seedRef) ? seedRef : undefined, 'name'));
  },
  /** Shoots and BackupEntries: spec.seedName and status.seedName; BackupBuckets: spec.seedName. */
  placed: (obj: KubeObject): ObjectKey[] =>
    seedKeys([...seedAt(specOf(obj), 'seedName'), ...seedAt(statusOf(obj), 'seedName')]),
};
