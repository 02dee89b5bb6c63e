/**
 * For tests of hosts as network namespaces: whether this machine lets them run (root, `ip`,
 * `nft`, knot), a TCP probe from inside a namespace, snapshots of what exists (namespaces, links,
 * processes) to compare before and after, and a namespace of a test's own (`createTestNetns`:
 * `lo` up, its resolver pointed at `nameserver 127.0.0.1`, a cleanup that kills every process
 * left inside and deletes the namespace and its /etc/netns files).
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, nftables)';
  for (const tool of ['ip', 'nft']) {
    if (spawnSync(tool, ['-V']).error) return `needs ${tool} (make setup installs iproute2 and nftables)`;
  }
  const probe = spawnSync('ip', ['netns', 'list']);
  if (probe.status !== 0) return `network namespaces unavailable: ${probe.stderr.toString().trim()}`;
  return undefined;
}

/** Why `transplant up --hosts` cannot run here (namespaces, and the daemons it starts), or undefined. */
export function hostsLandscapeUnavailable(): string | undefined {
  const netns = netnsUnavailable();
  if (netns) return netns;
  const tools = ['/usr/bin/etcd', '/usr/sbin/haproxy', '/usr/sbin/knotd', '/usr/bin/kubectl', '/usr/bin/jq'];
  const missing = tools.filter((tool) => !existsSync(tool));
  return missing.length > 0 ? `needs ${missing.join(', ')} (make setup)` : undefined;
}

export type ProbeResult = 'connected' | 'timeout' | string;

/**
 * A TCP connect from inside `netns` to `address:port`: 'connected', 'timeout' (after
 * `timeoutMs`), or the error code (ECONNREFUSED, ENETUNREACH, …).
 */
export async function connectFrom(
  netns: string,
  address: string,
  port: number,
  timeoutMs = 1500,
): Promise<ProbeResult> {
  const script = `
    const s = require('node:net').connect(${port}, ${JSON.stringify(address)});
    const t = setTimeout(() => { console.log('timeout'); process.exit(0); }, ${timeoutMs});
    s.on('connect', () => { console.log('connected'); process.exit(0); });
    s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
  const { stdout } = await run('ip', ['netns', 'exec', netns, process.execPath, '-e', script]);
  return stdout.trim();
}

export async function namespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean)
    .sort();
}

export async function links(): Promise<string[]> {
  const { stdout } = await run('ip', ['-br', 'link']);
  return stdout
    .split('\n')
    .map((line) => line.split(/\s+/)[0]!.replace(/@.*$/, ''))
    .filter(Boolean)
    .sort();
}

export async function nftTables(): Promise<string[]> {
  const { stdout } = await run('nft', ['list', 'tables']);
  return stdout.split('\n').filter(Boolean).sort();
}

export async function pids(): Promise<Set<number>> {
  return new Set((await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number));
}

/** Names in `after` that are not in `before` and contain `tag` (other tests' landscapes run at the same time). */
export function added(before: readonly string[], after: readonly string[], tag: string): string[] {
  return after.filter((name) => !before.includes(name) && name.includes(tag));
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (ip netns add)';
  for (const tool of ['/usr/sbin/ip', '/usr/sbin/knotd', '/usr/bin/kdig']) {
    if (!existsSync(tool) && !existsSync(tool.replace('/usr/sbin/', '/sbin/'))) return `needs ${tool} (make setup)`;
  }
  return undefined;
}

export interface TestNetns {
  name: string;
  /** `argv` run inside the namespace. */
  wrap(argv: string[]): string[];
  cleanup(): Promise<void>;
}

export async function createTestNetns(prefix: string): Promise<TestNetns> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const etcDir = `/etc/netns/${name}`;
  const cleanup = async () => {
    const { stdout } = await run('ip', ['netns', 'pids', name]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split('\n').filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    await rm(etcDir, { recursive: true, force: true });
  };
  try {
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    await mkdir(etcDir, { recursive: true });
    await writeFile(`${etcDir}/resolv.conf`, 'nameserver 127.0.0.1\n');
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { name, wrap: (argv) => ['ip', 'netns', 'exec', name, ...argv], cleanup };
}
