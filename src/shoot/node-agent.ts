/**
 * The node agent (`transplant node`): what a kubelet does for the control plane's view of its
 * machine. It registers its Node, keeps the Node's `Ready` condition and its Lease in
 * `kube-node-lease` fresh (Kubernetes' defaults: a 40 s lease renewed every 10 s), and reaches
 * the API server only through the address in its kubeconfig — the shoot's stable address, so
 * the same process carries on wherever the control plane runs after a migration.
 *
 * With a VPN server it also holds the node's end of the shoot's tunnel (src/shoot/vpn/), through
 * which the API server reaches the node: `GET /api/v1/nodes/<name>/proxy/healthz` on the shoot's
 * API is answered here, by this process.
 *
 * The Node reports what a kubelet reports: capacity and allocatable (cpu, memory, pods,
 * ephemeral-storage), its InternalIP and Hostname, the kubelet's endpoint and node info, and the
 * pod CIDR it hands addresses from. The pods bound to the node are run as kwok simulates a
 * kubelet (./kubelet/pod-worker.ts): no container runs, but everything the control plane sees is
 * as on a real node.
 *
 * When the API server is away (stopped for a migration, or not reachable) the heartbeat is retried
 * every second, and so is the tunnel; the agent never gives up and never exits on its own. SIGTERM
 * stops it after the heartbeat in flight.
 */
import type { Logger } from 'pino';
import { leaseResource } from '../api/coordination/lease.js';
import { nodeResource } from '../api/core/node.js';
import type { KubeObject } from '../api/meta.js';
import type { ObjectWatch } from '../client/client.js';
import type { ClusterCredentials } from '../client/kubeconfig-file.js';
import { RestClient } from '../client/rest-client.js';
import { EgressPolicy } from './egress-policy.js';
import { type PodWorker, startPodWorker } from './kubelet/pod-worker.js';
import { MachineProbeAnswerer } from './machine-probe.js';
import type { NodeHttpRequest, NodeHttpResponse } from './vpn/tunnel-protocol.js';
import { startVpnClient, type VpnClient } from './vpn/vpn-client.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeAgentOptions {
  /** The Node's name (the machine's). */
  name: string;
  /** The shoot's API server and this node's credentials (`system:node:<name>`). */
  credentials: ClusterCredentials;
  /**
   * New credentials when the machine's kubeconfig changed (a credentials rotation gives the node
   * a certificate of the new client CA and the new CA bundle), else undefined. Asked before every
   * heartbeat; new credentials replace the client's connections and the tunnel's next dial.
   */
  reloadCredentials?: () => ClusterCredentials | undefined;
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
  /** `wss://…` of the shoot's vpn-seed-server (at the stable address); without it, no tunnel. */
  vpnServerUrl?: string;
  /** What `status.nodeInfo.kubeletVersion` says (e.g. `v1.31.1`); default none. */
  kubeletVersion?: string;
  /** `status.capacity` (and allocatable): resource → quantity; `NODE_DEFAULT_CAPACITY` fills what is missing. */
  capacity?: Record<string, string>;
  /** The node's InternalIP; default 127.0.0.1. */
  internalIP?: string;
  /** `spec.podCIDR` when the Node has none; default 100.96.0.0/24. */
  podCIDR?: string;
  /** How long a run-to-completion pod (a Job's) runs before it succeeds; default 5 s. */
  completeAfterMs?: number;
  logger: Logger;
}

/** A machine's resources when nobody says otherwise (a kubelet's `pods` default is 110). */
export const NODE_DEFAULT_CAPACITY: Readonly<Record<string, string>> = Object.freeze({
  cpu: '2',
  memory: '4Gi',
  pods: '110',
  'ephemeral-storage': '50Gi',
});

/** The kubelet's port, as `status.daemonEndpoints` reports it. */
const KUBELET_PORT = 10250;

export interface NodeAgent {
  /** Resolves once the first heartbeat went through (the Node exists, Ready, leased). */
  readonly registered: Promise<void>;
  /**
   * Heartbeats that went through, and the last error (undefined once one went through again);
   * with a VPN server, the seed holding the tunnel or why there is none.
   */
  status(): { heartbeats: number; lastError?: string; tunnel?: { seed?: string; lastError?: string } };
  stop(): Promise<void>;
}

export function startNodeAgent(options: NodeAgentOptions): NodeAgent {
  const { name, logger } = options;
  const leaseDurationSeconds = options.leaseDurationSeconds ?? 40;
  const renewIntervalMs = options.renewIntervalMs ?? 10_000;
  const egress = new EgressPolicy(options.egressDenyFile);
  const nodeInfo = {
    operatingSystem: process.platform,
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    containerRuntimeVersion: 'transplant://simulated',
    ...(options.kubeletVersion
      ? { kubeletVersion: options.kubeletVersion, kubeProxyVersion: options.kubeletVersion }
      : {}),
  };
  const capacity = { ...NODE_DEFAULT_CAPACITY, ...options.capacity };
  const internalIP = options.internalIP ?? '127.0.0.1';
  const podCIDR = options.podCIDR ?? '100.96.0.0/24';
  let podWorker: PodWorker | undefined;
  /** The seed behind the connections of the current client (from the last TLS handshake). */
  let servingSeed: string | undefined;
  let credentials = options.credentials;
  const connect = () =>
    new RestClient(credentials, {
      userAgent: 'kubelet',
      checkServerIdentity: egress.serverIdentityCheck((seed) => {
        servingSeed = seed;
      }),
    });
  let client = connect();
  let nodes = client.resource(nodeResource);
  let leases = client.resource(leaseResource);
  /** A firewall cuts open connections too: a deny list naming the seed drops the client's pool. */
  const dropConnectionsToDeniedSeed = () => {
    const seed = servingSeed;
    if (!egress.denies(seed)) return;
    watch?.stop();
    client.close();
    client = connect();
    nodes = client.resource(nodeResource);
    leases = client.resource(leaseResource);
    servingSeed = undefined;
    throw egress.deniedError(seed);
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

  // The labels a kubelet keeps on its Node (Kubernetes' well-known labels), which nodeSelectors
  // such as `kubernetes.io/os: linux` of published manifests rely on.
  const defaultLabels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': nodeInfo.operatingSystem,
    'kubernetes.io/arch': nodeInfo.architecture,
    'beta.kubernetes.io/os': nodeInfo.operatingSystem,
    'beta.kubernetes.io/arch': nodeInfo.architecture,
  };
  const ensureNode = async (now: string): Promise<void> => {
    let node = await nodes.find('', name);
    if (!node) {
      node = await nodes.create('', {
        metadata: { name, labels: { ...defaultLabels, ...options.labels } },
        spec: { podCIDR, podCIDRs: [podCIDR] },
      });
      logger.info({ node: name }, 'registered the node');
    } else if (Object.entries(defaultLabels).some(([key, value]) => node?.metadata.labels?.[key] !== value)) {
      // A Node registered by an older agent: its default labels are put right, as a kubelet does.
      node = await nodes.patch('', name, { metadata: { labels: defaultLabels } });
    }
    if (!(node.spec as { podCIDR?: string } | undefined)?.podCIDR) {
      node = await nodes.patch('', name, { spec: { podCIDR, podCIDRs: [podCIDR] } });
    }
    const ready = {
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
      lastHeartbeatTime: now,
      lastTransitionTime: readySince(node) ?? now,
    };
    const addresses = [
      { type: 'InternalIP', address: internalIP },
      { type: 'Hostname', address: name },
    ];
    const status = {
      conditions: [...pressureConditions(node, now), ready],
      addresses,
      capacity,
      allocatable: capacity,
      daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
      nodeInfo,
    };
    await nodes.patch('', name, { status }, { subresource: 'status' });
    podWorker ??= startPodWorker({
      nodeName: name,
      client: () => client,
      hostIP: internalIP,
      podCIDR: (node.spec as { podCIDR?: string } | undefined)?.podCIDR ?? podCIDR,
      completeAfterMs: options.completeAfterMs ?? 5_000,
      logger,
    });
  };

  const renewLease = async (now: string): Promise<void> => {
    const spec = { holderIdentity: name, leaseDurationSeconds, renewTime: now };
    const lease = await leases.find(NODE_LEASE_NAMESPACE, name);
    if (lease) {
      await leases.update(NODE_LEASE_NAMESPACE, { ...lease, spec: { ...(lease.spec as object), ...spec } });
    } else {
      await leases.create(NODE_LEASE_NAMESPACE, {
        metadata: { name, namespace: NODE_LEASE_NAMESPACE },
        spec: { ...spec, acquireTime: now },
      });
    }
  };

  const takeNewCredentials = () => {
    const fresh = options.reloadCredentials?.();
    if (!fresh) return;
    credentials = fresh;
    watch?.stop();
    client.close();
    client = connect();
    nodes = client.resource(nodeResource);
    leases = client.resource(leaseResource);
    logger.info({ node: name }, 'the kubeconfig changed: reconnecting with its credentials');
  };

  const beat = async (): Promise<void> => {
    const now = new Date().toISOString();
    try {
      takeNewCredentials();
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

  const probes = new MachineProbeAnswerer({
    egress,
    annotate: (annotations) => nodes.patch('', name, { metadata: { annotations } }),
  });
  // A watch on its own Node is how the agent notices at once that the API server went away (its
  // connection closes); the heartbeat then goes into retry mode instead of waiting for its tick.
  let watch: ObjectWatch | undefined;
  const watchConnection = async (): Promise<void> => {
    if (stopped || watch) return;
    let opened: ObjectWatch;
    try {
      opened = await nodes.watch('', { fieldSelector: `metadata.name=${name}` });
    } catch {
      return; // the next heartbeat that goes through opens it again
    }
    watch = opened;
    for await (const event of opened) {
      // Besides its connection, the watch brings a migration preflight's question (machine-probe.ts).
      if (event.type !== 'DELETED') void probes.consider(event.object);
    }
    if (watch === opened) watch = undefined;
    if (!stopped) wake();
  };
  schedule();

  const tunnel: VpnClient | undefined =
    options.vpnServerUrl === undefined
      ? undefined
      : startVpnClient({
          url: options.vpnServerUrl,
          credentials: () => credentials,
          egress,
          serve: async (req) => serveNodeEndpoint(req, { name, leaseDurationSeconds, renewIntervalMs }),
          logger: logger.child({ node: name }),
        });

  return {
    registered,
    status: () => ({
      heartbeats,
      ...(lastError !== undefined ? { lastError } : {}),
      ...(tunnel ? { tunnel: { seed: tunnel.connectedSeed(), lastError: tunnel.lastError() } } : {}),
    }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      watch?.stop();
      podWorker?.stop();
      await Promise.all([inFlight, tunnel?.stop()]);
      client.close();
    },
  };
}

/**
 * What the node serves to the API server through the tunnel, in the kubelet's paths: `/healthz`,
 * and `/configz` with the node agent's configuration (which also tells which node answered).
 */
function serveNodeEndpoint(
  req: NodeHttpRequest,
  config: { name: string; leaseDurationSeconds: number; renewIntervalMs: number },
): NodeHttpResponse {
  const text = (status: number, body: string) => ({
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: Buffer.from(body),
  });
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, `${req.method} is not served by the node\n`);
  const path = req.path.split('?')[0];
  if (path === '/healthz') return text(200, 'ok');
  if (path === '/configz') {
    const kubeletconfig = {
      nodeName: config.name,
      nodeLeaseDurationSeconds: config.leaseDurationSeconds,
      nodeStatusUpdateFrequency: `${config.renewIntervalMs / 1000}s`,
    };
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ kubeletconfig })),
    };
  }
  return text(404, `404 page not found: ${path} (the node serves /healthz and /configz)\n`);
}

/** The kubelet's MemoryPressure, DiskPressure and PIDPressure conditions: none of them, since when the node has reported so. */
function pressureConditions(node: KubeObject, now: string): Record<string, unknown>[] {
  const status = node.status as { conditions?: Array<Record<string, unknown>> } | undefined;
  const reasons = {
    MemoryPressure: 'KubeletHasSufficientMemory',
    DiskPressure: 'KubeletHasNoDiskPressure',
    PIDPressure: 'KubeletHasSufficientPID',
  };
  const messages = {
    MemoryPressure: 'kubelet has sufficient memory available',
    DiskPressure: 'kubelet has no disk pressure',
    PIDPressure: 'kubelet has sufficient PID available',
  };
  return (['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const).map((type) => {
    const prev = status?.conditions?.find((c) => c.type === type);
    const since =
      prev?.status === 'False' && typeof prev.lastTransitionTime === 'string' ? prev.lastTransitionTime : now;
    return {
      type,
      status: 'False',
      reason: reasons[type],
      message: messages[type],
      lastHeartbeatTime: now,
      lastTransitionTime: since,
    };
  });
}

/** When the node's Ready condition last became True, if it is True now. */
function readySince(node: KubeObject): string | undefined {
  const status = node.status as { conditions?: Array<Record<string, unknown>> } | undefined;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && typeof ready.lastTransitionTime === 'string'
    ? ready.lastTransitionTime
    : undefined;
}
