/**
 * A local landscape under test (`transplant up --detach`): the garden and seeds as separate,
 * supervised processes in a fresh temp directory, on loopback or (`hosts`) each part on a host
 * of its own (`up --hosts`: network namespaces; `down` removes them). Tearing it down is `transplant down`, then
 * SIGKILL for anything of it still alive (the landscape's processes by the pids in
 * landscape.json, and every etcd whose command line names the directory), then removing the
 * directory. `cleanupSync` does the same synchronously, for signal and exit handlers.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import { storeHostOf } from '../../src/cli/landscape-hosts.js';
import { lookupAt } from '../../test/helpers/dns-lookup.js';
import { ApiClient } from './client.js';
import { type GardenConnection, readKubeconfig } from './garden-process.js';
import { isAlive, processesNaming } from './proc.js';

export type { LandscapeFile };

export interface LandscapeOptions {
  seeds: string[];
  /** `--log-level` of every process (debug: the seeds log every flow step with its duration). */
  logLevel?: string;
  /** How long `up` may take to report the landscape ready. */
  timeoutSeconds?: number;
  /** Leave the directory (logs, state) in place after stopping. */
  keepDir?: boolean;
  /** Prefix of the temp directory's name. */
  prefix?: string;
  /** `up --hosts --machines N`: every part on a host of its own, N machine hosts. */
  hosts?: { machines: number };
  /** Added to `up`'s environment, which the landscape's processes inherit. */
  env?: NodeJS.ProcessEnv;
}

/** dist/bench/lib/landscape.js → dist/src/cli/main.js */
const mainJs = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = promisify(execFile);

export class Landscape {
  readonly dir: string;
  readonly #keepDir: boolean;
  #down = false;

  private constructor(dir: string, keepDir: boolean) {
    this.dir = dir;
    this.#keepDir = keepDir;
  }

  /** Creates the directory at once (so a failing `up` can be cleaned up), then runs `up --detach`. */
  static create(options: LandscapeOptions): Landscape {
    const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'transplant-bench-'));
    return new Landscape(dir, options.keepDir ?? false);
  }

  /** `transplant up --detach`; resolves when the landscape reports itself ready. */
  async up(options: LandscapeOptions): Promise<void> {
    const timeoutSeconds = options.timeoutSeconds ?? 120;
    const args = [mainJs, 'up', '--dir', this.dir, '--seeds', options.seeds.join(','), '--detach'];
    args.push('--log-level', options.logLevel ?? 'warn', '--timeout', String(timeoutSeconds));
    if (options.hosts) args.push('--hosts', '--machines', String(options.hosts.machines));
    try {
      await run(process.execPath, args, {
        timeout: (timeoutSeconds + 30) * 1000,
        env: { ...process.env, ...options.env },
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`transplant up failed: ${e.stderr || e.message}`);
    }
  }

  /** DIR/landscape.json as it is now (pids change when the supervisor restarts a process). */
  file(): LandscapeFile {
    return JSON.parse(readFileSync(join(this.dir, 'landscape.json'), 'utf8')) as LandscapeFile;
  }

  async gardenConnection(): Promise<GardenConnection> {
    const connection = await readKubeconfig(join(this.dir, 'garden.kubeconfig'));
    if (!connection) throw new Error(`${this.dir}/garden.kubeconfig is incomplete`);
    return connection;
  }

  /** Writes an admin kubeconfig of the shoot (`shoots/adminkubeconfig`, valid a day) to `path`. */
  async adminKubeconfig(namespace: string, shoot: string, path: string): Promise<void> {
    const garden = new ApiClient(await this.gardenConnection());
    try {
      const created = await garden.json<{ status: { kubeconfig: string } }>(
        'POST',
        `/apis/core.gardener.cloud/v1beta1/namespaces/${namespace}/shoots/${shoot}/adminkubeconfig`,
        {
          body: {
            apiVersion: 'authentication.gardener.cloud/v1alpha1',
            kind: 'AdminKubeconfigRequest',
            spec: { expirationSeconds: 86_400 },
          },
        },
      );
      writeFileSync(path, Buffer.from(created.status.kubeconfig, 'base64'), { mode: 0o600 });
    } finally {
      garden.close();
    }
  }

  /** The seed's `--dir` (its store, `controlplanes/` with the shoots' etcds). */
  seedStateDir(seed: string): string {
    return join(this.dir, 'seeds', seed, 'state');
  }

  /**
   * How this machine's sockets find a shoot's API: undefined on loopback (its address is in the
   * kubeconfig); with hosts, its DNS name asked of the landscape's DNS server for every new
   * connection (the bridge's root end reaches every host, but only the hosts' resolv.conf names
   * that server).
   */
  shootLookup(onAnswer?: Parameters<typeof lookupAt>[1]): LookupFunction | undefined {
    const dns = this.file().hosts?.dns;
    return dns ? lookupAt({ host: dns.address, port: 53 }, onAnswer) : undefined;
  }

  /** Where the seed's backups are: its local bucket, or with hosts its store host's S3 data. */
  backupDir(seed: string): string {
    const file = this.file();
    return file.seeds[seed]?.backupRoot ?? join(this.dir, 'stores', storeHostOf(seed));
  }

  seedLog(seed: string): string {
    return join(this.dir, 'logs', `seed-${seed}.log`);
  }

  /** `transplant down`, then SIGKILL for leftovers, then the directory is removed (unless kept). */
  async down(): Promise<string[]> {
    if (this.#down) return [];
    const notes: string[] = [];
    const pids = this.#pids();
    try {
      await run(process.execPath, [mainJs, 'down', '--dir', this.dir], { timeout: 120_000 });
    } catch (err) {
      notes.push(`transplant down failed: ${(err as Error).message.split('\n')[0]}`);
    }
    notes.push(...this.#killLeftovers(pids));
    this.#finish();
    return notes;
  }

  /** For signal and exit handlers: the same as `down`, synchronously. */
  cleanupSync(): void {
    if (this.#down) return;
    const pids = this.#pids();
    spawnSync(process.execPath, [mainJs, 'down', '--dir', this.dir], { stdio: 'ignore', timeout: 60_000 });
    this.#killLeftovers(pids);
    this.#finish();
  }

  /** The landscape's own processes (supervisor, garden, seeds) from landscape.json. */
  #pids(): number[] {
    try {
      const file = this.file();
      return [file.supervisorPid, file.garden.pid, ...Object.values(file.seeds).map((s) => s.pid)].filter(
        (pid): pid is number => typeof pid === 'number',
      );
    } catch {
      return [];
    }
  }

  #killLeftovers(pids: number[]): string[] {
    const notes: string[] = [];
    for (const pid of pids) {
      if (!isAlive(pid) || !commandLineNames(pid, this.dir)) continue;
      notes.push(`killed landscape process ${pid}, still alive after down`);
      process.kill(pid, 'SIGKILL');
    }
    for (const pid of processesNaming('etcd', this.dir)) {
      notes.push(`killed etcd ${pid}, still alive after down`);
      process.kill(pid, 'SIGKILL');
    }
    // The shoots' machines (node agents) outlive their seeds; `down` stops them unless it failed.
    for (const pid of processesNaming('node', this.dir)) {
      notes.push(`killed node process ${pid}, still alive after down`);
      process.kill(pid, 'SIGKILL');
    }
    return notes;
  }

  #finish(): void {
    this.#down = true;
    if (!this.#keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether `pid`'s command line mentions `dir` (guards against a reused pid). */
function commandLineNames(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

/**
 * Tears down the landscape `current()` names when the benchmark is interrupted (SIGINT, SIGTERM:
 * exit code 130) or exits while one is up, so no landscape outlives its benchmark.
 */
export function tearDownOnExit(current: () => Landscape | undefined, log: (line: string) => void): void {
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: tearing down ${current()?.dir ?? 'nothing'}`);
    current()?.cleanupSync();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => current()?.cleanupSync());
}
