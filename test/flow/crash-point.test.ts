/**
 * The flow engine's crash points (src/flow/crash-point.ts): a child process runs a tiny flow
 * (a → b → c) with the hooks of `crashPointHooksFromEnv` and TRANSPLANT_CRASH_FILE set, and dies
 * by SIGKILL exactly at the step the file names, the file gone; any other content, or no
 * variable, lets the flow run to its end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CRASH_FILE_ENV, crashPoint } from '../../src/flow/index.js';

const flowModule = new URL('../../src/flow/index.js', import.meta.url).href;
const FLOW = 'Tiny flow';

/**
 * Builds a → b → c; each step writes `ran <step>`, the engine's log `<msg> <task>`, straight to
 * fd 1 (synchronously, so nothing written before the kill is lost).
 */
const tinyFlow = `
import { writeSync } from 'node:fs';
const { Graph, crashPointHooksFromEnv } = await import(process.argv[1]);
const say = (line) => writeSync(1, line + '\\n');
const g = new Graph(${JSON.stringify(FLOW)});
const step = (name) => async () => say('ran ' + name);
const a = g.add({ name: 'a', fn: step('a') });
const b = g.add({ name: 'b', fn: step('b'), dependencies: a });
g.add({ name: 'c', fn: step('c'), dependencies: b });
await g.compile().run({
  hooks: process.argv[2] === 'no-hooks' ? undefined : crashPointHooksFromEnv(),
  log: (msg, fields) => { if (fields.task) say(msg + ' ' + fields.task); },
});
say('flow done');
`;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
}

/** `hooks: false` runs the flow without crash point hooks, whatever the environment says. */
function runTinyFlow(env: NodeJS.ProcessEnv, hooks = true): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const args = ['--input-type=module', '-e', tinyFlow, flowModule, ...(hooks ? [] : ['no-hooks'])];
    const child = spawn(process.execPath, args, {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, lines: stdout.split('\n').filter(Boolean) }));
  });
}

const ranToTheEnd = [
  'Started a',
  'ran a',
  'Succeeded a',
  'Started b',
  'ran b',
  'Succeeded b',
  'Started c',
  'ran c',
  'Succeeded c',
  'flow done',
];

describe('crash points', () => {
  let dir: string;
  let crashFile: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-crash-point-'));
    crashFile = join(dir, 'crash');
    env = { ...process.env, [CRASH_FILE_ENV]: crashFile };
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('before:<flow>/<step> kills the process as the step is about to start, and removes the file', async () => {
    await writeFile(crashFile, crashPoint('before', FLOW, 'b'));
    const crashed = await runTinyFlow(env);
    assert.equal(crashed.signal, 'SIGKILL');
    assert.deepEqual(crashed.lines, ['Started a', 'ran a', 'Succeeded a']);
    assert.equal(existsSync(crashFile), false, 'the crash file is gone');

    const restarted = await runTinyFlow(env);
    assert.equal(restarted.code, 0, 'the restarted process finds no crash point and runs to the end');
    assert.deepEqual(restarted.lines, ranToTheEnd);
  });

  it('after:<step> kills it once the step did its work, before the engine recorded it as done', async () => {
    await writeFile(crashFile, 'after:b\n');
    const crashed = await runTinyFlow(env);
    assert.equal(crashed.signal, 'SIGKILL');
    assert.deepEqual(crashed.lines, ['Started a', 'ran a', 'Succeeded a', 'Started b', 'ran b']);
    assert.equal(existsSync(crashFile), false, 'the crash file is gone');
  });

  it('a crash point of another flow or step, or no TRANSPLANT_CRASH_FILE, changes nothing', async () => {
    for (const elsewhere of [crashPoint('before', 'Another flow', 'b'), 'after:d', 'b']) {
      await writeFile(crashFile, elsewhere);
      const outcome = await runTinyFlow(env);
      assert.equal(outcome.code, 0, elsewhere);
      assert.deepEqual(outcome.lines, ranToTheEnd, elsewhere);
      assert.equal(existsSync(crashFile), true, `${elsewhere}: the crash file stays`);
    }
    await writeFile(crashFile, crashPoint('before', FLOW, 'b'));
    const { [CRASH_FILE_ENV]: _, ...withoutCrashFile } = env;
    const outcome = await runTinyFlow(withoutCrashFile);
    assert.equal(outcome.code, 0);
    assert.deepEqual(outcome.lines, ranToTheEnd);
    assert.equal(existsSync(crashFile), true, 'the crash file is not read without the variable');
  });

  it('the flow engine reads no environment: without the hooks a crash point changes nothing', async () => {
    await writeFile(crashFile, crashPoint('before', FLOW, 'b'));
    const outcome = await runTinyFlow(env, false);
    assert.equal(outcome.code, 0);
    assert.deepEqual(outcome.lines, ranToTheEnd);
    assert.equal(existsSync(crashFile), true, 'the crash file is not read');
  });
});
