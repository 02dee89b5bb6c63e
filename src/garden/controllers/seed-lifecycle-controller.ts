/**
 * The seed lifecycle controller of the garden controller manager: a seed whose gardenlet has not
 * renewed its Lease within the grace period gets its conditions set to Unknown, so it shows
 * NotReady/Unknown and admission stops accepting it as a migration destination.
 */
import { leaseRenewTime, leaseResource, SEED_LEASE_NAMESPACE } from '../../api/coordination/lease.js';
import { setCondition } from '../../api/core-gardener/conditions.js';
import { seedResource } from '../../api/core-gardener/seed.js';
import type { Client } from '../../client/client.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';

export interface SeedLifecycleOptions {
  /** The garden's Seeds and their Leases. */
  client: Client;
  /** How long after the last renewal a Lease counts as stale. */
  gracePeriodMs: number;
  /** How often each seed is looked at. */
  syncPeriodMs: number;
  now?: () => Date;
}

const monitoredConditions = ['GardenletReady', 'SeedSystemComponentsHealthy', 'ExtensionsReady', 'BackupBucketsReady'];

export class SeedLifecycleReconciler implements Reconciler {
  readonly #options: SeedLifecycleOptions;

  constructor(options: SeedLifecycleOptions) {
    this.#options = options;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const { client, gracePeriodMs, syncPeriodMs } = this.#options;
    const seeds = client.resource(seedResource);
    const seed = await seeds.find('', key.name);
    if (!seed) return {};
    const now = this.#options.now?.() ?? new Date();
    const lease = await client.resource(leaseResource).find(SEED_LEASE_NAMESPACE, key.name);
    // A seed no gardenlet ever ran for has no Lease: its conditions are whatever was reported.
    if (!lease) return { requeueAfterMs: syncPeriodMs };
    const renewed = Date.parse(leaseRenewTime(lease) ?? '');
    if (Number.isFinite(renewed) && now.getTime() - renewed <= gracePeriodMs) return { requeueAfterMs: syncPeriodMs };

    let conditions = seed.status?.conditions ?? [];
    const stale = conditions.filter((c) => monitoredConditions.includes(c.type) && c.status !== 'Unknown');
    if (stale.length === 0 && conditions.some((c) => c.type === 'GardenletReady'))
      return { requeueAfterMs: syncPeriodMs };
    const types = new Set(['GardenletReady', ...stale.map((c) => c.type)]);
    for (const type of types) {
      conditions = setCondition(
        conditions,
        type,
        'Unknown',
        'StatusUnknown',
        'Gardenlet stopped posting seed status.',
        now,
      );
    }
    await seeds.patch('', key.name, { status: { conditions } }, { subresource: 'status' });
    return { requeueAfterMs: syncPeriodMs };
  }
}
