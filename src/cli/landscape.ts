/**
 * `transplant up` / `transplant down`: a local landscape — the garden and one process per seed,
 * supervised — described in DIR/landscape.json for tools and tests.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { s3CredentialsFromEnv } from '../backup/snapstore/credentials.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { RestClient } from '../client/rest-client.js';
import { issueSeedKubeconfig } from '../garden/seed-credentials.js';
import { Supervisor } from '../process/supervisor.js';
import { stopAllEtcds } from '../seed/druid/etcd-processes.js';
import { stopMachinesUnder } from '../seed/runtime/machine-runtime.js';
import { controlPlaneDir } from '../seed/seed.js';
import { runUntilSignal } from './run-until-signal.js';

export interface UpOptions {
  dir: string;
  seeds: string[];
  backup: string;
  /** For `backup: 's3'`: the S3-compatible endpoint. */
  backupEndpoint?: string;
  detach: boolean;
  logLevel: string;
  timeoutSeconds: number;
  /** Passed on to every seed (`--wait-timeout`, `--node-monitor-grace-period`, in seconds). */
  seedTimings?: { waitTimeout: number; nodeMonitorGracePeriod: number };
  /** Each seed's `--shoot-addresses`, by seed name. */
  shootAddresses?: Record<string, string>;
}

export interface LandscapeFile {
  ready: boolean;
  supervisorPid: number;
  garden: { url?: string; pid?: number; kubeconfig: string; memberKubeconfig: string; dir: string };
  /** `backupRoot` is where a local-provider seed keeps its bucket; absent with s3. */
  seeds: Record<string, { url?: string; pid?: number; kubeconfig: string; dir: string; backupRoot?: string }>;
}

export function landscapePath(dir: string): string {
  return join(dir, 'landscape.json');
}

export async function readLandscape(dir: string): Promise<LandscapeFile | undefined> {
  try {
    return JSON.parse(await readFile(landscapePath(dir), 'utf8')) as LandscapeFile;
  } catch {
    return undefined;
  }
}

export async function runUp(options: UpOptions): Promise<void> {
  const dir = resolve(options.dir);
  if (options.backup !== 'local' && options.backup !== 's3') {
    throw new Error(`--backup ${options.backup} is not supported: use "local" or "s3"`);
  }
  if (options.backup === 's3') {
    // Fail here, not in every seed: the seeds read the same credentials from the environment.
    await s3CredentialsFromEnv(process.env);
  }
  const existing = await readLandscape(dir);
  if (existing && isAlive(existing.supervisorPid)) {
    throw new Error(
      `a landscape already runs in ${dir} (pid ${existing.supervisorPid}); run "transplant down --dir ${dir}" first`,
    );
  }
  await mkdir(join(dir, 'logs'), { recursive: true, mode: 0o700 });
  if (options.detach) return detach(dir, options);
  return supervise(dir, options);
}

/** Starts the supervisor in the background and returns once the landscape is ready. */
async function detach(dir: string, options: UpOptions): Promise<void> {
  await rm(landscapePath(dir), { force: true });
  const log = openSync(join(dir, 'logs', 'up.log'), 'a');
  const args = [process.argv[1]!, 'up', '--dir', dir, '--seeds', options.seeds.join(','), '--backup', options.backup];
  if (options.backupEndpoint) args.push('--backup-endpoint', options.backupEndpoint);
  if (options.seedTimings) {
    const { waitTimeout, nodeMonitorGracePeriod } = options.seedTimings;
    args.push('--wait-timeout', String(waitTimeout), '--node-monitor-grace-period', String(nodeMonitorGracePeriod));
  }
  for (const [seed, addresses] of Object.entries(options.shootAddresses ?? {})) {
    args.push('--shoot-addresses', `${seed}=${addresses}`);
  }
  args.push('--log-level', options.logLevel, '--timeout', String(options.timeoutSeconds));
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  for (;;) {
    const landscape = await readLandscape(dir);
    if (landscape?.ready) {
      printLandscape(landscape);
      return;
    }
    if (!isAlive(child.pid!)) {
      const upLog = join(dir, 'logs', 'up.log');
      throw new Error(`the landscape failed to start; see ${upLog}${await logTail(upLog)}`);
    }
    if (Date.now() > deadline)
      throw new Error(`the landscape was not ready after ${options.timeoutSeconds} s; see ${join(dir, 'logs')}`);
    await sleep(200);
  }
}

/** The last lines of a log, to put in an error message (the directory may be gone when it is read). */
async function logTail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
  return tail ? `\n--- ${file} (last lines) ---\n${tail}` : '';
}

async function supervise(dir: string, options: UpOptions): Promise<void> {
  const logger = pino({ level: options.logLevel }, pino.destination(2));
  const landscape: LandscapeFile = {
    ready: false,
    supervisorPid: process.pid,
    garden: {
      kubeconfig: join(dir, 'garden.kubeconfig'),
      memberKubeconfig: join(dir, 'project-member.kubeconfig'),
      dir: join(dir, 'garden'),
    },
    seeds: {},
  };
  const save = () => writeFile(landscapePath(dir), `${JSON.stringify(landscape, null, 2)}\n`, { mode: 0o600 });
  const supervisor = new Supervisor(logger, () => {
    landscape.garden.pid = supervisor.pid('garden');
    for (const [name, seed] of Object.entries(landscape.seeds)) seed.pid = supervisor.pid(name);
    void save();
  });
  runUntilSignal(logger, 'landscape', async () => {
    await supervisor.stop();
    landscape.ready = false;
    await save();
  });
  const deadline = Date.now() + options.timeoutSeconds * 1000;

  supervisor.start({
    name: 'garden',
    args: ['garden', '--dir', landscape.garden.dir, '--log-level', options.logLevel],
    logFile: join(dir, 'logs', 'garden.log'),
  });
  const gardenKubeconfig = join(landscape.garden.dir, 'garden.kubeconfig');
  landscape.garden.url = await waitUntilServing(gardenKubeconfig, deadline, 'the garden');
  await copyFile(gardenKubeconfig, landscape.garden.kubeconfig);
  await copyFile(join(landscape.garden.dir, 'project-member.kubeconfig'), landscape.garden.memberKubeconfig);

  await mkdir(join(dir, 'seeds'), { recursive: true, mode: 0o700 });
  for (const name of options.seeds) {
    const seedDir = join(dir, 'seeds', name);
    await mkdir(seedDir, { recursive: true, mode: 0o700 });
    await issueSeedKubeconfig(landscape.garden.dir, name, join(seedDir, 'garden.kubeconfig'));
    landscape.seeds[name] = { kubeconfig: join(dir, 'seeds', `${name}.kubeconfig`), dir: seedDir };
    let backupArgs: string[];
    if (options.backup === 'local') {
      const backupRoot = join(dir, 'backups', name);
      await mkdir(backupRoot, { recursive: true, mode: 0o700 });
      landscape.seeds[name].backupRoot = backupRoot;
      backupArgs = ['--backup-provider', 'local', '--backup-root', backupRoot];
    } else {
      backupArgs = [
        '--backup-provider',
        's3',
        ...(options.backupEndpoint ? ['--backup-endpoint', options.backupEndpoint] : []),
      ];
    }
    supervisor.start({
      name,
      args: [
        'seed',
        '--name',
        name,
        '--garden-kubeconfig',
        join(seedDir, 'garden.kubeconfig'),
        '--dir',
        join(seedDir, 'state'),
        ...backupArgs,
        // One "cloud" for all seeds of the landscape: machines are found wherever a shoot moves.
        '--infrastructure-dir',
        join(dir, 'infrastructure'),
        ...(options.seedTimings
          ? [
              '--wait-timeout',
              String(options.seedTimings.waitTimeout),
              '--node-monitor-grace-period',
              String(options.seedTimings.nodeMonitorGracePeriod),
            ]
          : []),
        ...(options.shootAddresses?.[name] ? ['--shoot-addresses', options.shootAddresses[name]] : []),
        '--log-level',
        options.logLevel,
      ],
      logFile: join(dir, 'logs', `seed-${name}.log`),
    });
  }
  for (const name of options.seeds) {
    const seedKubeconfig = join(dir, 'seeds', name, 'state', 'seed.kubeconfig');
    landscape.seeds[name]!.url = await waitUntilServing(seedKubeconfig, deadline, `seed ${name}`);
    await copyFile(seedKubeconfig, landscape.seeds[name]!.kubeconfig);
  }
  landscape.ready = true;
  await save();
  printLandscape(landscape);
}

export async function runDown(options: { dir: string; timeoutSeconds: number }): Promise<void> {
  const dir = resolve(options.dir);
  const landscape = await readLandscape(dir);
  if (!landscape) throw new Error(`no landscape in ${dir} (no landscape.json)`);
  const pids = [landscape.supervisorPid, landscape.garden.pid, ...Object.values(landscape.seeds).map((s) => s.pid)];
  if (isAlive(landscape.supervisorPid)) process.kill(landscape.supervisorPid, 'SIGTERM');
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  while (pids.some((pid) => pid !== undefined && isAlive(pid)) && Date.now() < deadline) await sleep(100);
  for (const pid of pids) if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
  // Shoot etcds run detached (a seed restart adopts them); a landscape going down stops them too.
  for (const seed of Object.values(landscape.seeds)) await stopAllEtcds(controlPlaneDir(join(seed.dir, 'state')));
  // So do the shoots' machines, which outlive any seed.
  await stopMachinesUnder(join(dir, 'infrastructure'));
  process.stdout.write(`landscape in ${dir} stopped\n`);
}

async function waitUntilServing(kubeconfig: string, deadline: number, what: string): Promise<string> {
  for (;;) {
    try {
      const client = new RestClient(loadKubeconfig(kubeconfig));
      try {
        await client.request('GET', '/readyz', undefined, 'application/json', 2000);
        return client.server;
      } finally {
        client.close();
      }
    } catch {
      if (Date.now() > deadline) throw new Error(`${what} did not come up in time`);
      await sleep(200);
    }
  }
}

function printLandscape(landscape: LandscapeFile): void {
  process.stdout.write(`garden: ${landscape.garden.url}  kubeconfig ${landscape.garden.kubeconfig}\n`);
  for (const [name, seed] of Object.entries(landscape.seeds)) {
    process.stdout.write(`seed ${name}: ${seed.url}  kubeconfig ${seed.kubeconfig}\n`);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
