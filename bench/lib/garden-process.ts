/**
 * The garden under test as a separate process (`transplant garden`), in a fresh state directory
 * that is removed afterwards. Stopping is SIGTERM (the garden closes its store and exits, which
 * also writes a CPU profile when one was asked for), then SIGKILL after a grace period.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export interface GardenConnection {
  server: string;
  caPem: string;
  token: string;
}

export interface GardenProcessOptions {
  /** Extra node flags for the garden (e.g. `--cpu-prof`, which NODE_OPTIONS may not carry). */
  nodeArgs?: string[];
  logLevel?: string;
  /** Leave the state directory in place after stopping. */
  keepDir?: boolean;
  startTimeoutMs?: number;
  /** More `transplant garden` flags (e.g. `--store etcd …`). */
  gardenArgs?: string[];
}

/** dist/bench/lib/garden-process.js → dist/src/cli/main.js */
const mainJs = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export class GardenProcess {
  readonly dir: string;
  readonly #child: ChildProcess;
  readonly #keepDir: boolean;
  #stderr = '';
  #exited: Promise<number | null>;
  #exitCode: number | null | undefined;
  #cleaned = false;

  private constructor(dir: string, child: ChildProcess, keepDir: boolean) {
    this.dir = dir;
    this.#child = child;
    this.#keepDir = keepDir;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-20_000);
    });
    child.stdout?.resume();
    this.#exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.#exitCode = code ?? (signal ? -1 : null);
        resolve(code);
      });
    });
  }

  static start(options: GardenProcessOptions = {}): GardenProcess {
    const dir = mkdtempSync(join(tmpdir(), 'transplant-bench-'));
    const args = [
      ...(options.nodeArgs ?? []),
      mainJs,
      'garden',
      '--dir',
      dir,
      '--log-level',
      options.logLevel ?? 'warn',
      ...(options.gardenArgs ?? []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new GardenProcess(dir, child, options.keepDir ?? false);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Waits for DIR/garden.kubeconfig and /readyz, and returns how to reach the server. */
  async ready(timeoutMs = 60_000): Promise<GardenConnection> {
    const deadline = Date.now() + timeoutMs;
    const path = join(this.dir, 'garden.kubeconfig');
    for (;;) {
      if (this.#exitCode !== undefined) {
        throw new Error(`the garden exited (code ${this.#exitCode}) before it was ready:\n${this.#stderr}`);
      }
      const connection = await readKubeconfig(path).catch(() => undefined);
      if (connection && (await isReady(connection))) return connection;
      if (Date.now() > deadline) throw new Error(`the garden was not ready after ${timeoutMs} ms:\n${this.#stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM, SIGKILL after `graceMs`; then removes the directory (unless kept). Safe to call twice. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.#exitCode === undefined) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    this.cleanupSync();
  }

  /** For signal and exit handlers: kills at once and removes the directory, synchronously. */
  cleanupSync(): void {
    if (this.#exitCode === undefined) this.#child.kill('SIGKILL');
    if (this.#cleaned) return;
    this.#cleaned = true;
    if (!this.#keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What a kubeconfig's current context says about reaching and authenticating to its server. */
export interface KubeconfigCredentials {
  server: string;
  caPem?: string;
  token?: string;
  certPem?: string;
  keyPem?: string;
}

/** The current context's server, CA and user (token or client certificate) of a kubeconfig's text. */
export function parseKubeconfig(text: string): KubeconfigCredentials | undefined {
  const config = parseYaml(text) as {
    'current-context'?: string;
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    clusters?: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[];
    users?: {
      name: string;
      user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string };
    }[];
  } | null;
  if (!config) return undefined;
  const context = config.contexts?.find((c) => c.name === config['current-context']) ?? config.contexts?.[0];
  const cluster = config.clusters?.find((c) => c.name === context?.context.cluster) ?? config.clusters?.[0];
  const user = config.users?.find((u) => u.name === context?.context.user) ?? config.users?.[0];
  const server = cluster?.cluster.server;
  if (!server) return undefined;
  const decode = (data: string | undefined) => (data ? Buffer.from(data, 'base64').toString('utf8') : undefined);
  return {
    server,
    caPem: decode(cluster?.cluster['certificate-authority-data']),
    token: user?.user.token,
    certPem: decode(user?.user['client-certificate-data']),
    keyPem: decode(user?.user['client-key-data']),
  };
}

/** The server, CA and bearer token of the kubeconfig at `path`; undefined while it is incomplete. */
export async function readKubeconfig(path: string): Promise<GardenConnection | undefined> {
  const parsed = parseKubeconfig(await readFile(path, 'utf8'));
  if (!parsed?.caPem || !parsed.token) return undefined;
  return { server: parsed.server, caPem: parsed.caPem, token: parsed.token };
}

async function isReady(connection: GardenConnection): Promise<boolean> {
  const url = new URL('/readyz', connection.server);
  return new Promise((resolve) => {
    const req = request(url, { ca: connection.caPem, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
