/**
 * Hosts as network namespaces: one bridge per landscape with a private /24, and per host a
 * namespace, a veth pair (the root end on the bridge, `eth0` inside) and an address, plus extra
 * addresses where a host serves more (a seed's shoot endpoints). `lo` is up, there is no default
 * route, so nothing inside reaches beyond the landscape; `/etc/netns/<namespace>/resolv.conf`
 * names the landscape's DNS host and `/etc/netns/<namespace>/hosts` every host by name (both
 * bind-mounted by `ip netns exec`).
 *
 * The plan (subnet, names, addresses) is chosen once and kept in DIR/hosts.json; `ensureHosts`
 * creates whatever of it is missing and may run any number of times. Every creation is recorded
 * in the journal first (journal.ts), so `transplant down` removes it all.
 *
 * Names: the subnet's 2nd and 3rd octets in hex make the landscape's tag (10.201.7.0/24 → `c907`),
 * so parallel landscapes never share a name: the bridge `tpc907br`, the namespaces
 * `tpc907-<host>`, the root ends `tpc907v<index>` (Linux interface names stop at 15 characters).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostCommandError, runCommand } from './command.js';
import { ETC_NETNS, type HostJournal } from './journal.js';

export interface HostRequest {
  name: string;
  /** Extra addresses on the host's interface (e.g. a seed's pool for shoot endpoints). */
  extraAddresses?: number;
}

export interface Host {
  name: string;
  /** The network namespace, `tp<tag>-<name>`. */
  netns: string;
  /** The host's address on the landscape bridge. */
  address: string;
  /** The root namespace's end of the host's veth pair. */
  link: string;
  extraAddresses: string[];
}

export interface HostNetworkPlan {
  /** `a.b.c.0/24`. */
  subnet: string;
  bridge: string;
  /** The bridge's address in the root namespace (`.1`). */
  gateway: string;
  /** The landscape's DNS domain; hosts are `<name>.<domain>` in every /etc/netns hosts file. */
  domain: string;
  /** The host whose address is every namespace's nameserver, if the landscape runs one. */
  dnsHost?: string;
  hosts: Host[];
}

export interface HostNetworkRequest {
  hosts: readonly HostRequest[];
  domain: string;
  dnsHost?: string;
  /** A /24 to use; default: a free one of 10.200.0.0–10.254.255.0. */
  subnet?: string;
}

export const PLAN_FILE = 'hosts.json';
/** The first host address (`.10`); the extra addresses start at `.100`. */
const FIRST_HOST = 10;
const FIRST_EXTRA = 100;

export async function readHostPlan(landscapeDir: string): Promise<HostNetworkPlan | undefined> {
  try {
    return JSON.parse(await readFile(join(landscapeDir, PLAN_FILE), 'utf8')) as HostNetworkPlan;
  } catch {
    return undefined;
  }
}

/**
 * The landscape's plan: the one in DIR/hosts.json, else a new one on a free /24 whose bridge is
 * created here — creating the bridge is what claims the subnet, so two landscapes choosing at
 * the same moment cannot both get it.
 */
export async function claimHostNetwork(
  landscapeDir: string,
  journal: HostJournal,
  request: HostNetworkRequest,
): Promise<HostNetworkPlan> {
  const existing = await readHostPlan(landscapeDir);
  if (existing) return existing;
  const candidates = request.subnet ? [parseSubnet(request.subnet)] : randomSubnets();
  const used = await usedRanges();
  for (const base of candidates) {
    if (used.some(([from, to]) => from <= base + 255 && to >= base)) {
      if (request.subnet) throw new Error(`--subnet ${request.subnet} overlaps an address or route of this machine`);
      continue;
    }
    const plan = layout(base, request);
    journal.record({ kind: 'bridge', name: plan.bridge });
    try {
      await runCommand(['ip', 'link', 'add', plan.bridge, 'type', 'bridge']);
    } catch (err) {
      if (err instanceof HostCommandError && /exists/i.test(err.stderr) && !request.subnet) continue;
      throw err;
    }
    await writeFile(join(landscapeDir, PLAN_FILE), `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
    return plan;
  }
  throw new Error('no free /24 in 10.200.0.0–10.254.255.0 for the landscape bridge');
}

/**
 * Creates what is missing of `plan`: the bridge, each host's namespace, /etc/netns files, veth
 * pair and addresses. Returns the hosts whose namespace was (re)created: processes that ran in a
 * namespace deleted under them are in no host any more and must be started again.
 */
export async function ensureHosts(plan: HostNetworkPlan, journal: HostJournal): Promise<string[]> {
  const namespaces = new Set(
    (await runCommand(['ip', 'netns', 'list'])).stdout.split('\n').map((line) => line.split(' ')[0]),
  );
  const links = new Set(
    (JSON.parse((await runCommand(['ip', '-j', 'link', 'show'])).stdout) as { ifname: string }[]).map((l) => l.ifname),
  );
  if (!links.has(plan.bridge)) {
    journal.record({ kind: 'bridge', name: plan.bridge });
    await runCommand(['ip', 'link', 'add', plan.bridge, 'type', 'bridge']);
  }
  await runCommand(['ip', 'addr', 'replace', `${plan.gateway}/24`, 'dev', plan.bridge]);
  await runCommand(['ip', 'link', 'set', plan.bridge, 'up']);
  const recreated: string[] = [];
  for (const host of plan.hosts) {
    const ns = ['ip', '-n', host.netns];
    if (!namespaces.has(host.netns)) {
      // A root end whose peer is in a namespace deleted under a running process: replace it.
      if (links.has(host.link)) await runCommand(['ip', 'link', 'delete', host.link]);
      links.delete(host.link);
      journal.record({ kind: 'netns', name: host.netns });
      await runCommand(['ip', 'netns', 'add', host.netns]);
      recreated.push(host.name);
    }
    journal.record({ kind: 'etc-netns', name: host.netns });
    await writeEtcNetns(plan, host);
    if (!links.has(host.link)) {
      journal.record({ kind: 'link', name: host.link });
      await runCommand(['ip', 'link', 'add', host.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns]);
    }
    await runCommand(['ip', 'link', 'set', host.link, 'master', plan.bridge, 'up']);
    await runCommand([...ns, 'link', 'set', 'lo', 'up']);
    await runCommand([...ns, 'addr', 'replace', `${host.address}/24`, 'dev', 'eth0']);
    for (const extra of host.extraAddresses) {
      await runCommand([...ns, 'addr', 'replace', `${extra}/32`, 'dev', 'eth0']);
    }
    await runCommand([...ns, 'link', 'set', 'eth0', 'up']);
  }
  return recreated;
}

/** `argv` run inside `host` (`ip netns exec`): the wrap every launcher of a host's process takes. */
export function inHost(host: Pick<Host, 'netns'>, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', host.netns, ...argv];
}

export function hostNamed(plan: HostNetworkPlan, name: string): Host {
  const host = plan.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no host ${name} in this landscape (hosts: ${plan.hosts.map((h) => h.name).join(', ')})`);
  return host;
}

/**
 * The hosts a name stands for: a host, or a group named by the hosts' common prefix, singular or
 * plural (`machines` or `machine` → `machine-0`, `machine-1`, …; `seeds`, `etcd`, `stores`).
 */
export function resolveHosts(plan: HostNetworkPlan, name: string): Host[] {
  const exact = plan.hosts.filter((h) => h.name === name);
  if (exact.length > 0) return exact;
  const prefixes = [`${name}-`, `${name.replace(/s$/, '')}-`];
  const group = plan.hosts.filter((h) => prefixes.some((p) => h.name.startsWith(p)));
  if (group.length > 0) return group;
  throw new Error(
    `no host or group ${name} in this landscape (hosts: ${plan.hosts.map((h) => h.name).join(', ')}; groups by prefix, e.g. machines)`,
  );
}

async function writeEtcNetns(plan: HostNetworkPlan, host: Host): Promise<void> {
  const dir = join(ETC_NETNS, host.netns);
  await mkdir(dir, { recursive: true });
  const dns = plan.dnsHost ? plan.hosts.find((h) => h.name === plan.dnsHost) : undefined;
  // Without a DNS host glibc asks 127.0.0.1 inside the namespace: refused at once, no timeout.
  const resolv = [
    ...(dns ? [`nameserver ${dns.address}`] : []),
    `search ${plan.domain}`,
    'options timeout:1 attempts:2',
  ];
  await writeFile(join(dir, 'resolv.conf'), `${resolv.join('\n')}\n`);
  const hosts = [
    '127.0.0.1 localhost',
    '::1 localhost',
    `127.0.1.1 ${host.name}.${plan.domain} ${host.name}`,
    ...plan.hosts.map((h) => `${h.address} ${h.name}.${plan.domain} ${h.name}`),
  ];
  await writeFile(join(dir, 'hosts'), `${hosts.join('\n')}\n`);
}

function layout(base: number, request: HostNetworkRequest): HostNetworkPlan {
  const tag = (((base >>> 16) & 0xff) * 256 + ((base >>> 8) & 0xff)).toString(16).padStart(4, '0');
  let nextExtra = FIRST_EXTRA;
  const hosts = request.hosts.map((spec, index): Host => {
    const extraAddresses = Array.from({ length: spec.extraAddresses ?? 0 }, () => ipString(base + nextExtra++));
    return {
      name: spec.name,
      netns: `tp${tag}-${spec.name}`,
      address: ipString(base + FIRST_HOST + index),
      link: `tp${tag}v${index}`,
      extraAddresses,
    };
  });
  if (FIRST_HOST + hosts.length > FIRST_EXTRA) {
    throw new Error(`${hosts.length} hosts do not fit: at most ${FIRST_EXTRA - FIRST_HOST}`);
  }
  if (nextExtra > 255) throw new Error(`${nextExtra - FIRST_EXTRA} extra addresses do not fit: at most 155`);
  return {
    subnet: `${ipString(base)}/24`,
    bridge: `tp${tag}br`,
    gateway: ipString(base + 1),
    domain: request.domain,
    ...(request.dnsHost ? { dnsHost: request.dnsHost } : {}),
    hosts,
  };
}

/** 10.200.0.0/24 … 10.254.255.0/24, from a random start. */
function* randomSubnets(): Generator<number> {
  const count = 55 * 256;
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const n = (start + i) % count;
    yield ipNumber(`10.${200 + Math.floor(n / 256)}.${n % 256}.0`);
  }
}

function parseSubnet(subnet: string): number {
  const match = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(subnet);
  if (!match) throw new Error(`--subnet ${subnet}: expected an IPv4 /24 such as 10.201.7.0/24`);
  return ipNumber(`${match[1]}.0`);
}

/** Address ranges this machine uses: its interfaces' networks, its routes, its nameservers. */
async function usedRanges(): Promise<[number, number][]> {
  const ranges: [number, number][] = [];
  const add = (address: string, prefix: number) => {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) return;
    const size = 2 ** (32 - prefix);
    const from = Math.floor(ipNumber(address) / size) * size;
    ranges.push([from, from + size - 1]);
  };
  const addrs = JSON.parse((await runCommand(['ip', '-j', 'addr', 'show'])).stdout) as {
    addr_info?: { family: string; local: string; prefixlen: number }[];
  }[];
  for (const link of addrs) for (const a of link.addr_info ?? []) if (a.family === 'inet') add(a.local, a.prefixlen);
  const routes = JSON.parse((await runCommand(['ip', '-j', 'route', 'show'])).stdout) as { dst: string }[];
  for (const { dst } of routes) {
    const [address, prefix] = dst.split('/');
    if (address && address !== 'default') add(address, prefix ? Number(prefix) : 32);
  }
  const resolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  for (const match of resolv.matchAll(/^nameserver\s+(\S+)/gm)) add(match[1]!, 32);
  return ranges;
}

function ipNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function ipString(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}
