/**
 * Hosts as network namespaces with real `ip` and `nft`: hosts reach each other and nothing
 * outside the landscape, a cut behaves as a firewall's (reject: refused at once; drop: times out;
 * both directions), heal restores the path, and undoing the journal leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cut, heal, listCuts } from '../../src/landscape/firewall.js';
import { HostJournal } from '../../src/landscape/journal.js';
import {
  claimHostNetwork,
  ensureHosts,
  type HostNetworkPlan,
  hostNamed,
  inHost,
  resolveHosts,
} from '../../src/landscape/netns.js';
import { connectFrom, links, namespaces, netnsUnavailable } from '../helpers/netns.js';

const skip = netnsUnavailable();
const PORT = 7070;

describe('hosts as network namespaces', { skip }, () => {
  let dir: string;
  let journal: HostJournal;
  let plan: HostNetworkPlan;
  const servers: ChildProcess[] = [];
  let before_: { namespaces: string[]; links: string[] };

  /** A TCP server on every address of `host`, port PORT. */
  const serve = async (name: string) => {
    const host = hostNamed(plan, name);
    const script = `const net = require('node:net');
      for (const a of ${JSON.stringify([host.address, ...host.extraAddresses])}) net.createServer((s) => { s.on('error', () => {}); s.end('hi'); }).listen(${PORT}, a);
      setTimeout(() => console.log('ready'), 50);`;
    const child = spawn(inHost(host, [])[0]!, [...inHost(host, []).slice(1), process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    servers.push(child);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  };

  before(async () => {
    before_ = { namespaces: await namespaces(), links: await links() };
    dir = await mkdtemp(join(tmpdir(), 'transplant-netns-'));
    journal = new HostJournal(dir);
    plan = await claimHostNetwork(dir, journal, {
      domain: 'landscape.test',
      hosts: [{ name: 'machine-0' }, { name: 'machine-1' }, { name: 'seed-b', extraAddresses: 2 }],
    });
    await ensureHosts(plan, journal);
    await serve('seed-b');
    await serve('machine-1');
  });

  after(async () => {
    for (const child of servers) child.kill('SIGKILL');
    await journal?.undo({ graceMs: 1000 });
    await rm(dir, { recursive: true, force: true });
  });

  it('gives each host a namespace, an address, /etc/netns files; names fit interfaces', async () => {
    assert.match(plan.subnet, /^\d+\.\d+\.\d+\.0\/24$/);
    for (const host of plan.hosts) {
      assert.ok((await namespaces()).includes(host.netns));
      assert.ok(host.link.length <= 15 && plan.bridge.length <= 15);
      const hosts = await readFile(join('/etc/netns', host.netns, 'hosts'), 'utf8');
      assert.match(
        hosts,
        new RegExp(`${hostNamed(plan, 'seed-b').address.replaceAll('.', '\\.')} seed-b\\.landscape\\.test seed-b`),
      );
    }
    assert.equal(hostNamed(plan, 'seed-b').extraAddresses.length, 2);
    assert.deepEqual(
      resolveHosts(plan, 'machines').map((h) => h.name),
      ['machine-0', 'machine-1'],
    );
  });

  it('hosts reach each other (also extra addresses) and nothing outside', async () => {
    const m0 = hostNamed(plan, 'machine-0').netns;
    const seedB = hostNamed(plan, 'seed-b');
    assert.equal(await connectFrom(m0, seedB.address, PORT), 'connected');
    assert.equal(await connectFrom(m0, seedB.extraAddresses[1]!, PORT), 'connected');
    assert.equal(await connectFrom(m0, '192.0.2.2', 22), 'ENETUNREACH');
    assert.equal(await connectFrom(m0, '1.1.1.1', 53), 'ENETUNREACH');
  });

  it('a cut with reject refuses at once; with drop times out; heal restores', async () => {
    const machines = resolveHosts(plan, 'machines');
    const seedB = hostNamed(plan, 'seed-b');
    const m0 = machines[0]!.netns;
    await cut(journal, machines, [seedB], { mode: 'reject' });
    const started = Date.now();
    assert.equal(await connectFrom(m0, seedB.extraAddresses[0]!, PORT), 'ECONNREFUSED');
    assert.ok(Date.now() - started < 1400);
    // Only that path: machine-0 still reaches machine-1.
    assert.equal(await connectFrom(m0, hostNamed(plan, 'machine-1').address, PORT), 'connected');
    assert.deepEqual((await listCuts(plan)).map((c) => `${c.from}>${c.to}:${c.mode}`).sort(), [
      'machine-0>seed-b:reject',
      'machine-1>seed-b:reject',
    ]);
    // Cutting again replaces the mode rather than adding rules.
    await cut(journal, machines, [seedB], { mode: 'drop' });
    assert.equal(await connectFrom(m0, seedB.address, PORT, 800), 'timeout');
    assert.equal((await listCuts(plan)).length, 2);
    await heal(plan, { a: machines, b: [seedB] });
    assert.equal(await connectFrom(m0, seedB.address, PORT), 'connected');
    assert.deepEqual(await listCuts(plan), []);
  });

  it('a cut in both directions, healed with --all', async () => {
    const [m0, m1] = resolveHosts(plan, 'machines');
    const seedB = hostNamed(plan, 'seed-b');
    await cut(journal, [seedB], [m1!], { mode: 'reject', both: true });
    assert.equal(await connectFrom(seedB.netns, m1!.address, PORT), 'ECONNREFUSED');
    assert.equal(await connectFrom(m1!.netns, seedB.address, PORT), 'ECONNREFUSED');
    assert.equal(await connectFrom(m0!.netns, m1!.address, PORT), 'connected');
    await heal(plan);
    assert.equal(await connectFrom(m1!.netns, seedB.address, PORT), 'connected');
  });

  it('ensureHosts again changes nothing; a deleted namespace is created again', async () => {
    assert.deepEqual(await ensureHosts(plan, journal), []);
    const m0 = hostNamed(plan, 'machine-0');
    const { runCommand } = await import('../../src/landscape/command.js');
    await runCommand(['ip', 'netns', 'delete', m0.netns]);
    assert.deepEqual(await ensureHosts(plan, journal), ['machine-0']);
    assert.equal(await connectFrom(m0.netns, hostNamed(plan, 'seed-b').address, PORT), 'connected');
  });

  it('undoing the journal removes every namespace, link and process it names', async () => {
    const inside = servers[0]!;
    await journal.undo({ graceMs: 1000 });
    const tag = plan.bridge.slice(0, 6);
    assert.deepEqual(
      (await namespaces()).filter((n) => n.startsWith(tag) && !before_.namespaces.includes(n)),
      [],
    );
    assert.deepEqual(
      (await links()).filter((n) => n.startsWith(tag) && !before_.links.includes(n)),
      [],
    );
    assert.ok(inside.exitCode !== null || inside.signalCode !== null || !inside.pid || !(await alive(inside.pid)));
    for (const host of plan.hosts) {
      await assert.rejects(readFile(join('/etc/netns', host.netns, 'hosts')), /ENOENT/);
    }
  });
});

async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
