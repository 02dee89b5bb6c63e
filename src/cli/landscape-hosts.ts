/**
 * The hosts of `transplant up --hosts`: which hosts a landscape has, their network (netns.ts), the
 * machine hosts handed to the local provider's infrastructure, and the S3 stores. What runs on
 * each host is started by landscape.ts through the supervisor with `wrap: inHost(host)`.
 *
 * Hosts: `etcd-0..2` (the garden's etcd members), `garden-0..1` (garden replicas), `lb` (the
 * load balancer in front of them), `dns` (the landscape's DNS server), per seed `seed-<x>` (with
 * a pool of extra addresses for its shoots' endpoints) and `store-<x>` (its backup store, S3),
 * `machine-0..N-1`, and `operator` (where `transplant exec` runs commands).
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { secretResource } from '../api/core/secret.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { RestClient } from '../client/rest-client.js';
import { gardenEncryptedResources } from '../garden/encrypted-resources.js';
import { ensureEncryptionConfigFile } from '../hosting/encryption-config-file.js';
import { type EtcdCluster, etcdCluster } from '../landscape/etcd-cluster.js';
import { type Haproxy, haproxy } from '../landscape/haproxy.js';
import { HostJournal } from '../landscape/journal.js';
import { type KnotServer, startKnotServer } from '../landscape/knot-server.js';
import {
  claimHostNetwork,
  ensureHosts,
  type Host,
  type HostNetworkPlan,
  type HostRequest,
  hostNamed,
  inHost,
} from '../landscape/netns.js';
import { s3rverArgv } from '../landscape/s3rver-whole-objects.js';
import type { SupervisedSpec } from '../process/supervisor.js';
import {
  DNS_DOMAIN_ANNOTATION,
  DNS_PROVIDER_ANNOTATION,
  INTERNAL_DOMAIN_SELECTOR,
  RFC2136_PROVIDER,
} from '../seed/gardenlet/internal-domain.js';
import { writeMachineHosts } from '../seed/runtime/machine-hosts.js';

export interface HostsOptions {
  /** Machine hosts (`machine-0..N-1`). */
  machines: number;
  /** A /24 for the landscape bridge; default a free one. */
  subnet?: string;
  /** The landscape's DNS domain. */
  domain: string;
  /** Extra addresses on each seed host, for its shoots' endpoints. */
  shootAddressesPerSeed: number;
}

export const GARDEN_ETCD_MEMBERS = 3;
export const GARDEN_REPLICAS = 2;
/** The port of each seed's S3 store on its host. */
export const STORE_PORT = 9000;
/** s3rver's built-in account: the stores are private to the landscape's network. */
const STORE_CREDENTIALS = {
  accessKeyID: 'S3RVER',
  secretAccessKey: 'S3RVER',
  region: 'us-east-1',
  s3ForcePathStyle: true,
};

/** The port of the garden replicas and of the load balancer in front of them. */
export const GARDEN_PORT = 6443;

/** The garden of a hosts landscape: its etcd cluster, its replicas, the load balancer in front. */
export interface HostsGarden {
  /** The etcd members (detached; `start` starts those that do not run). */
  cluster: EtcdCluster;
  /** haproxy on `lb` (detached; `start` is idempotent). */
  balancer: Haproxy;
  /** The replicas' processes, for the supervisor: the first is `garden` (state in DIR/garden). */
  replicas: { process: string; host: string; dir: string; args: string[] }[];
  /** The encryption provider config every replica reads (the same keys): `ensureGardenEncryptionConfig` writes it. */
  encryptionConfig: string;
}

/**
 * The garden on hosts: etcd members on `etcd-0..2`, replicas on `garden-0..1` (`--store etcd`,
 * each listening on its host, advertising the load balancer), haproxy on `lb`. The replicas'
 * kubeconfigs name the load balancer.
 */
export function hostsGarden(dir: string, plan: HostNetworkPlan, logLevel: string): HostsGarden {
  const onHost = (name: string) => {
    const host = hostNamed(plan, name);
    return { host: host.address, wrap: (argv: string[]) => inHost(host, argv) };
  };
  const cluster = etcdCluster({
    dir: join(dir, 'garden-etcd'),
    members: Array.from({ length: GARDEN_ETCD_MEMBERS }, (_, i) => ({ name: `etcd-${i}`, ...onHost(`etcd-${i}`) })),
  });
  const lb = hostNamed(plan, 'lb');
  const replicaHosts = Array.from({ length: GARDEN_REPLICAS }, (_, i) => `garden-${i}`);
  const balancer = haproxy({
    dir: join(dir, 'lb'),
    bind: { host: lb.address, port: GARDEN_PORT },
    backends: replicaHosts.map((name) => ({ name, host: hostNamed(plan, name).address, port: GARDEN_PORT })),
    wrap: (argv) => inHost(lb, argv),
  });
  const encryptionConfig = join(dir, 'garden-encryption-config.yaml');
  const replicas = replicaHosts.map((host, i) => {
    const replicaDir = join(dir, i === 0 ? 'garden' : host);
    return {
      process: i === 0 ? 'garden' : host,
      host,
      dir: replicaDir,
      args: gardenReplicaArgs({
        dir: replicaDir,
        listen: hostNamed(plan, host).address,
        port: GARDEN_PORT,
        advertise: `${lb.address}:${GARDEN_PORT}`,
        cluster,
        encryptionConfig,
        extra: ['--log-level', logLevel],
      }),
    };
  });
  return { cluster, balancer, replicas, encryptionConfig };
}

/** Generates the replicas' encryption provider config once (0600); a later `up` keeps it. */
export async function ensureGardenEncryptionConfig(garden: HostsGarden): Promise<void> {
  await ensureEncryptionConfigFile(garden.encryptionConfig, gardenEncryptedResources);
}

/**
 * `transplant garden` flags of one replica of a garden on `cluster`: listening on its own host,
 * reached (kubeconfigs, certificates) at the load balancer's `advertise` address.
 */
export function gardenReplicaArgs(replica: {
  dir: string;
  listen: string;
  port: number;
  advertise: string;
  cluster: Pick<EtcdCluster, 'endpoints' | 'clientFiles'>;
  /** The same file for every replica of the garden, never its keys on the command line. */
  encryptionConfig: string;
  extra?: readonly string[];
}): string[] {
  const { cluster } = replica;
  return [
    'garden',
    '--dir',
    replica.dir,
    '--listen-address',
    replica.listen,
    '--port',
    String(replica.port),
    '--advertise-address',
    replica.advertise,
    '--store',
    'etcd',
    '--etcd-endpoints',
    cluster.endpoints.join(','),
    '--etcd-ca-file',
    cluster.clientFiles.ca,
    '--etcd-cert-file',
    cluster.clientFiles.cert,
    '--etcd-key-file',
    cluster.clientFiles.key,
    '--encryption-provider-config',
    replica.encryptionConfig,
    ...(replica.extra ?? []),
  ];
}

/** The backup store host of a seed: `seed-a` → `store-a`, `frankfurt` → `store-frankfurt`. */
export function storeHostOf(seed: string): string {
  return seed.startsWith('seed-') ? `store-${seed.slice('seed-'.length)}` : `store-${seed}`;
}

export function landscapeHostRequests(seeds: readonly string[], options: HostsOptions): HostRequest[] {
  const numbered = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i}` }));
  return [
    ...numbered('etcd', GARDEN_ETCD_MEMBERS),
    ...numbered('garden', GARDEN_REPLICAS),
    { name: 'lb' },
    { name: 'dns' },
    ...seeds.flatMap((seed) => [
      { name: seed, extraAddresses: options.shootAddressesPerSeed },
      { name: storeHostOf(seed) },
    ]),
    ...numbered('machine', options.machines),
    { name: 'operator' },
  ];
}

/**
 * The landscape's hosts, created where missing (the plan of an earlier `up` is kept), and the
 * machine hosts written to the infrastructure. Returns the plan and the hosts (re)created.
 */
export async function prepareHosts(
  dir: string,
  seeds: readonly string[],
  options: HostsOptions,
): Promise<{ plan: HostNetworkPlan; journal: HostJournal; recreated: string[] }> {
  const journal = new HostJournal(dir);
  journal.recordProcess();
  const plan = await claimHostNetwork(dir, journal, {
    hosts: landscapeHostRequests(seeds, options),
    domain: options.domain,
    dnsHost: 'dns',
    ...(options.subnet ? { subnet: options.subnet } : {}),
  });
  const recreated = await ensureHosts(plan, journal);
  const machines = plan.hosts.filter((h) => h.name.startsWith('machine-'));
  await writeMachineHosts(
    join(dir, 'infrastructure'),
    machines.map(({ name, netns, address }) => ({ name, netns, address })),
  );
  return { plan, journal, recreated };
}

/** A seed's backup store: s3rver on its store host, data under DIR/stores/<host>. */
export async function storeProcess(dir: string, plan: HostNetworkPlan, seed: string): Promise<SupervisedSpec> {
  const host = hostNamed(plan, storeHostOf(seed));
  const data = join(dir, 'stores', host.name);
  await mkdir(data, { recursive: true, mode: 0o700 });
  return {
    name: host.name,
    args: [],
    // --no-vhost-buckets: a request to http://store-a:9000/<bucket> names <bucket>, not a bucket
    // "store-a". s3rverArgv: an object is stored only once its whole body arrived, as S3 does.
    argv: s3rverArgv(['-d', data, '-a', host.address, '-p', String(STORE_PORT), '--no-vhost-buckets']),
    wrap: (argv) => inHost(host, argv),
    logFile: join(dir, 'logs', `${host.name}.log`),
  };
}

/** The seed's flags for its store: endpoint and a credentials file (mode 0600, never argv). */
export async function storeFlags(dir: string, plan: HostNetworkPlan, seed: string): Promise<string[]> {
  const host = hostNamed(plan, storeHostOf(seed));
  const credentials = join(dir, 'stores', 'credentials.json');
  await mkdir(join(dir, 'stores'), { recursive: true, mode: 0o700 });
  await writeFile(credentials, JSON.stringify(STORE_CREDENTIALS), { mode: 0o600 });
  return [
    '--backup-provider',
    's3',
    '--backup-endpoint',
    `http://${host.address}:${STORE_PORT}`,
    '--backup-credentials-file',
    credentials,
  ];
}

/** `landscape.json`'s view of the hosts. */
export function hostsEntry(plan: HostNetworkPlan): Record<string, Pick<Host, 'netns' | 'address' | 'extraAddresses'>> {
  return Object.fromEntries(
    plan.hosts.map(({ name, netns, address, extraAddresses }) => [name, { netns, address, extraAddresses }]),
  );
}

/** The port the landscape's DNS server answers on (queries and RFC 2136 updates). */
export const DNS_PORT = 53;
/** The internal-domain Secret `up --hosts` writes into the garden. */
export const INTERNAL_DOMAIN_SECRET = 'internal-domain';

/** The landscape's DNS server: knotd on the `dns` host, authoritative for the landscape's domain (idempotent). */
export function startLandscapeDns(dir: string, plan: HostNetworkPlan): Promise<KnotServer> {
  const dns = hostNamed(plan, 'dns');
  return startKnotServer({
    dir: join(dir, 'dns'),
    zone: plan.domain,
    address: dns.address,
    port: DNS_PORT,
    wrap: (argv) => inHost(dns, argv),
  });
}

/**
 * The garden's internal-domain Secret for `knot` (created, or its data brought up to date): with
 * it every shoot's API is `api.<shoot>.<project>.<domain>`, published by the seeds' DNSRecords.
 */
export async function publishInternalDomain(gardenKubeconfig: string, knot: KnotServer, domain: string): Promise<void> {
  const client = new RestClient(loadKubeconfig(gardenKubeconfig), { userAgent: 'transplant-up' });
  try {
    const [labelKey, labelValue] = INTERNAL_DOMAIN_SELECTOR.split('=') as [string, string];
    const data = Object.fromEntries(
      Object.entries(knot.secretData()).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    );
    const secrets = client.resource(secretResource);
    const existing = await secrets.createIfAbsent('garden', {
      metadata: {
        name: INTERNAL_DOMAIN_SECRET,
        namespace: 'garden',
        labels: { [labelKey]: labelValue },
        annotations: { [DNS_PROVIDER_ANNOTATION]: RFC2136_PROVIDER, [DNS_DOMAIN_ANNOTATION]: domain },
      },
      type: 'Opaque',
      data,
    });
    if (JSON.stringify(existing.data) !== JSON.stringify(data)) {
      await secrets.patch('garden', INTERNAL_DOMAIN_SECRET, { data });
    }
  } finally {
    client.close();
  }
}

/** A seed's `--shoot-addresses`: the extra addresses of its host. */
export function shootAddressesOf(plan: HostNetworkPlan, seed: string): string {
  return hostNamed(plan, seed).extraAddresses.join(',');
}
