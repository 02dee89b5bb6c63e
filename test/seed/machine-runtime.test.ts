/**
 * MachineRuntime: a machine is a detached process found again by its directory, so a second
 * runtime (another seed process) adopts it instead of starting another; stopping ends it.
 * The machine here is a plain Node process that only waits (the node agent has its own tests).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { isProcessAlive } from '../../src/process/processes.js';
import { MachineRuntime, stopMachinesUnder } from '../../src/seed/runtime/machine-runtime.js';

const waitingMachine = { executable: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)', '--'] };
const logger = pino({ level: 'silent' });

describe('MachineRuntime', () => {
  const dirs: string[] = [];
  const runtime = new MachineRuntime(waitingMachine, logger);

  const roots: string[] = [];

  after(async () => {
    for (const dir of dirs) await runtime.stop(dir, { removeDir: true, graceMs: 1_000 });
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  async function tempRoot(): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'transplant-machine-'));
    roots.push(root);
    return root;
  }

  async function machineDir(): Promise<string> {
    const dir = join(await tempRoot(), 'm1');
    dirs.push(dir);
    return dir;
  }

  it('starts a machine once; another runtime adopts the running one', async () => {
    const dir = await machineDir();
    const first = await runtime.ensure({ dir, args: [] });
    assert.equal(first.started, true);
    assert.ok(isProcessAlive(first.pid));
    assert.equal(await readFile(join(dir, 'machine.pid'), 'utf8'), `${first.pid}\n`);

    const again = await runtime.ensure({ dir, args: [] });
    assert.deepEqual(again, { pid: first.pid, started: false }, 'the same runtime does not start a second one');
    const otherSeed = new MachineRuntime(waitingMachine, logger);
    assert.deepEqual(await otherSeed.ensure({ dir, args: [] }), { pid: first.pid, started: false });
    assert.equal(await otherSeed.running(dir), first.pid);
  });

  it('tells machines apart by directory, and stop ends only the one named', async () => {
    const a = await machineDir();
    const b = await machineDir();
    const [ma, mb] = [await runtime.ensure({ dir: a, args: [] }), await runtime.ensure({ dir: b, args: [] })];
    assert.notEqual(ma.pid, mb.pid);
    await runtime.stop(a, { graceMs: 1_000 });
    assert.equal(isProcessAlive(ma.pid), false);
    assert.equal(await runtime.running(a), undefined);
    assert.ok(isProcessAlive(mb.pid), 'the other machine runs on');
    assert.ok(existsSync(a), 'the directory stays unless asked');
    await runtime.stop(b, { removeDir: true, graceMs: 1_000 });
    assert.equal(existsSync(b), false);
  });

  it('stopMachinesUnder stops the machines below a directory, and only those', async () => {
    const root = await tempRoot();
    const inside = [join(root, 'ns', 'm1'), join(root, 'ns', 'm2')];
    dirs.push(...inside);
    const outside = await machineDir();
    const started = await Promise.all([...inside, outside].map((dir) => runtime.ensure({ dir, args: [] })));
    const stopped = await stopMachinesUnder(root, 1_000);
    assert.deepEqual([...stopped].sort(), [started[0]!.pid, started[1]!.pid].sort());
    assert.ok(isProcessAlive(started[2]!.pid), 'a machine elsewhere runs on');
  });

  it('starts a stopped machine again in the same directory', async () => {
    const dir = await machineDir();
    const first = await runtime.ensure({ dir, args: [] });
    await runtime.stop(dir, { graceMs: 1_000 });
    const second = await runtime.ensure({ dir, args: [] });
    assert.equal(second.started, true);
    assert.notEqual(second.pid, first.pid);
  });
});
