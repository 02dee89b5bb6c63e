/**
 * The node agent (`transplant node`): what a kubelet does for the control plane's view of its
 * machine. It registers its Node, keeps the Node's `Ready` condition and its Lease in
 * `kube-node-lease` fresh (Kubernetes' defaults: a 40 s lease renewed every 10 s), and reaches
 * the API server only through the address in its kubeconfig — the shoot's stable address, so
 * the same process carries on wherever the control plane runs after a migration.
 *
 * When the API server is away (stopped for a migration, or not reachable) the heartbeat is retried
 * every second; the agent never gives up and never exits on its own. SIGTERM stops it after the
 * heartbeat in flight.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { checkServerIdentity } from 'node:tls';
import type { Logger } from 'pino';
import { isNotFound } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { ClusterCredentials } from '../client/kubeconfig-file.js';
import { type ClientWatch, RestClient } from '../client/rest-client.js';
import { servingSeedOf } from './serving-seed.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeAgentOptions {
  /** The Node's name (the machine's). */
  name: string;
  /** The shoot's API server and this node's credentials (`system:node:<name>`). */
  credentials: ClusterCredentials;
  /** `spec.leaseDurationSeconds` of the node's Lease; default 40. */
  leaseDurationSeconds?: number;
  /** How often the Lease and the Ready condition are renewed; default 10 s. */
  renewIntervalMs?: number;
  /** Labels of the Node (merged into what is there). */
  labels?: Record<string, string>;
  /**
   * The machine's egress deny list: a file naming, one per line, seeds whose network this machine
   * may not reach (`#` starts a comment). Read at every connection, so editing it takes effect at
   * once. A connection to a denied seed fails in the TLS handshake, before anything is sent.
   */
  egressDenyFile?: string;
  logger: Logger;
}

export interface NodeAgent {
  /** Resolves once the first heartbeat went through (the Node exists, Ready, leased). */
  readonly registered: Promise<void>;
  /** Heartbeats that went through, and the last error (undefined once one went through again). */
  status(): { heartbeats: number; lastError?: string };
  stop(): Promise<void>;
}

const resources = {
  nodes: { group: '', version: 'v1', plural: 'nodes', namespaced: false },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
} as const;

export function startNodeAgent(options: NodeAgentOptions): NodeAgent {
  const { name, logger } = options;
  const leaseDurationSeconds = options.leaseDurationSeconds ?? 40;
  const renewIntervalMs = options.renewIntervalMs ?? 10_000;
  const denied = (seed: string | undefined) =>
    seed !== undefined && options.egressDenyFile !== undefined && deniedSeeds(options.egressDenyFile).has(seed);
  const egressDenied = (seed: string) => new Error(`egress to seed ${seed} is denied by ${options.egressDenyFile}`);
  /** The seed behind the connections of the current client (from the last TLS handshake). */
  let servingSeed: string | undefined;
  const connect = () =>
    new RestClient(options.credentials, {
      checkServerIdentity: (host, cert) => {
        const seed = servingSeedOf(cert);
        if (denied(seed)) return egressDenied(seed!);
        servingSeed = seed;
        return checkServerIdentity(host, cert);
      },
    });
  let client = connect();
  let nodes = client.resource(resources.nodes);
  let leases = client.resource(resources.leases);
  /** A firewall cuts open connections too: a deny list naming the seed drops the client's pool. */
  const dropConnectionsToDeniedSeed = () => {
    if (!denied(servingSeed)) return;
    const seed = servingSeed!;
    watch?.stop();
    client.close();
    client = connect();
    nodes = client.resource(resources.nodes);
    leases = client.resource(resources.leases);
    servingSeed = undefined;
    throw egressDenied(seed);
  };
  let heartbeats = 0;
  let lastError: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let onRegistered: () => void = () => undefined;
  const registered = new Promise<void>((resolve) => {
    onRegistered = resolve;
  });

  const ensureNode = async (now: string): Promise<void> => {
    let node: KubeObject;
    try {
      node = await nodes.get('', name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      node = await nodes.create('', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels: { 'kubernetes.io/hostname': name, ...options.labels } },
      });
      logger.info({ node: name }, 'registered the node');
    }
    const ready = {
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'node agent is posting ready status',
      lastHeartbeatTime: now,
      lastTransitionTime: readySince(node) ?? now,
    };
    const address = { type: 'Hostname', address: hostname() };
    await nodes.patch('', name, { status: { conditions: [ready], addresses: [address] } }, 'merge', 'status');
  };

  const renewLease = async (now: string): Promise<void> => {
    const spec = { holderIdentity: name, leaseDurationSeconds, renewTime: now };
    try {
      const lease = await leases.get(NODE_LEASE_NAMESPACE, name);
      await leases.update(NODE_LEASE_NAMESPACE, { ...lease, spec: { ...(lease.spec as object), ...spec } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await leases.create(NODE_LEASE_NAMESPACE, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: NODE_LEASE_NAMESPACE },
        spec: { ...spec, acquireTime: now },
      });
    }
  };

  const beat = async (): Promise<void> => {
    const now = new Date().toISOString();
    try {
      dropConnectionsToDeniedSeed();
      await ensureNode(now);
      await renewLease(now);
      heartbeats++;
      if (lastError !== undefined) logger.info({ node: name }, 'the API server answers again');
      lastError = undefined;
      onRegistered();
      void watchConnection();
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastError) logger.warn({ node: name, err: message }, 'heartbeat failed; retrying');
      lastError = message;
    }
  };

  // While the API server is away (a migration's downtime is seconds) the agent asks again every
  // second, so the node is back as soon as the API server is — not up to a renew interval later.
  const retryMs = Math.min(renewIntervalMs, 1_000);
  let beating = false;
  let wakeRequested = false;
  const schedule = (): void => {
    if (stopped) return;
    beating = true;
    inFlight = beat().finally(() => {
      beating = false;
      if (stopped) return;
      const delay = wakeRequested ? 0 : lastError === undefined ? renewIntervalMs : retryMs;
      wakeRequested = false;
      timer = setTimeout(schedule, delay);
    });
  };
  /** A heartbeat now (or right after the one in flight). */
  const wake = (): void => {
    if (beating) {
      wakeRequested = true;
      return;
    }
    if (timer) clearTimeout(timer);
    schedule();
  };

  // A watch on its own Node is how the agent notices at once that the API server went away (its
  // connection closes); the heartbeat then goes into retry mode instead of waiting for its tick.
  let watch: ClientWatch | undefined;
  const watchConnection = async (): Promise<void> => {
    if (stopped || watch) return;
    let opened: ClientWatch;
    try {
      opened = await nodes.watch('', { fieldSelector: `metadata.name=${name}` });
    } catch {
      return; // the next heartbeat that goes through opens it again
    }
    watch = opened;
    for await (const _event of opened) {
      // The node's own changes need nothing; the watch is here for its connection.
    }
    if (watch === opened) watch = undefined;
    if (!stopped) wake();
  };
  schedule();

  return {
    registered,
    status: () => ({ heartbeats, ...(lastError !== undefined ? { lastError } : {}) }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      watch?.stop();
      await inFlight;
      client.close();
    },
  };
}

/** When the node's Ready condition last became True, if it is True now. */
function readySince(node: KubeObject): string | undefined {
  const status = node.status as { conditions?: Array<Record<string, unknown>> } | undefined;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && typeof ready.lastTransitionTime === 'string'
    ? ready.lastTransitionTime
    : undefined;
}

/** The seeds an egress deny file names (none when it does not exist). */
function deniedSeeds(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Set();
  }
  return new Set(
    text
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter((line) => line !== ''),
  );
}
