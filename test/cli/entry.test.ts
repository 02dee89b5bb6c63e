/**
 * The executable's choice between the bundle and the compiled modules (src/cli/main.ts), and that
 * `make build`'s bundle is what runs: the modules a started process resolves are recorded by a
 * loader hook.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleIsCurrent, UNBUNDLED_ENV } from '../../src/cli/entry-choice.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const bundleDir = fileURLToPath(new URL('../../bundle/', import.meta.url));
const compiledProgram = fileURLToPath(new URL('../../src/cli/program.js', import.meta.url));

describe('bundleIsCurrent', () => {
  let dir: string;
  let bundled: URL;
  let compiled: URL;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entry-choice-'));
    bundled = pathToFileURL(join(dir, 'bundle.js'));
    compiled = pathToFileURL(join(dir, 'program.js'));
    await writeFile(compiled, '');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('runs the compiled modules when there is no bundle', () => {
    assert.equal(bundleIsCurrent(bundled, compiled, {}), false);
  });

  it('runs a bundle made after the compile, not one a later compile left behind', async () => {
    await writeFile(bundled, '');
    await utimes(compiled, 1_000, 1_000);
    await utimes(bundled, 2_000, 2_000);
    assert.equal(bundleIsCurrent(bundled, compiled, {}), true);
    await utimes(compiled, 3_000, 3_000);
    assert.equal(bundleIsCurrent(bundled, compiled, {}), false);
  });

  it(`runs the compiled modules with ${UNBUNDLED_ENV}=1`, async () => {
    await utimes(compiled, 1_000, 1_000);
    assert.equal(bundleIsCurrent(bundled, compiled, {}), true);
    assert.equal(bundleIsCurrent(bundled, compiled, { [UNBUNDLED_ENV]: '1' }), false);
  });
});

describe("the executable runs make build's bundle", () => {
  let dir: string;
  /** Runs `transplant ARGS` with every module URL it resolves written to a file; returns stdout and those URLs. */
  let run: (args: string[], env?: NodeJS.ProcessEnv) => Promise<{ stdout: string; resolved: string[] }>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entry-bundle-'));
    const log = join(dir, 'resolved.txt');
    const hooks = join(dir, 'hooks.mjs');
    await writeFile(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}`,
    );
    const register = join(dir, 'register.mjs');
    await writeFile(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});`,
    );
    run = async (args, env = {}) => {
      await writeFile(log, '');
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--import', register, main, ...args],
          { env: { ...process.env, ...env } },
          (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)),
        ),
      );
      return { stdout, resolved: (await readFile(log, 'utf8')).split('\n').filter(Boolean) };
    };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('loads the bundle, not the compiled modules, and prints the same help', async () => {
    assert.ok(
      bundleIsCurrent(pathToFileURL(join(bundleDir, 'program.js')), pathToFileURL(compiledProgram), {}),
      'dist/bundle is missing or older than the compile: run make build',
    );
    const bundled = await run(['migrate', '--help']);
    const fromBundle = bundled.resolved.filter((url) => url.startsWith(pathToFileURL(bundleDir).href));
    assert.ok(fromBundle.length > 0, `no module from dist/bundle: ${bundled.resolved.join(', ')}`);
    assert.ok(!bundled.resolved.includes(pathToFileURL(compiledProgram).href), 'the compiled program was loaded too');

    const compiled = await run(['migrate', '--help'], { [UNBUNDLED_ENV]: '1' });
    assert.ok(compiled.resolved.includes(pathToFileURL(compiledProgram).href));
    assert.ok(!compiled.resolved.some((url) => url.startsWith(pathToFileURL(bundleDir).href)));
    assert.equal(bundled.stdout, compiled.stdout);
    assert.match(bundled.stdout, /^Usage: transplant migrate/);
  });
});
