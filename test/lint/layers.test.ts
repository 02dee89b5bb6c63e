/**
 * The layer check `make lint` runs (.dependency-cruiser.cjs): it passes on this repository and
 * fails, naming the rule and the import, on a tree where a lower layer imports a higher one. The
 * bad trees are tiny fixtures in a temporary directory checked with the repository's own rules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const config = join(root, '.dependency-cruiser.cjs');
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** Runs the layer check on `src` under `cwd`, as `make lint` does. */
function checkLayers(cwd: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [depcruise, '--config', config, '--output-type', 'err-long', 'src'], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const fixtures: string[] = [];

/** A temporary tree with these files (paths relative to it, contents as given). */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'layers-'));
  fixtures.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const apiserverModule = { 'src/apiserver/y.ts': 'export interface Y {\n  name: string;\n}\nexport const y = 1;\n' };

describe('layers (make lint)', () => {
  after(async () => {
    await Promise.all(fixtures.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('pass on this repository', () => {
    const { status, output } = checkLayers(root);
    assert.equal(status, 0, output);
    assert.match(output, /no dependency violations found/);
  });

  it('fail when src/storage imports src/apiserver, naming the rule and the import', async () => {
    const dir = await tree({
      ...apiserverModule,
      'src/storage/x.ts': "import { y } from '../apiserver/y.js';\n\nexport const x = y;\n",
    });
    const { status, output } = checkLayers(dir);
    assert.notEqual(status, 0, output);
    assert.match(output, /error storage-imports-only-api: src\/storage\/x\.ts → src\/apiserver\/y\.ts/);
  });

  it('fail when src/api imports src/apiserver, even for a type only', async () => {
    const dir = await tree({
      ...apiserverModule,
      'src/api/x.ts': "import type { Y } from '../apiserver/y.js';\n\nexport type X = Y;\n",
    });
    const { status, output } = checkLayers(dir);
    assert.notEqual(status, 0, output);
    assert.match(output, /error api-imports-nothing-outside-api: src\/api\/x\.ts → src\/apiserver\/y\.ts/);
  });
});
