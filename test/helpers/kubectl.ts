/**
 * Runs the real kubectl (/usr/bin/kubectl) and shell pipelines (the seed document's commands)
 * against a test server.
 *
 * The kubectl on this machine's PATH is a dispatcher: each call asks the server's /version and
 * then runs the kubectl of that minor (`kubectl.1.NN` beside it). That is two kubectl start-ups and
 * one more TLS handshake per call, half of what the suite's 1,600 kubectl calls cost. `kubectl()`
 * asks the dispatcher once per kubeconfig (`kubectl version`) and then runs the binary it would
 * have chosen; where there is none (another machine, a server that did not answer) it runs the
 * dispatcher. The seed document's scripts (`bash`) keep calling kubectl from the PATH, verbatim.
 */
import { execFile, spawn } from 'node:child_process';
import { constants, realpathSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Json } from './api-client.js';

export const kubectlPath = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl with the given kubeconfig; never throws on a non-zero exit. */
export async function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<CommandResult> {
  return run(await kubectlFor(kubeconfig), ['--kubeconfig', kubeconfig, ...args], input);
}

/** Per kubeconfig content (a path may be rewritten for another server): the versioned kubectl. */
const versionedKubectls = new Map<string, Promise<string | undefined>>();

async function kubectlFor(kubeconfig: string): Promise<string> {
  if (process.env.KUBECTL) return kubectlPath;
  const content = await readFile(kubeconfig, 'utf8').catch(() => undefined);
  if (content === undefined) return kubectlPath;
  let found = versionedKubectls.get(content);
  if (!found) {
    found = versionedKubectl(kubeconfig);
    versionedKubectls.set(content, found);
  }
  const path = await found;
  // Asked again next time: the server may answer then.
  if (!path) versionedKubectls.delete(content);
  return path ?? kubectlPath;
}

/** The `kubectl.1.<server minor>` beside the dispatcher, if the server answers and there is one. */
async function versionedKubectl(kubeconfig: string): Promise<string | undefined> {
  const version = await run(kubectlPath, [
    '--kubeconfig',
    kubeconfig,
    'version',
    '-o',
    'json',
    '--request-timeout=10s',
  ]);
  if (version.code !== 0) return undefined;
  let minor: string | undefined;
  try {
    minor = JSON.parse(version.stdout).serverVersion?.minor?.replace(/\D+$/, '');
  } catch {
    return undefined;
  }
  if (!minor) return undefined;
  const candidate = join(dirname(realpathSync(kubectlPath)), `kubectl.1.${minor}`);
  return access(candidate, constants.X_OK).then(
    () => candidate,
    () => undefined,
  );
}

/** A bash script, with extra environment (e.g. KUBECONFIG, NAMESPACE). */
/** `kubectl … -o json`, parsed; throws with kubectl's stderr when it fails. */
export async function getJson(kubeconfig: string, args: readonly string[]): Promise<Json> {
  const res = await kubectl(kubeconfig, [...args, '-o', 'json']);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

export function bash(script: string, env: Record<string, string> = {}): Promise<CommandResult> {
  return run('/bin/bash', ['-o', 'pipefail', '-c', script], undefined, env);
}

function run(
  file: string,
  args: readonly string[],
  input?: string,
  env: Record<string, string> = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** Starts a long-running kubectl (e.g. `get -w`) and collects its output until stopped. */
export function kubectlStream(kubeconfig: string, args: readonly string[]) {
  const child = spawn(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return {
    output: () => stdout,
    errors: () => stderr,
    /** Resolves once stdout matches, or rejects after the timeout. */
    async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stdout)) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop(): void {
      child.kill('SIGTERM');
    },
  };
}
