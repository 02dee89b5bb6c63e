/**
 * The gardenlet's heartbeat, as in Gardener: it renews the Lease named after the seed in
 * `gardener-system-seed-lease` and reports the seed's conditions with a fresh lastUpdateTime.
 * The garden's seed lifecycle controller turns them Unknown when the Lease goes stale.
 */
import { leaseResource, SEED_LEASE_NAMESPACE } from '../../api/coordination/lease.js';
import { setCondition } from '../../api/core-gardener/conditions.js';
import { seedResource } from '../../api/core-gardener/seed.js';
import { type Client, ignoreNotFound } from '../../client/client.js';

export const leaseDurationSeconds = 40;
export const gardenletVersion = 'v1.0.0-transplant';

export interface HeartbeatOptions {
  seed: string;
  garden: Client;
  intervalMs?: number;
  /** Extra conditions to report (e.g. BackupBucketsReady once buckets exist). */
  conditions?: () => Promise<{ type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string }[]>;
  onError?: (err: unknown) => void;
}

export class SeedHeartbeat {
  readonly #options: HeartbeatOptions;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** Beats once now (errors propagate), then every interval in the background. */
  async start(): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => this.requestBeat(), this.#options.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  /**
   * Beats in the background now, e.g. when a condition changed (a BackupBucket failed), rather
   * than at the next interval. Beats never overlap: a request during one beats once more after it.
   */
  requestBeat(): void {
    if (this.#stopped) return;
    if (this.#beating) {
      this.#again = true;
      return;
    }
    this.#beating = this.beat()
      .catch((err: unknown) => this.#options.onError?.(err))
      .finally(() => {
        this.#beating = undefined;
        if (this.#again) {
          this.#again = false;
          this.requestBeat();
        }
      });
  }

  async beat(now = new Date()): Promise<void> {
    await this.#renewLease(now);
    await this.#reportConditions(now);
  }

  async #renewLease(now: Date): Promise<void> {
    const leases = this.#options.garden.resource(leaseResource);
    const spec = {
      holderIdentity: this.#options.seed,
      leaseDurationSeconds,
      renewTime: now.toISOString().replace('Z', '000Z'),
    };
    // Renewing is what every beat does: patch first, create only the first time.
    const renewed = await leases.patch(SEED_LEASE_NAMESPACE, this.#options.seed, { spec }).catch(ignoreNotFound);
    if (renewed) return;
    await leases.create(SEED_LEASE_NAMESPACE, {
      metadata: { name: this.#options.seed, namespace: SEED_LEASE_NAMESPACE },
      spec: { ...spec, acquireTime: spec.renewTime },
    });
  }

  async #reportConditions(now: Date): Promise<void> {
    const seeds = this.#options.garden.resource(seedResource);
    const seed = await seeds.get('', this.#options.seed);
    let conditions = seed.status?.conditions ?? [];
    const reported = [
      {
        type: 'GardenletReady',
        status: 'True' as const,
        reason: 'GardenletReady',
        message: 'Gardenlet is posting ready status.',
      },
      {
        type: 'SeedSystemComponentsHealthy',
        status: 'True' as const,
        reason: 'SystemComponentsRunning',
        message: 'All seed system components are healthy.',
      },
      {
        type: 'ExtensionsReady',
        status: 'True' as const,
        reason: 'AllExtensionsReady',
        message: 'All extensions installed and healthy.',
      },
      ...((await this.#options.conditions?.()) ?? []),
    ];
    for (const c of reported) conditions = setCondition(conditions, c.type, c.status, c.reason, c.message, now);
    await seeds.patch(
      '',
      this.#options.seed,
      {
        status: {
          conditions,
          observedGeneration: seed.metadata.generation,
          gardener: { id: this.#options.seed, name: `gardenlet-${this.#options.seed}`, version: gardenletVersion },
        },
      },
      { subresource: 'status' },
    );
  }
}
