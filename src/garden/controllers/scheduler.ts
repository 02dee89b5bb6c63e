/**
 * The scheduler (Gardener's gardener-scheduler, minimal strategy): a shoot without
 * `spec.seedName` is bound, through `shoots/binding`, to a healthy seed of its provider type that
 * is not being deleted and runs every extension the shoot needs (src/garden/seed-extensions.ts),
 * the one hosting the fewest shoots. With no such seed it looks again later.
 */

import type { Logger } from 'pino';
import { seedResource } from '../../api/core-gardener/seed.js';
import { seedReadiness } from '../../api/core-gardener/seed-readiness.js';
import { shootResource, shootSpecSeedName } from '../../api/core-gardener/shoot.js';
import type { Client } from '../../client/client.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import { type ExtensionFacts, missingExtensionsOn } from '../seed-extensions.js';

export interface SchedulerOptions {
  /** The garden's Shoots and Seeds. */
  client: Client;
  logger: Logger;
  retryAfterMs?: number;
  /** The garden's extension registrations and installations; without them, extensions are not checked. */
  extensions?: ExtensionFacts;
}

export class SchedulerReconciler implements Reconciler {
  readonly #options: SchedulerOptions;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const shoots = this.#options.client.resource(shootResource);
    const seeds = this.#options.client.resource(seedResource);
    const shoot = await shoots.find(key.namespace, key.name);
    if (!shoot || shoot.metadata.deletionTimestamp) return {};
    if (shootSpecSeedName(shoot)) return {};

    const providerType = shoot.spec.provider?.type;
    const usable = (await seeds.list('')).items.filter(
      (seed) =>
        !seed.metadata.deletionTimestamp &&
        seedReadiness(seed).ready &&
        (providerType === undefined || seed.spec.provider?.type === providerType),
    );
    const { extensions } = this.#options;
    const candidates = [];
    for (const seed of usable) {
      if (!extensions || (await missingExtensionsOn(extensions, shoot, seed)).length === 0) candidates.push(seed);
    }
    if (candidates.length === 0) {
      this.#options.logger.info({ shoot: `${key.namespace}/${key.name}` }, 'no healthy seed for the shoot yet');
      return { requeueAfterMs: this.#options.retryAfterMs ?? 10_000 };
    }
    const load = new Map<string, number>();
    for (const other of (await shoots.list('')).items) {
      const seed = other.spec.seedName;
      if (typeof seed === 'string') load.set(seed, (load.get(seed) ?? 0) + 1);
    }
    candidates.sort(
      (a, b) =>
        (load.get(a.metadata.name!) ?? 0) - (load.get(b.metadata.name!) ?? 0) ||
        a.metadata.name!.localeCompare(b.metadata.name!),
    );
    const chosen = candidates[0]!.metadata.name!;
    await shoots.update(
      key.namespace,
      { ...shoot, spec: { ...shoot.spec, seedName: chosen } },
      { subresource: 'binding' },
    );
    this.#options.logger.info({ shoot: `${key.namespace}/${key.name}`, seed: chosen }, 'shoot scheduled');
    return {};
  }
}
