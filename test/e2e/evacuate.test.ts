/**
 * `transplant evacuate seed-a` on a landscape of two seeds: shoots without machines on seed-a,
 * and `stuck`, whose one machine's egress deny list names seed-b. The first run is stopped with
 * Ctrl-C once a few moves are under way (at most `--max-parallel` at a time, never more); the
 * second run follows the moves already bound instead of binding again, moves the rest, leaves
 * `stuck` on seed-a (its preflight names the machine) and ends with a summary and exit code 1.
 * Every other shoot then runs on seed-b, Restore Succeeded.
 *
 * `make test` moves 3 shoots, at most 2 at a time; `make test-matrix` the 10, at most 3
 * (and leaves `stuck`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Json } from '../helpers/api-client.js';
import { getJson, kubectl } from '../helpers/kubectl.js';
import { cli, exampleShootManifest, examplesDir, startLandscape, type TestLandscape } from '../helpers/landscape.js';
import { eventually } from '../helpers/processes.js';
import { fullTestMatrix } from '../helpers/test-matrix.js';

const NAMESPACE = 'garden-dev';
/** The shoots that move; `stuck` is one more. */
const MOVABLE = fullTestMatrix() ? 10 : 3;
const MAX_PARALLEL = fullTestMatrix() ? 3 : 2;
const STUCK = 'stuck';

/** The example shoot named `name` with `machines` machines. */
async function shootManifest(name: string, machines: number): Promise<string> {
  const doc = JSON.parse(await exampleShootManifest(machines));
  doc.metadata.name = name;
  return JSON.stringify(doc);
}

interface Run {
  code: number | null;
  events: Json[];
  stderr: string;
}

/** `transplant evacuate seed-a --json`; `interruptWhen` sees every event and may ask for a Ctrl-C. */
function evacuate(l: TestLandscape, interruptWhen?: (events: Json[]) => boolean): Promise<Run> {
  const child = spawn(
    process.execPath,
    [cli, 'evacuate', 'seed-a', '--max-parallel', String(MAX_PARALLEL), '--json', '--kubeconfig', l.garden],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const events: Json[] = [];
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) events.push(JSON.parse(line));
    if (!interrupted && interruptWhen?.(events)) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, events, stderr })));
}

/** The most moves between a binding and its end at any moment of a run (from its events). */
function mostAtOnce(events: Json[]): number {
  let running = 0;
  let most = 0;
  for (const e of events) {
    if (e.event === 'bound' || e.event === 'resume') running++;
    if (e.event === 'done') running--;
    most = Math.max(most, running);
  }
  return most;
}

describe('transplant evacuate', { timeout: 900_000 }, () => {
  let l: TestLandscape;
  const names = Array.from({ length: MOVABLE + 1 }, (_, i) => (i === 0 ? STUCK : `s${i}`));
  /** The shoots the interrupted run bound. */
  let boundFirst: string[] = [];

  before(async () => {
    l = await startLandscape({ seeds: ['seed-a', 'seed-b'] });
    const project = await kubectl(l.garden, ['apply', '-f', join(examplesDir, '10-project.yaml')]);
    assert.equal(project.code, 0, project.stderr);
    // Every shoot on seed-a: seed-b appears only once they all run.
    for (const name of names) {
      const manifest = JSON.parse(await shootManifest(name, name === STUCK ? 1 : 0));
      manifest.spec.seedName = 'seed-a';
      const created = await kubectl(l.garden, ['create', '-f', '-'], JSON.stringify(manifest));
      assert.equal(created.code, 0, created.stderr);
    }
    for (const name of names) await l.waitForOperation(NAMESPACE, name, 'Create', 240_000);
    const machine = `shoot--dev--${STUCK}-local-0`;
    await writeFile(join(l.dir, 'infrastructure', `shoot--dev--${STUCK}`, machine, 'egress-deny'), 'seed-b\n');
  });
  after(async () => {
    await l?.stop();
  });

  it('stopped once moves are under way, never more than --max-parallel at a time', async () => {
    // Every lane busy with a bound move: the second run finds them still moving.
    const first = await evacuate(l, (events) => events.filter((e) => e.event === 'bound').length >= MAX_PARALLEL);
    boundFirst = first.events.filter((e) => e.event === 'bound').map((e) => String(e.shoot));
    assert.equal(first.code, 130, first.stderr);
    assert.ok(mostAtOnce(first.events) <= MAX_PARALLEL, `at most ${MAX_PARALLEL} at a time`);
    const summary = first.events.find((e) => e.event === 'summary');
    assert.ok(summary, 'an interrupted run still ends with its summary');
  });

  it('run again, it follows the moves bound before, moves the rest, and reports the shoot it left', async (t) => {
    const second = await evacuate(l);
    for (const e of second.events.filter((e) => e.event === 'result'))
      t.diagnostic(`${e.result} ${e.shoot}: ${e.message}`);
    assert.equal(second.code, 1, 'a shoot left behind makes the exit code 1');
    assert.ok(mostAtOnce(second.events) <= MAX_PARALLEL);
    const results = Object.fromEntries(
      second.events.filter((e) => e.event === 'result').map((e) => [String(e.shoot).split('/')[1], e]),
    );
    assert.equal(results[STUCK]?.result, 'skipped');
    assert.match(
      results[STUCK]?.message ?? '',
      new RegExp(`MachinesReachTargetSeed: node shoot--dev--${STUCK}-local-0 cannot reach seed "seed-b"`),
    );
    // No shoot bound twice: a move the first run bound is followed, not bound again.
    const bound = second.events.filter((e) => e.event === 'bound').map((e) => String(e.shoot));
    assert.deepEqual(
      bound.filter((shoot) => boundFirst.includes(shoot)),
      [],
      'the second run binds none of the first run',
    );
    const resumed = second.events.filter((e) => e.event === 'resume').map((e) => String(e.shoot));
    assert.ok(resumed.length >= 1, `the second run follows moves the first bound (${boundFirst.join(', ')})`);
    assert.ok(resumed.every((shoot) => boundFirst.includes(shoot)));
    for (const name of names.filter((n) => n !== STUCK)) {
      const shoot = await eventually(
        async () => {
          const s = await getJson(l.garden, ['get', 'shoot', '-n', NAMESPACE, name]);
          const op = s.status?.lastOperation;
          return s.status?.seedName === 'seed-b' && op?.type === 'Restore' && op.state === 'Succeeded' ? s : undefined;
        },
        30_000,
        `${name} runs on seed-b`,
      );
      assert.equal(shoot.spec.seedName, 'seed-b');
    }
    const stuck = await getJson(l.garden, ['get', 'shoot', '-n', NAMESPACE, STUCK]);
    assert.deepEqual(
      [stuck.spec.seedName, stuck.status.seedName],
      ['seed-a', 'seed-a'],
      'the stuck shoot was not touched',
    );
  });
});
