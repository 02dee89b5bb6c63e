/**
 * `transplant up` / `transplant down`: a local landscape — the garden and one process per seed,
 * supervised — described in DIR/landscape.json for tools and tests.
 *
 * One file over 500 lines: `up` and `down` are each other's inverse (what one starts and writes,
 * the other stops and removes), kept side by side; the hosts, the stores and monitoring are
 * modules of their own (landscape-hosts.ts, landscape-monitoring.ts).
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { writeFileAtomic } from '../apiserver/pki/atomic-file.js';
import { s3CredentialsFromEnv } from '../backup/snapstore/credentials.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { RestClient } from '../client/rest-client.js';
import { registerLocalCloudProfile } from '../garden/local-setup.js';
import { issueSeedKubeconfigThroughApi } from '../garden/seed-credentials.js';
import { metricsReaderFiles } from '../hosting/metrics-reader.js';
import { HostJournal, namespacePids } from '../landscape/journal.js';
import { hostNamed, inHost, readHostPlan } from '../landscape/netns.js';
import { findEtcdProcessesBy } from '../process/etcd-process.js';
import { terminateProcess } from '../process/processes.js';
import { type SupervisedSpec, Supervisor } from '../process/supervisor.js';
import { controlPlaneDir } from '../seed/control-plane-dir.js';
import { stopAllEtcds } from '../seed/druid/etcd-processes.js';
import { stopMachinesUnder } from '../seed/runtime/machine-runtime.js';
import { registerExtensions, waitUntilExtensionsReported } from './landscape-extensions.js';
import { type LandscapeFile, landscapePath, readLandscape } from './landscape-file.js';
import {
  ensureGardenEncryptionConfig,
  GARDEN_PORT,
  type HostsOptions,
  hostsEntry,
  hostsGarden,
  prepareHosts,
  publishInternalDomain,
  shootAddressesOf,
  startLandscapeDns,
  storeFlags,
  storeHostOf,
  storeProcess,
} from './landscape-hosts.js';
import {
  checkPrometheusInstalled,
  freeLoopbackPort,
  monitoringFiles,
  PROMETHEUS_PROCESS,
  prometheusProcess,
  waitUntilPrometheusReady,
  writeMonitoringFiles,
} from './landscape-monitoring.js';
import type { ScrapedServer } from './prometheus-config.js';
import { runUntilSignal } from './run-until-signal.js';

export type { LandscapeFile };

export interface UpOptions {
  dir: string;
  seeds: string[];
  backup: string;
  /** For `backup: 's3'`: the S3-compatible endpoint. */
  backupEndpoint?: string;
  detach: boolean;
  logLevel: string;
  timeoutSeconds: number;
  /**
   * Passed on to every seed (`--wait-timeout`, `--node-monitor-grace-period`, in seconds;
   * `--backup-entry-deletion-grace-period`, in milliseconds).
   */
  seedTimings?: { waitTimeout: number; nodeMonitorGracePeriod: number; backupEntryDeletionGracePeriodMs?: number };
  /** Each part on a host of its own (network namespaces); absent: everything on this host's loopback. */
  hosts?: HostsOptions;
  /** Each seed's `--shoot-addresses`, by seed name. */
  shootAddresses?: Record<string, string>;
  /** Each seed's provider, `type[/region]` (`--provider-type`, `--region`), by seed name; default local/local. */
  seedProviders?: Record<string, string>;
  /** Each seed's `--extensions`, by seed name; default all. */
  seedExtensions?: Record<string, string>;
  /** Each seed's `--etcd-peer-advertise-address`, by seed name; default its etcd peer probe's own address. */
  seedEtcdPeerAdvertiseAddresses?: Record<string, string>;
  /** A Prometheus scraping the garden, the seeds and the shoots (landscape-monitoring.ts). */
  monitoring?: boolean;
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
  if (options.monitoring) {
    // Its hosts' network namespaces are not reachable from where Prometheus would run.
    if (options.hosts) throw new Error('--monitoring is not supported with --hosts');
    await checkPrometheusInstalled();
  }
  const existing = await readLandscape(dir);
  // As `docker compose up -d`: a landscape that runs is converged, not started twice.
  if (existing && isAlive(existing.supervisorPid)) return converge(dir, existing, options.timeoutSeconds);
  // Its supervisor died: what it had started is nobody's now (machines and shoot etcds are adopted).
  if (existing) await stopOrphans(dir, existing);
  await mkdir(join(dir, 'logs'), { recursive: true, mode: 0o700 });
  if (options.detach) return detach(dir, options);
  return supervise(dir, options);
}

/** `--backup-entry-deletion-grace-period` for `up` and for each seed, when given. */
function backupEntryGraceArgs(options: UpOptions): string[] {
  const ms = options.seedTimings?.backupEntryDeletionGracePeriodMs;
  return ms === undefined ? [] : ['--backup-entry-deletion-grace-period', `${ms}ms`];
}

/** Starts the supervisor in the background and returns once the landscape is ready. */
async function detach(dir: string, options: UpOptions): Promise<void> {
  await rm(landscapePath(dir), { force: true });
  const log = openSync(join(dir, 'logs', 'up.log'), 'a', 0o600);
  const args = [process.argv[1]!, 'up', '--dir', dir, '--seeds', options.seeds.join(','), '--backup', options.backup];
  if (options.backupEndpoint) args.push('--backup-endpoint', options.backupEndpoint);
  if (options.seedTimings) {
    const { waitTimeout, nodeMonitorGracePeriod } = options.seedTimings;
    args.push('--wait-timeout', String(waitTimeout), '--node-monitor-grace-period', String(nodeMonitorGracePeriod));
    args.push(...backupEntryGraceArgs(options));
  }
  if (options.hosts) {
    const { machines, subnet, domain, shootAddressesPerSeed } = options.hosts;
    args.push(
      '--hosts',
      '--machines',
      String(machines),
      '--domain',
      domain,
      '--shoot-addresses-per-seed',
      String(shootAddressesPerSeed),
    );
    if (subnet) args.push('--subnet', subnet);
  }
  for (const [flag, bySeed] of [
    ['--shoot-addresses', options.shootAddresses],
    ['--seed-provider', options.seedProviders],
    ['--seed-extensions', options.seedExtensions],
    ['--seed-etcd-peer-advertise-address', options.seedEtcdPeerAdvertiseAddresses],
  ] as const) {
    for (const [seed, value] of Object.entries(bySeed ?? {})) args.push(flag, `${seed}=${value}`);
  }
  if (options.monitoring) args.push('--monitoring');
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
  // `down`, `exec` and the tests read landscape.json at any time, also while a restarted child's
  // pid is saved: one write at a time, each a whole file renamed into place.
  let saving: Promise<void> = Promise.resolve();
  const save = () =>
    (saving = saving
      .catch(() => undefined)
      .then(() => writeFileAtomic(landscapePath(dir), `${JSON.stringify(landscape, null, 2)}\n`)));
  const supervisor = new Supervisor(logger, () => {
    landscape.garden.pid = supervisor.pid('garden');
    if (landscape.garden.replicas) {
      for (const [name, replica] of Object.entries(landscape.garden.replicas)) replica.pid = supervisor.pid(name);
    }
    for (const [name, seed] of Object.entries(landscape.seeds)) seed.pid = supervisor.pid(name);
    if (landscape.monitoring) landscape.monitoring.pid = supervisor.pid(PROMETHEUS_PROCESS);
    void save();
  });
  runUntilSignal(logger, 'landscape', async () => {
    await supervisor.stop();
    landscape.ready = false;
    await save();
  });
  const deadline = Date.now() + options.timeoutSeconds * 1000;

  // With --hosts, each process runs on its host; `hostOf` says which, for restarts on a recreated host.
  const hosts = options.hosts ? await prepareHosts(dir, options.seeds, options.hosts) : undefined;
  const hostOf = new Map<string, string>();
  const onHost = (process: string, host: string): Pick<SupervisedSpec, 'wrap'> => {
    if (!hosts) return {};
    hostOf.set(process, host);
    const target = hostNamed(hosts.plan, host);
    return { wrap: (argv) => inHost(target, argv) };
  };
  // A seed on a host listens on its address and serves its shoots' endpoints on the extra ones;
  // its shoots' etcd members take peers on its address too, where the other seeds' members join
  // them in a live migration (loopback would be this host's alone).
  const seedAddressFlags = (seed: string): string[] =>
    hosts
      ? [
          '--listen-address',
          hostNamed(hosts.plan, seed).address,
          '--shoot-addresses',
          shootAddressesOf(hosts.plan, seed),
          '--etcd-peer-address',
          hostNamed(hosts.plan, seed).address,
        ]
      : options.shootAddresses?.[seed]
        ? ['--shoot-addresses', options.shootAddresses[seed]]
        : [];
  if (hosts) {
    const { subnet, bridge, domain } = hosts.plan;
    landscape.network = { subnet, bridge, domain };
    landscape.hosts = hostsEntry(hosts.plan);
    await save();
    for (const seed of options.seeds) {
      const store = await storeProcess(dir, hosts.plan, seed);
      supervisor.start({ ...store, ...onHost(store.name, storeHostOf(seed)) });
    }
  }

  // With hosts: the garden on its etcd cluster, two replicas, the load balancer in front.
  const garden = hosts ? hostsGarden(dir, hosts.plan, options.logLevel) : undefined;
  if (garden) {
    landscape.garden.replicas = Object.fromEntries(
      garden.replicas.map((r) => [r.process, { dir: r.dir, host: r.host }]),
    );
    await ensureGardenEncryptionConfig(garden);
    await garden.cluster.start();
    for (const replica of garden.replicas) {
      supervisor.start({
        name: replica.process,
        args: replica.args,
        logFile: join(dir, 'logs', `${replica.process}.log`),
        ...onHost(replica.process, replica.host),
      });
    }
    await garden.balancer.start();
  } else {
    supervisor.start({
      name: 'garden',
      args: ['garden', '--dir', landscape.garden.dir, '--log-level', options.logLevel],
      logFile: join(dir, 'logs', 'garden.log'),
    });
  }
  const gardenKubeconfig = join(landscape.garden.dir, 'garden.kubeconfig');
  // Every replica on its own address, not only one of them through the load balancer.
  const waitUntilGardenServes = async (until: number) => {
    for (const replica of garden?.replicas ?? []) {
      const server = `https://${hostNamed(hosts!.plan, replica.host).address}:${GARDEN_PORT}`;
      await waitUntilServing(
        join(replica.dir, 'garden.kubeconfig'),
        until,
        `garden replica ${replica.process}`,
        server,
      );
    }
    landscape.garden.url = await waitUntilServing(gardenKubeconfig, until, 'the garden');
  };
  await waitUntilGardenServes(deadline);
  await copyFile(gardenKubeconfig, landscape.garden.kubeconfig);
  await copyFile(join(landscape.garden.dir, 'project-member.kubeconfig'), landscape.garden.memberKubeconfig);
  // As Gardener's local setup does: the extension controllers the seeds' processes can run.
  await registerExtensions(landscape.garden.kubeconfig);
  // As Gardener's local setup: the `local` CloudProfile the examples' shoots name.
  const operator = new RestClient(loadKubeconfig(landscape.garden.kubeconfig), { userAgent: 'transplant-up' });
  await registerLocalCloudProfile(operator).finally(() => operator.close());
  // With hosts: the landscape's DNS server, and the garden's internal domain on it.
  if (hosts) {
    const knot = await startLandscapeDns(dir, hosts.plan);
    await publishInternalDomain(landscape.garden.kubeconfig, knot, hosts.plan.domain);
  }

  await mkdir(join(dir, 'seeds'), { recursive: true, mode: 0o700 });
  for (const name of options.seeds) {
    const seedDir = join(dir, 'seeds', name);
    await mkdir(seedDir, { recursive: true, mode: 0o700 });
    // The seed's own credential, issued through the garden's API as the operator (either store).
    await issueSeedKubeconfigThroughApi(landscape.garden.kubeconfig, name, join(seedDir, 'garden.kubeconfig'));
    landscape.seeds[name] = { kubeconfig: join(dir, 'seeds', `${name}.kubeconfig`), dir: seedDir };
    let backupArgs: string[];
    if (hosts) {
      backupArgs = await storeFlags(dir, hosts.plan, name);
    } else if (options.backup === 'local') {
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
        ...seedAddressFlags(name),
        ...seedProviderFlags(options.seedProviders?.[name]),
        ...(options.seedExtensions?.[name] !== undefined ? ['--extensions', options.seedExtensions[name]] : []),
        ...(options.seedEtcdPeerAdvertiseAddresses?.[name]
          ? ['--etcd-peer-advertise-address', options.seedEtcdPeerAdvertiseAddresses[name]]
          : []),
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
              ...backupEntryGraceArgs(options),
            ]
          : []),
        '--log-level',
        options.logLevel,
      ],
      logFile: join(dir, 'logs', `seed-${name}.log`),
      ...onHost(name, name),
    });
  }
  const waitUntilAllServe = async (until: number) => {
    await waitUntilGardenServes(until);
    for (const name of options.seeds) {
      const seedKubeconfig = join(dir, 'seeds', name, 'state', 'seed.kubeconfig');
      landscape.seeds[name]!.url = await waitUntilServing(seedKubeconfig, until, `seed ${name}`);
      await copyFile(seedKubeconfig, landscape.seeds[name]!.kubeconfig);
    }
    await waitUntilExtensionsReported(landscape.garden.kubeconfig, options.seeds, until);
  };
  await waitUntilAllServe(deadline);
  if (options.monitoring) {
    // Once every server wrote its metrics reader's credentials, which Prometheus reads.
    const files = monitoringFiles(dir);
    const scraped = (url: string, stateDir: string): ScrapedServer => ({
      address: new URL(url).host,
      ...metricsReaderFiles(stateDir),
    });
    await writeMonitoringFiles(files, {
      garden: scraped(landscape.garden.url!, landscape.garden.dir),
      seeds: Object.fromEntries(
        options.seeds.map((name) => [name, scraped(landscape.seeds[name]!.url!, join(dir, 'seeds', name, 'state'))]),
      ),
    });
    const port = await freeLoopbackPort();
    landscape.monitoring = { url: `http://127.0.0.1:${port}`, dir: files.dir };
    supervisor.start(prometheusProcess(files, port, join(dir, 'logs', 'prometheus.log')));
    await waitUntilPrometheusReady(landscape.monitoring.url, deadline);
  }
  landscape.ready = true;
  landscape.convergedAt = new Date().toISOString();
  await save();
  printLandscape(landscape);

  // `transplant up` on this running landscape: recreate missing hosts, start what is not running.
  let converging = Promise.resolve();
  process.on('SIGHUP', () => {
    converging = converging.then(async () => {
      try {
        const recreated = hosts ? (await prepareHosts(dir, options.seeds, options.hosts!)).recreated : [];
        // Detached daemons (not the supervisor's): started again where they do not run.
        await garden?.cluster.start();
        await garden?.balancer.start();
        if (hosts) await startLandscapeDns(dir, hosts.plan);
        for (const name of supervisor.names()) {
          if (recreated.includes(hostOf.get(name) ?? '')) supervisor.restart(name);
        }
        supervisor.reviveExited();
        await waitUntilAllServe(Date.now() + options.timeoutSeconds * 1000);
        landscape.convergedAt = new Date().toISOString();
        await save();
        logger.info({ recreated }, 'landscape converged');
      } catch (err) {
        logger.error({ err }, 'converging the landscape failed');
      }
    });
  });
}

/** `--provider-type` and `--region` from `type[/region]`. */
function seedProviderFlags(provider: string | undefined): string[] {
  if (!provider) return [];
  const [type, region] = provider.split('/', 2);
  return ['--provider-type', type!, ...(region ? ['--region', region] : [])];
}

/** Asks the running supervisor to converge (SIGHUP) and waits until it did. */
async function converge(dir: string, existing: LandscapeFile, timeoutSeconds: number): Promise<void> {
  const asked = Date.now();
  process.kill(existing.supervisorPid, 'SIGHUP');
  const deadline = asked + timeoutSeconds * 1000;
  for (;;) {
    const landscape = await readLandscape(dir);
    if (landscape?.ready && landscape.convergedAt && Date.parse(landscape.convergedAt) >= asked) {
      printLandscape(landscape);
      return;
    }
    if (!isAlive(existing.supervisorPid))
      throw new Error(`the landscape's supervisor exited; see ${join(dir, 'logs')}`);
    if (Date.now() > deadline)
      throw new Error(`the landscape did not converge in ${timeoutSeconds} s; see ${join(dir, 'logs')}`);
    await sleep(200);
  }
}

/**
 * Stops what a dead supervisor had started — the garden, the seeds, and with hosts every process
 * on a host but the machines' — so a new one starts them afresh. Machines and shoot etcds stay:
 * the seeds adopt them.
 */
async function stopOrphans(dir: string, existing: LandscapeFile): Promise<void> {
  const pids = [existing.garden.pid, ...Object.values(existing.seeds).map((s) => s.pid), existing.monitoring?.pid];
  const plan = await readHostPlan(dir);
  for (const host of plan?.hosts ?? []) {
    if (!host.name.startsWith('machine-')) pids.push(...(await namespacePids(host.netns)));
  }
  const seedsRoot = `${join(dir, 'seeds')}/`;
  const etcds = new Set(await findEtcdProcessesBy((dataDir) => dataDir.startsWith(seedsRoot)));
  await Promise.all(
    pids
      .filter((pid): pid is number => pid !== undefined && !etcds.has(pid) && isAlive(pid))
      .map((pid) => terminateProcess(pid)),
  );
}

export async function runDown(options: { dir: string; timeoutSeconds: number }): Promise<void> {
  const dir = resolve(options.dir);
  const landscape = await readLandscape(dir);
  const journal = new HostJournal(dir);
  if (!landscape) {
    // `up --hosts` killed before it wrote landscape.json: its journal knows what it created.
    if ((await journal.entries()).length === 0) throw new Error(`no landscape in ${dir} (no landscape.json)`);
    await journal.undo({ graceMs: options.timeoutSeconds * 1000 });
    process.stdout.write(`landscape in ${dir} stopped\n`);
    return;
  }
  const pids = [
    landscape.supervisorPid,
    landscape.garden.pid,
    ...Object.values(landscape.seeds).map((s) => s.pid),
    landscape.monitoring?.pid,
  ];
  if (isAlive(landscape.supervisorPid)) process.kill(landscape.supervisorPid, 'SIGTERM');
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  while (pids.some((pid) => pid !== undefined && isAlive(pid)) && Date.now() < deadline) await sleep(100);
  for (const pid of pids) if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
  // Shoot etcds run detached (a seed restart adopts them); a landscape going down stops them too.
  for (const seed of Object.values(landscape.seeds)) await stopAllEtcds(controlPlaneDir(join(seed.dir, 'state')));
  // So do the shoots' machines, which outlive any seed.
  await stopMachinesUnder(join(dir, 'infrastructure'));
  // With hosts: every process left in them, the nft tables, namespaces, links and /etc/netns files.
  await journal.undo({ graceMs: options.timeoutSeconds * 1000 });
  process.stdout.write(`landscape in ${dir} stopped\n`);
}

/** Waits until the server of `kubeconfig` (or `server`, with the kubeconfig's credentials) is ready; returns its URL. */
async function waitUntilServing(kubeconfig: string, deadline: number, what: string, server?: string): Promise<string> {
  for (;;) {
    try {
      const client = new RestClient({ ...loadKubeconfig(kubeconfig), ...(server ? { server } : {}) });
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
  if (landscape.monitoring) process.stdout.write(`prometheus: ${landscape.monitoring.url}\n`);
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
