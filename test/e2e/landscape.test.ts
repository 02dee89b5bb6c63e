/**
 * `transplant up --detach` / `transplant down` with real processes: the garden and two seeds
 * come up Ready, a seed killed with -9 is restarted by the supervisor, a frozen seed turns
 * not-Ready in the garden within a minute, `up` on the running landscape converges (returns 0,
 * starts what is missing, starts nothing twice), and `down` leaves no process behind.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import { kubectl } from '../helpers/kubectl.js';
import { alive, until } from '../helpers/processes.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

describe('transplant up / down', () => {
  let dir: string;
  const landscape = async () => JSON.parse(await readFile(join(dir, 'landscape.json'), 'utf8')) as LandscapeFile;
  let frozen: number | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-landscape-'));
    const { stdout } = await run(process.execPath, [
      cli,
      'up',
      '--dir',
      dir,
      '--seeds',
      'seed-a,seed-b',
      '--detach',
      '--log-level',
      'warn',
    ]);
    assert.match(stdout, /seed seed-b: https:\/\/127\.0\.0\.1:\d+/);
  });

  after(async () => {
    if (frozen) process.kill(frozen, 'SIGCONT');
    const before = await landscape().catch(() => undefined);
    await run(process.execPath, [cli, 'down', '--dir', dir]).catch(() => undefined);
    if (before) {
      for (const pid of [before.supervisorPid, before.garden.pid, ...Object.values(before.seeds).map((s) => s.pid)]) {
        if (alive(pid)) process.kill(pid!, 'SIGKILL');
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the kubeconfigs and landscape.json; both seeds are Ready', async () => {
    const l = await landscape();
    assert.equal(l.ready, true);
    assert.ok(alive(l.supervisorPid) && alive(l.garden.pid));
    const seeds = await kubectl(join(dir, 'garden.kubeconfig'), ['get', 'seeds', '--no-headers']);
    assert.match(seeds.stdout, /seed-a\s+Ready/);
    assert.match(seeds.stdout, /seed-b\s+Ready/);
    const seedApi = await kubectl(join(dir, 'seeds', 'seed-a.kubeconfig'), ['get', 'namespaces', '-o', 'name']);
    assert.equal(seedApi.code, 0, seedApi.stderr);
    assert.match(seedApi.stdout, /namespace\/garden/);
  });

  it('a seed killed with -9 is restarted and serves again with the same kubeconfig', async () => {
    const killed = (await landscape()).seeds['seed-a']!.pid!;
    process.kill(killed, 'SIGKILL');
    await until(
      async () => {
        const pid = (await landscape()).seeds['seed-a']!.pid;
        return pid !== undefined && pid !== killed && alive(pid);
      },
      20_000,
      'the supervisor restarted seed-a',
    );
    await until(
      async () => (await kubectl(join(dir, 'seeds', 'seed-a.kubeconfig'), ['get', 'ns'])).code === 0,
      20_000,
      'seed-a serves',
    );
  });

  it('a frozen seed shows not Ready in `kubectl get seeds` within a minute', async () => {
    frozen = (await landscape()).seeds['seed-b']!.pid!;
    process.kill(frozen, 'SIGSTOP');
    const started = Date.now();
    await until(
      async () =>
        /seed-b\s+(Unknown|NotReady)/.test(
          (await kubectl(join(dir, 'garden.kubeconfig'), ['get', 'seeds', '--no-headers'])).stdout,
        ),
      60_000,
      'seed-b is reported not Ready',
    );
    assert.ok(Date.now() - started <= 60_000);
    process.kill(frozen, 'SIGCONT');
    frozen = undefined;
    await until(
      async () =>
        /seed-b\s+Ready/.test((await kubectl(join(dir, 'garden.kubeconfig'), ['get', 'seeds', '--no-headers'])).stdout),
      30_000,
      'seed-b is Ready again',
    );
  });

  it('up again converges: returns 0, keeps what runs, starts a seed that is not running', async () => {
    const l = await landscape();
    const killed = l.seeds['seed-b']!.pid!;
    process.kill(killed, 'SIGKILL');
    const { stdout } = await run(process.execPath, [cli, 'up', '--dir', dir, '--detach', '--log-level', 'warn']);
    assert.match(stdout, /seed seed-b: https:\/\/127\.0\.0\.1:\d+/);
    const after = await landscape();
    assert.equal(after.supervisorPid, l.supervisorPid);
    assert.equal(after.garden.pid, l.garden.pid);
    assert.equal(after.seeds['seed-a']!.pid, l.seeds['seed-a']!.pid);
    assert.notEqual(after.seeds['seed-b']!.pid, killed);
    assert.ok(alive(after.seeds['seed-b']!.pid));
    const seeds = await kubectl(join(dir, 'garden.kubeconfig'), ['get', 'seeds', '--no-headers']);
    assert.match(seeds.stdout, /seed-b\s+Ready/);
  });

  it('up on a landscape whose supervisor was killed -9 starts it again', async () => {
    const l = await landscape();
    process.kill(l.supervisorPid, 'SIGKILL');
    await until(async () => !alive(l.supervisorPid), 5000, 'the supervisor is gone');
    await run(process.execPath, [cli, 'up', '--dir', dir, '--detach', '--log-level', 'warn']);
    const after = await landscape();
    assert.notEqual(after.supervisorPid, l.supervisorPid);
    assert.ok(alive(after.supervisorPid));
    // The orphans of the dead supervisor were stopped, not left beside the new ones.
    assert.equal(alive(l.garden.pid), false);
    for (const seed of Object.values(l.seeds)) assert.equal(alive(seed.pid), false);
  });

  it('down stops every process', async () => {
    const l = await landscape();
    const pids = [l.supervisorPid, l.garden.pid, ...Object.values(l.seeds).map((s) => s.pid)];
    await run(process.execPath, [cli, 'down', '--dir', dir]);
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still runs`);
  });
});
