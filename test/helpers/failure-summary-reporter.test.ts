/**
 * The failure summary reporter under a real `node --test` run of two small files, one failing:
 * the summary names the failing tests with file, line, full title and reason, and nothing else;
 * a run with no failure prints no summary.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPORTER = fileURLToPath(new URL('./failure-summary-reporter.js', import.meta.url));

const FAILING = `import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
describe('outer', () => {
  describe('inner', () => {
    it('passes', () => {});
    it('compares', () => { assert.equal(1, 2, 'one is not two'); });
  });
  it('throws', () => { throw new Error('boom'); });
});
`;
const PASSING = `import { it } from 'node:test';
it('passes too', () => {});
`;

/** `node --test` with the reporter on stderr, as the Makefile runs it; stderr and the exit code. */
async function nodeTest(cwd: string, files: string[]): Promise<{ stderr: string; code: number }> {
  const args = ['--test', '--test-reporter=tap', '--test-reporter-destination=stdout'];
  args.push(`--test-reporter=${REPORTER}`, '--test-reporter-destination=stderr', ...files);
  try {
    // A node:test child reports to its parent runner instead when it sees this variable.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const { stderr } = await run(process.execPath, args, { cwd, env });
    return { stderr, code: 0 };
  } catch (error) {
    const failed = error as { stderr: string; code: number };
    return { stderr: failed.stderr, code: failed.code };
  }
}

describe('failure summary reporter', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'failure-summary-'));
    await writeFile(join(dir, 'failing.test.mjs'), FAILING);
    await writeFile(join(dir, 'passing.test.mjs'), PASSING);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('names each failed test with its file, line, suites and reason, and only those', async () => {
    const { stderr, code } = await nodeTest(dir, ['failing.test.mjs', 'passing.test.mjs']);
    assert.equal(code, 1);
    assert.match(stderr, /# 2 failed tests:/);
    assert.match(
      stderr,
      /# ✖ failing\.test\.mjs:6\n# {3}outer › inner › compares\n# {5}AssertionError: one is not two/,
    );
    assert.match(stderr, /# ✖ failing\.test\.mjs:8\n# {3}outer › throws\n# {5}Error: boom/);
    // The suites that failed because a test in them did are not failures of their own.
    assert.doesNotMatch(stderr, /# {3}outer\n/);
    assert.doesNotMatch(stderr, /passes/);
  });

  it('prints nothing when every test passes', async () => {
    const { stderr, code } = await nodeTest(dir, ['passing.test.mjs']);
    assert.equal(code, 0);
    assert.equal(stderr, '');
  });
});
