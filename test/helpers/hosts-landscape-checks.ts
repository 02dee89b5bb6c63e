/**
 * The checks of a multi-host landscape itself (`transplant up --hosts`), run on the landscape of a
 * test that needs one anyway: a landscape costs a minute of both cores to bring up, so the suite
 * starts as few as it can (hosts-migration.test.ts runs these before its shoot exists, and
 * `down` at its end). Every part on its own host (landscape.json lists them; the garden's two
 * replicas on a 3-member etcd cluster behind haproxy), `transplant exec` runs kubectl on the
 * operator's host with its exit status passed on, hosts reach each other and nothing beyond the
 * landscape, `cut`/`heal` through the CLI, `up` again converges (a killed seed, a deleted
 * namespace), and `down` leaves no namespace, link, /etc/netns directory or process behind.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import { namespacePids } from '../../src/landscape/journal.js';
import { groupOrOtherAccessible } from './file-modes.js';
import { connectFrom, links, namespaces } from './netns.js';
import { alive, until } from './processes.js';
import { transplant } from './transplant-cli.js';

const run = promisify(execFile);

/** The landscape the checks look at, known once the describe's `before` brought it up. */
export interface HostsLandscapeUnderTest {
  dir(): string;
  /** Its namespaces' and links' prefix (the bridge's name without `br`). */
  tag(): string;
  /** `up --machines`. */
  machines: number;
  /** `up --log-level`, which `up` again is given too. */
  logLevel: string;
}

export async function readLandscape(dir: string): Promise<LandscapeFile> {
  return JSON.parse(await readFile(join(dir, 'landscape.json'), 'utf8')) as LandscapeFile;
}

/** The prefix of the landscape's namespaces and links. */
export async function landscapeTag(dir: string): Promise<string> {
  return (await readLandscape(dir)).network!.bridge.replace(/br$/, '');
}

/** Processes whose command line names `text` (a landscape's directory). */
export async function processesNaming(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(Number(entry));
  }
  return found;
}

/** What of a landscape with namespace prefix `tag` is left on this machine. */
export async function leftovers(tag: string, dir: string) {
  const etcNetns = await readdir('/etc/netns').catch(() => [] as string[]);
  return {
    namespaces: (await namespaces()).filter((n) => n.startsWith(tag)),
    links: (await links()).filter((n) => n.startsWith(tag)),
    etcNetns: etcNetns.filter((n) => n.startsWith(tag)),
    processes: await processesNaming(dir),
  };
}
export const NOTHING = { namespaces: [], links: [], etcNetns: [], processes: [] };

/** The landscape's own checks, in this order; run them before anything else changes it. */
export function landscapeChecks(ctx: HostsLandscapeUnderTest): void {
  it('lists every host with its namespace and address; the garden and seeds run on theirs', async () => {
    const dir = ctx.dir();
    const l = await readLandscape(dir);
    const names = Object.keys(l.hosts ?? {}).sort();
    assert.deepEqual(names, [
      'dns',
      'etcd-0',
      'etcd-1',
      'etcd-2',
      'garden-0',
      'garden-1',
      'lb',
      ...Array.from({ length: ctx.machines }, (_, i) => `machine-${i}`),
      'operator',
      'seed-a',
      'seed-b',
      'store-a',
      'store-b',
    ]);
    const seedA = l.hosts!['seed-a']!;
    assert.equal(seedA.extraAddresses.length, 8);
    assert.ok(new URL(l.seeds['seed-a']!.url!).hostname === seedA.address);
    assert.ok((await namespacePids(seedA.netns)).includes(l.seeds['seed-a']!.pid!));
    assert.ok((await namespacePids(l.hosts!['garden-0']!.netns)).includes(l.garden.pid!));
    assert.ok((await namespacePids(l.hosts!['store-a']!.netns)).length > 0, 'store-a runs its S3 server');
    // The garden: a replica on each garden host, an etcd member on each etcd host, haproxy on lb.
    for (const [name, replica] of Object.entries(l.garden.replicas ?? {})) {
      assert.ok(
        (await namespacePids(l.hosts![replica.host]!.netns)).includes(replica.pid!),
        `${name} on ${replica.host}`,
      );
    }
    assert.equal(Object.keys(l.garden.replicas ?? {}).length, 2);
    for (const host of ['etcd-0', 'etcd-1', 'etcd-2', 'lb']) {
      assert.ok((await namespacePids(l.hosts![host]!.netns)).length > 0, `${host} runs its daemon`);
    }
  });

  it('leaves nothing under its directory readable by group or others; both garden replicas read one encryption config', async () => {
    const dir = ctx.dir();
    const open = await groupOrOtherAccessible(dir);
    assert.deepEqual(open, [], `readable by group or others:\n${open.join('\n')}`);
    const config = join(dir, 'garden-encryption-config.yaml');
    assert.ok(existsSync(config));
    const { replicas } = (await readLandscape(dir)).garden;
    assert.deepEqual(Object.keys(replicas ?? {}).sort(), ['garden', 'garden-1']);
    for (const [name, replica] of Object.entries(replicas ?? {})) {
      const cmdline = await readFile(`/proc/${replica.pid}/cmdline`, 'utf8');
      assert.ok(cmdline.includes(`--encryption-provider-config\0${config}\0`), `${name}: ${cmdline}`);
    }
  });

  it('exec runs kubectl on the operator host with the garden kubeconfig, and passes the exit status on', async () => {
    const dir = ctx.dir();
    const seeds = await transplant(['exec', '--dir', dir, '--', 'kubectl', 'get', 'seeds', '--no-headers']);
    assert.equal(seeds.code, 0, seeds.stderr);
    assert.match(seeds.stdout, /seed-a\s+Ready/);
    assert.match(seeds.stdout, /seed-b\s+Ready/);
    assert.equal((await transplant(['exec', '--dir', dir, '--', 'sh', '-c', 'exit 3'])).code, 3);
    const addr = await transplant([
      'exec',
      '--dir',
      dir,
      '--host',
      'machine-1',
      '--',
      'ip',
      '-br',
      'addr',
      'show',
      'eth0',
    ]);
    assert.match(
      addr.stdout,
      new RegExp((await readLandscape(dir)).hosts!['machine-1']!.address.replaceAll('.', '\\.')),
    );
    assert.match(
      (await transplant(['exec', '--dir', dir, '--host', 'nowhere', '--', 'true'])).stderr,
      /no host nowhere/,
    );
  });

  it('hosts reach each other by address, nothing outside; cut and heal through the CLI', async () => {
    const dir = ctx.dir();
    const l = await readLandscape(dir);
    const operator = l.hosts!.operator!.netns;
    const garden = new URL(l.garden.url!);
    const port = Number(garden.port);
    assert.equal(await connectFrom(operator, garden.hostname, port), 'connected');
    assert.equal(await connectFrom(operator, '192.0.2.2', 22), 'ENETUNREACH');
    assert.equal(garden.hostname, l.hosts!.lb!.address, 'the kubeconfig names the load balancer');
    assert.equal((await transplant(['cut', '--dir', dir, 'operator', 'lb', '--reject'])).code, 0);
    assert.equal(await connectFrom(operator, garden.hostname, port), 'ECONNREFUSED');
    assert.equal((await transplant(['cuts', '--dir', dir])).stdout, 'operator -> lb reject\n');
    const refused = await transplant(['exec', '--dir', dir, '--', 'kubectl', 'get', 'seeds', '--request-timeout=3s']);
    assert.notEqual(refused.code, 0);
    assert.equal((await transplant(['heal', '--dir', dir, 'operator', 'lb'])).code, 0);
    assert.equal(await connectFrom(operator, garden.hostname, port), 'connected');
    assert.equal((await transplant(['cuts', '--dir', dir])).stdout, '');
  });

  it('up again converges: a seed killed -9 and a deleted namespace come back; it returns 0', async () => {
    const dir = ctx.dir();
    const l = await readLandscape(dir);
    const killed = l.seeds['seed-a']!.pid!;
    process.kill(killed, 'SIGKILL');
    const storeB = l.hosts!['store-b']!.netns;
    await run('ip', ['netns', 'delete', storeB]);
    const up = await transplant(['up', '--dir', dir, '--hosts', '--detach', '--log-level', ctx.logLevel]);
    assert.equal(up.code, 0, up.stderr);
    const after = await readLandscape(dir);
    assert.equal(after.supervisorPid, l.supervisorPid);
    assert.notEqual(after.seeds['seed-a']!.pid, killed);
    assert.ok(alive(after.seeds['seed-a']!.pid));
    assert.ok((await namespaces()).includes(storeB));
    await until(async () => (await namespacePids(storeB)).length > 0, 10_000, 'store-b runs in its new namespace');
    const seeds = await transplant(['exec', '--dir', dir, '--', 'kubectl', 'get', 'seeds', '--no-headers']);
    assert.match(seeds.stdout, /seed-a\s+Ready/);
  });
}

/** The last check: `down` leaves nothing behind. */
export function downLeavesNothing(ctx: HostsLandscapeUnderTest): void {
  it('down leaves no namespace, link, /etc/netns directory or process behind', async () => {
    const dir = ctx.dir();
    assert.notDeepEqual(await leftovers(ctx.tag(), dir), NOTHING);
    const down = await transplant(['down', '--dir', dir]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await leftovers(ctx.tag(), dir), NOTHING);
  });
}
