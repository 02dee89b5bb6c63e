/**
 * The `transplant` CLI for end-to-end tests: its exit code and output (never rejecting), and
 * scripts run on a landscape host through `transplant exec` (bash with pipefail, KUBECONFIG set
 * to the garden's), as an operator types the seed document's commands.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import { HostJournal } from '../../src/landscape/journal.js';
import { cli } from './landscape.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function transplant(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cli, ...args],
      { env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** `transplant up --hosts --detach` of a new landscape in `dir`, with `flags`; its landscape.json. */
export async function upHostsLandscape(dir: string, flags: readonly string[]): Promise<LandscapeFile> {
  const up = await transplant(['up', '--dir', dir, '--hosts', '--detach', ...flags]);
  assert.equal(up.code, 0, up.stderr);
  return JSON.parse(await readFile(join(dir, 'landscape.json'), 'utf8')) as LandscapeFile;
}

/** A bash script on host `host` (default: the operator's) of the landscape in `dir`. */
export function onHost(
  dir: string,
  script: string,
  options: { host?: string; input?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const host = options.host ? ['--host', options.host] : [];
  return transplant(['exec', '--dir', dir, ...host, '--', '/bin/bash', '-o', 'pipefail', '-c', script], options);
}

/**
 * Tears a multi-host landscape down whatever state a test left it in: `transplant down`, then —
 * should that fail (a CLI that cannot even load) — the hosts journal undone from this process, so
 * no namespace, link or process outlives the test. The directory goes only once the journal is
 * gone; otherwise it stays, with its journal, for `transplant down` by hand, and the test says so.
 */
export async function tearDownHostsLandscape(dir: string): Promise<void> {
  const down = await transplant(['down', '--dir', dir]);
  const journal = new HostJournal(dir);
  if (down.code !== 0) await journal.undo({ graceMs: 2000 }).catch(() => undefined);
  if ((await journal.entries()).length > 0) {
    process.stderr.write(`leaving ${dir}: its hosts journal is not undone (${down.stderr.trim()})\n`);
    return;
  }
  await rm(dir, { recursive: true, force: true });
}
