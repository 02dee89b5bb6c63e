/**
 * The gardenlet's etcd peer reachability reporter (docs/live-migration.md, "Asking for it"): it
 * publishes where other seeds reach this seed's etcd peers on its own Seed, probes the endpoints
 * the other Seeds publish every interval, and reports what it reached on its own Seed (an
 * annotation for the garden's binding admission, the condition `EtcdPeersReachable` through the
 * heartbeat). It writes only its own Seed and reads the others (the SeedAuthorizer lets a
 * gardenlet read every Seed, as Gardener's does).
 *
 * The report is written only when it changes, so a steady landscape costs one list of Seeds and
 * one handshake per other seed each interval, and no writes.
 *
 * Between rounds it watches the Seeds: when another seed's Seed changes while this seed's report
 * about it is missing, names another endpoint than the one it publishes now, or says unreachable,
 * it probes again at once. A seed that restarts (its listener keeps its port, its heartbeat writes
 * its Seed at start) or moves its endpoint is so judged afresh within a handshake, not an interval
 * later: a live binding right after a restart is not refused on a report about the seed while it
 * was down.
 */
import {
  ETCD_PEER_ENDPOINT_ANNOTATION,
  ETCD_PEERS_REACHED_ANNOTATION,
  type EtcdPeerReport,
  etcdPeersReachableCondition,
  formatEtcdPeerReport,
  publishedEtcdPeerEndpoint,
} from '../../api/core-gardener/etcd-peer-reachability.js';
import type { Seed } from '../../api/core-gardener/seed.js';
import { seedResource } from '../../api/core-gardener/seed.js';
import type { Client, ObjectWatch } from '../../client/client.js';
import { probeEtcdPeerEndpoint } from './etcd-peer-probe.js';

/** How often the other seeds are probed; a cut shows within this plus the probe timeout. */
export const DEFAULT_ETCD_PEER_PROBE_INTERVAL_MS = 5_000;
/** A probe's connect and handshake together; a dropping firewall costs this much per seed. */
export const DEFAULT_ETCD_PEER_PROBE_TIMEOUT_MS = 2_000;
/** How long after a watch of the Seeds ended or failed it is opened again. */
const SEED_WATCH_RETRY_MS = 1_000;

export interface EtcdPeerReachabilityOptions {
  seed: string;
  garden: Client;
  /** `host:port` this seed publishes (its probe listener, or where a NAT forwards to it). */
  endpoint: string;
  intervalMs?: number;
  timeoutMs?: number;
  /** Called after a changed report was written (the heartbeat reports the condition at once). */
  onChange?: () => void;
  onError?: (err: unknown) => void;
}

export class EtcdPeerReachability {
  readonly #options: EtcdPeerReachabilityOptions;
  #report: EtcdPeerReport | undefined;
  /** The annotation's value as last written by this process. */
  #written: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #round: Promise<unknown> = Promise.resolve();
  /** A round was asked for by the Seed watch and has not listed the Seeds yet. */
  #roundQueued = false;
  #watch: ObjectWatch<Seed> | undefined;

  constructor(options: EtcdPeerReachabilityOptions) {
    this.#options = options;
  }

  /** Publishes the endpoint (errors propagate), then probes now and every interval in the background. */
  async start(): Promise<void> {
    await this.#annotate({ [ETCD_PEER_ENDPOINT_ANNOTATION]: this.#options.endpoint });
    this.#schedule(0);
    void this.#watchSeeds();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#watch?.stop();
  }

  /** Whether this seed's report about `other` may be wrong now (see the module comment). */
  #stale(other: Seed): boolean {
    const name = other.metadata.name;
    const endpoint = publishedEtcdPeerEndpoint(other);
    if (!name || name === this.#options.seed || !endpoint) return false;
    const result = this.#report?.[name];
    return !result || result.endpoint !== endpoint || !result.reachable;
  }

  async #watchSeeds(): Promise<void> {
    while (!this.#stopped) {
      try {
        this.#watch = await this.#options.garden.resource(seedResource).watch('');
        if (this.#stopped) this.#watch.stop();
        for await (const event of this.#watch) {
          if ((event.type === 'ADDED' || event.type === 'MODIFIED') && this.#stale(event.object)) this.#reprobe();
        }
      } catch (err) {
        if (!this.#stopped) this.#options.onError?.(err);
      }
      if (!this.#stopped) await new Promise((resolve) => setTimeout(resolve, SEED_WATCH_RETRY_MS).unref());
    }
  }

  /** One round more, unless one asked for already has not listed the Seeds yet (it sees this change too). */
  #reprobe(): void {
    if (this.#roundQueued) return;
    this.#roundQueued = true;
    this.probeAll().catch((err: unknown) => this.#options.onError?.(err));
  }

  /** The condition for the heartbeat; none before the first round. */
  condition(): ReturnType<typeof etcdPeersReachableCondition> | undefined {
    return this.#report && etcdPeersReachableCondition(this.#report);
  }

  /**
   * One round: probe every other seed that publishes an endpoint, write the report if it changed.
   * Rounds never overlap: one asked for during another runs after it.
   */
  probeAll(): Promise<EtcdPeerReport> {
    const round = this.#round.then(() => this.#probeAll());
    this.#round = round.catch(() => {});
    return round;
  }

  async #probeAll(): Promise<EtcdPeerReport> {
    const { seed, garden } = this.#options;
    this.#roundQueued = false;
    const seeds = (await garden.resource(seedResource).list('')).items;
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_ETCD_PEER_PROBE_TIMEOUT_MS;
    const results = await Promise.all(
      seeds
        .filter((other) => other.metadata.name !== seed)
        .flatMap((other) => {
          const endpoint = publishedEtcdPeerEndpoint(other);
          const name = other.metadata.name!;
          return endpoint ? [probeEtcdPeerEndpoint(name, endpoint, timeoutMs).then((r) => [name, r] as const)] : [];
        }),
    );
    const report: EtcdPeerReport = Object.fromEntries(results);
    const text = formatEtcdPeerReport(report);
    if (text !== this.#written) {
      await this.#annotate({ [ETCD_PEERS_REACHED_ANNOTATION]: text });
      this.#written = text;
    }
    const changed = this.#report === undefined || text !== formatEtcdPeerReport(this.#report);
    this.#report = report;
    if (changed) this.#options.onChange?.();
    return report;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.probeAll()
        .catch((err: unknown) => this.#options.onError?.(err))
        .finally(() => this.#schedule(this.#options.intervalMs ?? DEFAULT_ETCD_PEER_PROBE_INTERVAL_MS));
    }, delayMs);
    this.#timer.unref();
  }

  async #annotate(annotations: Record<string, string>): Promise<void> {
    await this.#options.garden.resource(seedResource).patch('', this.#options.seed, { metadata: { annotations } });
  }
}
