/**
 * The scheduler (Gardener's gardener-scheduler, minimal strategy): a shoot without
 * `spec.seedName` is bound, through `shoots/binding`, to a healthy seed of its provider type that
 * is not being deleted, the one hosting the fewest shoots. With no such seed it looks again later.
 */

import type { Logger } from 'pino';
import { seedResource } from '../../api/core-gardener/seed.js';
import { seedReadiness } from '../../api/core-gardener/seed-readiness.js';
import { shootResource } from '../../api/core-gardener/shoot.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';

export interface SchedulerOptions {
  /** The garden's Shoots and Seeds. */
  client: Client;
  logger: Logger;
  retryAfterMs?: number;
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
    const spec = isRecord(shoot.spec) ? shoot.spec : {};
    if (typeof spec.seedName === 'string' && spec.seedName) return {};

    const providerType = isRecord(spec.provider) ? spec.provider.type : undefined;
    const candidates = (await seeds.list('')).items.filter(
      (seed) =>
        !seed.metadata.deletionTimestamp &&
        seedReadiness(seed).ready &&
        (providerType === undefined || seedProviderType(seed) === providerType),
    );
    if (candidates.length === 0) {
      this.#options.logger.info({ shoot: `${key.namespace}/${key.name}` }, 'no healthy seed for the shoot yet');
      return { requeueAfterMs: this.#options.retryAfterMs ?? 10_000 };
    }
    const load = new Map<string, number>();
    for (const other of (await shoots.list('')).items) {
      const seed = isRecord(other.spec) ? other.spec.seedName : undefined;
      if (typeof seed === 'string') load.set(seed, (load.get(seed) ?? 0) + 1);
    }
    candidates.sort(
      (a, b) =>
        (load.get(a.metadata.name!) ?? 0) - (load.get(b.metadata.name!) ?? 0) ||
        a.metadata.name!.localeCompare(b.metadata.name!),
    );
    const chosen = candidates[0]!.metadata.name!;
    await shoots.update(key.namespace, { ...shoot, spec: { ...spec, seedName: chosen } }, { subresource: 'binding' });
    this.#options.logger.info({ shoot: `${key.namespace}/${key.name}`, seed: chosen }, 'shoot scheduled');
    return {};
  }
}

function seedProviderType(seed: KubeObject): unknown {
  return isRecord(seed.spec) && isRecord(seed.spec.provider) ? seed.spec.provider.type : undefined;
}
