/**
 * The node lifecycle controller (kube-controller-manager's, the part about health): a Node whose
 * Lease in `kube-node-lease` has not been renewed for the grace period gets its `Ready` condition
 * set to `Unknown` ("Kubelet stopped posting node status."), as Kubernetes does. A node agent that
 * reaches the API server again sets it back to True with its next heartbeat.
 *
 * It looks every few seconds rather than watching: what it reacts to is time passing, not a change.
 * Time is measured from the later of the Lease's renewTime and the moment this controller started,
 * so a freshly started API server (e.g. the destination's, right after a migration) gives every
 * node a full grace period to reach it before calling it unknown.
 */
import type { Logger } from 'pino';
import { leaseRenewTime, leaseResource } from '../api/coordination/lease.js';
import { nodeResource } from '../api/core/node.js';
import { isRecord, type KubeObject } from '../api/meta.js';
import type { Client } from '../client/client.js';

export interface NodeLifecycleOptions {
  /** The shoot API's Nodes and their Leases. */
  client: Client;
  logger: Logger;
  /** Kubernetes' `--node-monitor-grace-period`; default 40 s. */
  gracePeriodMs?: number;
  /** How often the nodes are looked at; default 5 s. */
  intervalMs?: number;
  now?: () => number;
}

const LEASE_NAMESPACE = 'kube-node-lease';

export class NodeLifecycleController {
  readonly #options: NodeLifecycleOptions;
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(options: NodeLifecycleOptions) {
    this.#options = options;
    this.#startedAt = this.#now();
  }

  start(): void {
    const interval = this.#options.intervalMs ?? 5_000;
    this.#timer = setInterval(() => {
      this.#running = this.#running
        .then(async () => {
          await this.checkOnce();
        })
        .catch((err: unknown) => {
          this.#options.logger.warn({ err: (err as Error).message }, 'node lifecycle check failed');
        });
    }, interval);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** Marks every node whose lease expired as Ready=Unknown; the names it marked. */
  async checkOnce(): Promise<string[]> {
    const nodes = this.#options.client.resource(nodeResource);
    const leases = this.#options.client.resource(leaseResource);
    const grace = this.#options.gracePeriodMs ?? 40_000;
    const now = this.#now();
    const renewals = new Map(
      (await leases.list(LEASE_NAMESPACE)).items.map((l) => [l.metadata.name, renewTime(l)] as const),
    );
    const marked: string[] = [];
    for (const node of (await nodes.list('')).items) {
      const name = node.metadata.name!;
      const ready = readyCondition(node);
      if (ready?.status === 'Unknown') continue;
      const lastSeen = Math.max(renewals.get(name) ?? 0, this.#startedAt);
      if (now - lastSeen <= grace) continue;
      const stamp = new Date(now).toISOString();
      const conditions = (conditionsOf(node) ?? []).filter((c) => c.type !== 'Ready');
      conditions.push({
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastHeartbeatTime: ready?.lastHeartbeatTime ?? stamp,
        lastTransitionTime: stamp,
      });
      await nodes.patch('', name, { status: { conditions } }, { subresource: 'status' });
      this.#options.logger.info({ node: name }, 'node lease expired: Ready is Unknown');
      marked.push(name);
    }
    return marked;
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }
}

type Condition = Record<string, unknown> & { type?: unknown; status?: unknown; lastHeartbeatTime?: unknown };

function conditionsOf(node: KubeObject): Condition[] | undefined {
  const status = isRecord(node.status) ? node.status : {};
  return Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : undefined;
}

function readyCondition(node: KubeObject): Condition | undefined {
  return conditionsOf(node)?.find((c) => c.type === 'Ready');
}

function renewTime(lease: KubeObject): number {
  const parsed = Date.parse(leaseRenewTime(lease) ?? '');
  return Number.isNaN(parsed) ? 0 : parsed;
}
