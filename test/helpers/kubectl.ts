/**
 * Runs the real kubectl (/usr/bin/kubectl) and shell pipelines (the seed document's commands)
 * against a test server.
 */
import { execFile, spawn } from 'node:child_process';
import type { Json } from './api-client.js';

export const kubectlPath = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl with the given kubeconfig; never throws on a non-zero exit. */
export function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<CommandResult> {
  return run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], input);
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
