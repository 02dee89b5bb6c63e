/**
 * The local provider's Worker actuator: every pool gets `minimum` machines, each a node agent
 * (`transplant node`) started by the MachineRuntime on this host's "infrastructure" and named
 * `<control-plane namespace>-<pool>-<index>` (the node's name too). Names are deterministic, so a
 * reconcile repeated after a crash finds the machines it started instead of adding more.
 *
 * What a machine gets (its "user data", in its directory, mode 0600): a kubeconfig for the
 * shoot's stable API address, trusting the shoot's `ca`, with a client certificate signed by the
 * shoot's `ca-client` for `system:node:<name>` in `system:nodes` — the CAs travel with the shoot
 * (ShootState), so the machines keep working after a migration.
 *
 * `status.state.machines` records every machine with its directory. Migrate keeps the machines
 * running and hands that record over (the gardenlet stores it in the ShootState); Restore on
 * another seed adopts the machines in the recorded directories — wherever its own
 * infrastructure directory is — so no machine is started twice. Delete stops them and removes
 * their directories.
 */
import { X509Certificate } from 'node:crypto';
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { secretResource } from '../../api/core/secret.js';
import { type Worker, workerResource } from '../../api/extensions/worker.js';
import { isRecord } from '../../api/meta.js';
import { buildKubeconfig, writeKubeconfig } from '../../apiserver/kubeconfig.js';
import type { Client } from '../../client/client.js';
import { loadKubeconfig } from '../../client/kubeconfig-file.js';
import { bundle } from '../../shoot/credentials-rotation.js';
import { subnetAt } from '../../shoot/kubelet/pod-ips.js';
import { NODES_GROUP, nodeUserName } from '../../shoot/node-identity.js';
import { issueAdminClientCertificate } from '../../shoot/shoot-certificates.js';
import { certificateAuthorityFromSecret, ShootSecretName, successorSecretName } from '../../shoot/shoot-secrets.js';
import { claimMachineHost, type MachineHost, readMachineHosts, releaseMachineHost } from '../runtime/machine-hosts.js';
import type { MachineRuntime } from '../runtime/machine-runtime.js';
import type { Actuator } from './actuator.js';

/** `spec.providerConfig` of a local Worker: where the machines reach the shoot's API server. */
export const WORKER_CONFIG_KIND = 'WorkerConfig';

/** The local provider's `spec.providerConfig` of a Worker (kind `WorkerConfig`). */
export interface LocalWorkerConfig {
  /** The shoot's stable API URL, where the machines reach their control plane wherever it runs. */
  apiServerURL?: string;
  /** The shoot's vpn-seed-server, where the machines open their tunnel. */
  vpnServerURL?: string;
  /** The shoot's nodes network (`spec.networking.nodes`): the machines' InternalIPs. */
  nodesCIDR?: string;
  /** The shoot's pods network (`spec.networking.pods`): each machine's pod CIDR is a /24 of it. */
  podsCIDR?: string;
}

/** `spec.providerConfig` read as a `LocalWorkerConfig`: its URLs where they are strings. */
function localWorkerConfig(worker: Worker): LocalWorkerConfig {
  const config = worker.spec.providerConfig ?? {};
  const strings = ['apiServerURL', 'vpnServerURL', 'nodesCIDR', 'podsCIDR'] as const;
  return Object.fromEntries(strings.filter((key) => typeof config[key] === 'string').map((key) => [key, config[key]]));
}

/** One machine as the Worker's state records it. */
export interface MachineRecord {
  name: string;
  pool: string;
  /** Absolute: a Restore on another seed adopts the machine here. */
  dir: string;
  /** The host it runs on, when the infrastructure has machine hosts (machine-hosts.ts). */
  host?: MachineHost;
}

/** Where a machine is in the shoot's networks. */
export interface MachineNetwork {
  internalIP: string;
  podCIDR: string;
}

/** Gardener's default nodes and pods networks, for a Worker that names none. */
const DEFAULT_NODES_CIDR = '10.250.0.0/16';
const DEFAULT_PODS_CIDR = '100.96.0.0/11';

/**
 * A machine's addresses from its pool's position and its own index, so they stay when pools grow
 * or shrink: InternalIP the `256 * pool + index + 10`th address of the nodes network, pod CIDR the
 * `32 * pool + index`th /24 of the pods network (Gardener's defaults where the shoot names none,
 * or a network too small for that machine).
 */
export function machineNetwork(config: LocalWorkerConfig, poolIndex: number, index: number): MachineNetwork {
  const at = (cidr: string | undefined, fallback: string, n: number, prefix: number) =>
    (cidr ? subnetAt(cidr, prefix, n) : undefined) ?? subnetAt(fallback, prefix, n)!;
  const internalIP = at(config.nodesCIDR, DEFAULT_NODES_CIDR, poolIndex * 256 + index + 10, 32).replace(/\/32$/, '');
  const podCIDR = at(config.podsCIDR, DEFAULT_PODS_CIDR, poolIndex * 32 + index, 24);
  return { internalIP, podCIDR };
}

/**
 * The local provider's machine types (Gardener's CloudProfile `machineTypes`): what each gives its
 * node. An unknown type is a `local` machine.
 */
export const LOCAL_MACHINE_TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.freeze({
  local: { cpu: '2', memory: '4Gi', pods: '110', 'ephemeral-storage': '50Gi' },
  'local-small': { cpu: '1', memory: '2Gi', pods: '110', 'ephemeral-storage': '20Gi' },
  'local-large': { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' },
});

export function machineCapacity(machineType: string): Readonly<Record<string, string>> {
  return LOCAL_MACHINE_TYPES[machineType] ?? LOCAL_MACHINE_TYPES.local!;
}

/** What the node agent of one machine is started with. */
export interface NodeAgentMachine extends MachineRecord, MachineNetwork {
  /** The node's capacity, from its pool's machine type. */
  capacity: Readonly<Record<string, string>>;
  /** The Node's labels: `worker.gardener.cloud/pool` and the pool's own. */
  labels: Readonly<Record<string, string>>;
  kubeconfigPath: string;
  /** The shoot's vpn-seed-server (`spec.providerConfig.vpnServerURL`), if the Worker names one. */
  vpnServerUrl?: string;
  /** The pool's `kubernetesVersion`, which the node reports as its kubelet version. */
  kubeletVersion?: string;
}

export interface WorkerActuatorDeps {
  /** The seed API: the Workers (their state) and the shoot secrets the machines' credentials come from. */
  seed: Client;
  machines: MachineRuntime;
  /** Where this seed puts the directories of new machines (`<dir>/<namespace>/<machine>`). */
  infrastructureDir: string;
  /** The node agent's own arguments for a machine (the runtime adds `--machine-dir=`). */
  nodeAgentArgs(machine: NodeAgentMachine): string[];
}

/**
 * `transplant node`'s arguments for a machine: its node name and its kubeconfig; everything else
 * the agent finds in its machine directory.
 */
export function localNodeAgentArgs(machine: NodeAgentMachine): string[] {
  return [
    '--name',
    machine.name,
    '--kubeconfig',
    machine.kubeconfigPath,
    ...(machine.vpnServerUrl ? ['--vpn-server', machine.vpnServerUrl] : []),
    ...(machine.kubeletVersion ? ['--kubelet-version', machine.kubeletVersion] : []),
    '--capacity',
    Object.entries(machine.capacity)
      .map(([name, quantity]) => `${name}=${quantity}`)
      .join(','),
    '--internal-ip',
    machine.internalIP,
    '--pod-cidr',
    machine.podCIDR,
    ...(Object.keys(machine.labels).length > 0
      ? [
          '--labels',
          Object.entries(machine.labels)
            .map(([key, value]) => `${key}=${value}`)
            .join(','),
        ]
      : []),
  ];
}

/** A year: node client certificates outlive any migration; the CA signs new ones on demand. */
const NODE_CERTIFICATE_VALIDITY_SECONDS = 365 * 24 * 3600;
const KUBECONFIG = 'kubeconfig';

export function workerActuator(deps: WorkerActuatorDeps): Actuator<Worker> {
  /** The machines the spec asks for, in the recorded directories where there are some. */
  const desiredMachines = (worker: Worker): (MachineRecord & MachineNetwork & { machineType: string })[] => {
    const namespace = worker.metadata.namespace ?? '';
    const recorded = new Map(recordedMachines(worker).map((m) => [m.name, m]));
    return worker.spec.pools.flatMap((pool, poolIndex) =>
      Array.from({ length: pool.minimum }, (_, index) => {
        const name = `${namespace}-${pool.name}-${index}`;
        const record = recorded.get(name);
        const dir = record?.dir ?? join(deps.infrastructureDir, namespace, name);
        const network = machineNetwork(localWorkerConfig(worker), poolIndex, index);
        const host = record?.host;
        return { name, pool: pool.name, dir, machineType: pool.machineType, ...network, ...(host ? { host } : {}) };
      }),
    );
  };

  const writeState = async (worker: Worker, machines: readonly MachineRecord[]) => {
    const machineDeployments = worker.spec.pools.map((pool) => ({
      name: `${worker.metadata.namespace}-${pool.name}`,
      minimum: pool.minimum,
      maximum: pool.maximum,
    }));
    // Only what a machine is: its network follows from its place, its capacity from the pool.
    const recorded = machines.map(({ name, pool, dir, host }) => ({ name, pool, dir, ...(host ? { host } : {}) }));
    const status = { state: { machines: recorded }, machineDeployments };
    const { namespace = '', name = '' } = worker.metadata;
    await deps.seed.resource(workerResource).patch(namespace, name, { status }, { subresource: 'status' });
  };

  /** The machines recorded, and any other directory of this Worker's namespace under this seed's infrastructure. */
  const knownMachineDirs = async (worker: Worker): Promise<string[]> => {
    const local = join(deps.infrastructureDir, worker.metadata.namespace ?? '');
    const here = await readdir(local).then(
      (names) => names.map((name) => join(local, name)),
      () => [],
    );
    return [...new Set([...recordedMachines(worker).map((m) => m.dir), ...here])];
  };

  const removeMachine = async (dir: string) => {
    await deps.machines.stop(dir, { removeDir: true });
    await releaseMachineHost(deps.infrastructureDir, dir);
  };

  return {
    async reconcile(worker) {
      const apiServerUrl = workerApiServerUrl(worker);
      const vpnServerUrl = localWorkerConfig(worker).vpnServerURL;
      const machines = desiredMachines(worker);
      const credentials = await machineCredentials(worker, deps);
      const versions = new Map(worker.spec.pools.map((pool) => [pool.name, pool.kubernetesVersion]));
      const labels = new Map(
        worker.spec.pools.map((pool) => [pool.name, { ...pool.labels, 'worker.gardener.cloud/pool': pool.name }]),
      );
      const hosts = await readMachineHosts(deps.infrastructureDir);
      for (const machine of machines) {
        if (hosts) {
          machine.host ??= await claimMachineHost(deps.infrastructureDir, hosts, machine.dir);
          if (!machine.host) {
            throw new Error(
              `no free host for machine ${machine.name}: all ${hosts.length} machine hosts of the infrastructure run machines (transplant up --machines N)`,
            );
          }
          // On a host of its own, the node's InternalIP is the host's address.
          machine.internalIP = machine.host.address;
        }
        const kubeconfigPath = join(machine.dir, KUBECONFIG);
        if (!(await credentials.current(kubeconfigPath))) {
          await writeKubeconfig(kubeconfigPath, await credentials.kubeconfig(machine.name, apiServerUrl));
        }
        const kubeletVersion = versions.get(machine.pool);
        const { machineType, ...record } = machine;
        const args = deps.nodeAgentArgs({
          ...record,
          capacity: machineCapacity(machineType),
          labels: labels.get(machine.pool) ?? {},
          kubeconfigPath,
          ...(vpnServerUrl ? { vpnServerUrl } : {}),
          ...(kubeletVersion ? { kubeletVersion } : {}),
        });
        await deps.machines.ensure({
          dir: machine.dir,
          args,
          ...(machine.host ? { netns: machine.host.netns } : {}),
        });
      }
      const wanted = new Set(machines.map((m) => m.dir));
      for (const dir of await knownMachineDirs(worker)) {
        if (!wanted.has(dir)) await removeMachine(dir);
      }
      await writeState(worker, machines);
    },
    async delete(worker) {
      for (const dir of await knownMachineDirs(worker)) await removeMachine(dir);
    },
    async migrate(worker) {
      // The machines run on: they are the shoot's, not this seed's.
      return { machines: recordedMachines(worker) };
    },
    async restore() {
      // The state (the machines' directories) is in status.state already; reconcile adopts them.
    },
  };
}

/** `status.state.machines` (the actuator's own record, free-form to the API), skipping malformed entries. */
export function recordedMachines(worker: Worker): MachineRecord[] {
  const machines = worker.status?.state?.machines;
  if (!Array.isArray(machines)) return [];
  return machines
    .filter(
      (m): m is MachineRecord =>
        isRecord(m) && typeof m.name === 'string' && typeof m.pool === 'string' && typeof m.dir === 'string',
    )
    .map(({ host, ...machine }) => (isMachineHost(host) ? { ...machine, host } : machine));
}

function isMachineHost(host: unknown): host is MachineHost {
  return (
    isRecord(host) &&
    typeof host.name === 'string' &&
    typeof host.netns === 'string' &&
    typeof host.address === 'string'
  );
}

/**
 * `spec.providerConfig.apiServerURL`: the shoot's stable address, where its machines reach it
 * (and `vpnServerURL`, where they open the shoot's VPN tunnel).
 */
export function workerApiServerUrl(worker: Worker): string {
  const url = localWorkerConfig(worker).apiServerURL;
  if (!url) throw new Error(`Worker ${worker.metadata.name} has no spec.providerConfig.apiServerURL`);
  return url;
}

async function machineCredentials(worker: Worker, deps: WorkerActuatorDeps) {
  const namespace = worker.metadata.namespace ?? '';
  const secret = async (name: string) => {
    const found = await deps.seed.resource(secretResource).find(namespace, name);
    if (!found) throw new Error(`secret ${namespace}/${name} is missing: the machines' credentials come from it`);
    return found;
  };
  const successor = async (name: string) => {
    const found = await deps.seed.resource(secretResource).find(namespace, successorSecretName(name));
    return found ? certificateAuthorityFromSecret(found) : undefined;
  };
  const ca = certificateAuthorityFromSecret(await secret(ShootSecretName.ca));
  // During a credentials rotation: both cluster CAs trusted, the new client CA signing.
  const caBundlePem = bundle(ca, await successor(ShootSecretName.ca));
  const caClient =
    (await successor(ShootSecretName.caClient)) ??
    certificateAuthorityFromSecret(await secret(ShootSecretName.caClient));
  const signer = new X509Certificate(caClient.certPem);
  return {
    /**
     * Whether the machine's kubeconfig exists and is what one issued now would be: the same CA
     * bundle, a certificate of the signing client CA. A rotation makes it stale; the node agent
     * takes the rewritten file on (src/client/kubeconfig-file.ts `kubeconfigChanges`).
     */
    async current(path: string): Promise<boolean> {
      if (!(await exists(path))) return false;
      try {
        const { caPem, clientCertPem } = loadKubeconfig(path);
        return caPem === caBundlePem && !!clientCertPem && new X509Certificate(clientCertPem).verify(signer.publicKey);
      } catch {
        return false;
      }
    },
    async kubeconfig(nodeName: string, server: string): Promise<string> {
      const user = nodeUserName(nodeName);
      const pair = await issueAdminClientCertificate(caClient, {
        user,
        groups: [NODES_GROUP],
        validitySeconds: NODE_CERTIFICATE_VALIDITY_SECONDS,
      });
      return buildKubeconfig({
        clusterName: namespace,
        server,
        caPem: caBundlePem,
        user: { name: user, clientCertPem: pair.certPem, clientKeyPem: pair.keyPem },
      });
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
