/**
 * The landscape's authoritative DNS server: Knot (`knotd` 3.2 from Debian) serving one zone on
 * one address and port, accepting RFC 2136 updates signed with a TSIG key it generates once.
 * The key lives in files of mode 0600 (`tsig.json`, and knot.conf, which must name it), never on
 * a command line. Updated records survive a restart: the zone file is rewritten at once
 * (`zonefile-sync: 0`) and the journal keeps the changes.
 *
 * `startKnotServer` is idempotent: a knotd already running from the directory's pid file with
 * its config is adopted. `wrap` turns the command lines it runs (knotd, and kdig to see that it
 * answers) into the ones to spawn, e.g. prefixed with `ip netns exec <ns>` to run them inside a
 * host's namespace.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { queryA } from '../dns/rfc2136-client.js';
import { type DnsServer, serverText } from '../dns/transport.js';
import type { TsigKey } from '../dns/tsig.js';
import { fqdn } from '../dns/wire.js';
import { commandLine, isProcessAlive, terminateProcess } from '../process/processes.js';

export interface KnotServerOptions {
  /** Config, key, zone files, journal, log and pid file; created with mode 0700. */
  dir: string;
  /** The zone it is authoritative for, e.g. `landscape.test`. */
  zone: string;
  /** The address and port it listens on (UDP and TCP). */
  address: string;
  port: number;
  /** The spawned command line from knotd's (default: unchanged), e.g. `(argv) => ['ip', 'netns', 'exec', ns, ...argv]`. */
  wrap?: (argv: string[]) => string[];
  /** How long to wait until it answers; default 10 s. */
  readyTimeoutMs?: number;
}

export interface KnotServer {
  readonly pid: number;
  readonly server: DnsServer;
  /** The zone, fully qualified (`landscape.test.`). */
  readonly zone: string;
  readonly key: Required<TsigKey>;
  /**
   * The data of a Gardener internal-domain Secret for this server (external-dns-management's
   * rfc2136 keys): `Server`, `Zone`, `TSIGKeyName`, `TSIGSecret`, `TSIGSecretAlgorithm`.
   */
  secretData(): Record<string, string>;
  stop(): Promise<void>;
}

const run = promisify(execFile);
const KEY_NAME = 'landscape-key.';
const ALGORITHM = 'hmac-sha256';
const KNOTD = '/usr/sbin/knotd';

interface Paths {
  conf: string;
  key: string;
  pid: string;
  log: string;
  zones: string;
  db: string;
  run: string;
}

function pathsOf(dir: string): Paths {
  return {
    conf: join(dir, 'knot.conf'),
    key: join(dir, 'tsig.json'),
    pid: join(dir, 'knotd.pid'),
    log: join(dir, 'knotd.log'),
    zones: join(dir, 'zones'),
    db: join(dir, 'db'),
    run: join(dir, 'run'),
  };
}

export async function startKnotServer(options: KnotServerOptions): Promise<KnotServer> {
  const paths = pathsOf(options.dir);
  const zone = fqdn(options.zone);
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  await Promise.all([paths.zones, paths.db, paths.run].map((d) => mkdir(d, { recursive: true, mode: 0o700 })));
  const key = await ensureKey(paths.key);
  await writeSecretFile(paths.conf, knotConfig(paths, zone, key, options));
  const zoneFile = join(paths.zones, `${zone}zone`);
  // Only a missing zone file is written: knotd rewrites it with every update.
  await writeFile(zoneFile, initialZone(zone, options.address), { flag: 'wx', mode: 0o600 }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    },
  );

  const server: DnsServer = { host: options.address, port: options.port };
  const pid = (await runningPid(paths)) ?? spawnKnotd(paths, options.wrap ?? ((argv) => argv));
  await writeFile(paths.pid, `${pid}\n`, { mode: 0o600 });
  await waitUntilServing(server, zone, options.address, pid, paths.log, options.readyTimeoutMs ?? 10_000, options.wrap);
  await ownerOnlyRunFiles(paths.run, options.readyTimeoutMs ?? 10_000);
  return {
    pid,
    server,
    zone,
    key,
    secretData: () => ({
      Server: serverText(server),
      Zone: zone,
      TSIGKeyName: key.name,
      TSIGSecret: key.secret,
      TSIGSecretAlgorithm: key.algorithm,
    }),
    stop: () => stopKnotServer(options.dir),
  };
}

/** knotd's control socket in its run directory (its default `control.listen`). */
const CONTROL_SOCKET = 'knot.sock';

/**
 * knotd makes its pid file 0640 and its control socket 0220 whatever the umask: made the owner's
 * alone like everything in a state directory (docs/security.md). knotd may answer queries before
 * it has made its control socket (a fresh-clone run found it 0220 afterwards), so the socket is
 * waited for first.
 */
async function ownerOnlyRunFiles(run: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(join(run, CONTROL_SOCKET))) {
    if (Date.now() > deadline) throw new Error(`knotd made no control socket in ${run} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const name of await readdir(run)) {
    await chmod(join(run, name), 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

/** Stops the knotd started from `dir`, if it runs; its zone and key stay for the next start. */
export async function stopKnotServer(dir: string): Promise<void> {
  const paths = pathsOf(dir);
  const pid = await runningPid(paths);
  if (pid !== undefined) await terminateProcess(pid, 5_000);
  await rm(paths.pid, { force: true });
}

/** The pid in the pid file when that process is a knotd with this directory's config. */
async function runningPid(paths: Paths): Promise<number | undefined> {
  const pid = Number((await readFile(paths.pid, 'utf8').catch(() => '')).trim());
  if (!pid || !isProcessAlive(pid)) return undefined;
  const argv = commandLine(pid) ?? [];
  return argv.some((arg) => arg.endsWith('knotd')) && argv.includes(paths.conf) ? pid : undefined;
}

function spawnKnotd(paths: Paths, wrap: (argv: string[]) => string[]): number {
  const [command, ...args] = wrap([KNOTD, '--config', paths.conf]);
  // Output to a file, not a pipe: a daemon holding our pipe would keep the caller waiting.
  const log = openSync(paths.log, 'a', 0o600);
  try {
    const child = spawn(command!, args, { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

async function waitUntilServing(
  server: DnsServer,
  zone: string,
  address: string,
  pid: number,
  log: string,
  timeoutMs: number,
  wrap: ((argv: string[]) => string[]) | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isProcessAlive(pid)) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-10).join('\n');
      throw new Error(`knotd exited before serving ${zone} at ${serverText(server)}; its log ends:\n${tail}`);
    }
    const answer = await (wrap
      ? kdigA(wrap, server, `ns.${zone}`)
      : queryA(server, `ns.${zone}`, { timeoutMs: 500 })
    ).catch((): string[] => []);
    if (answer.includes(address)) return;
    if (Date.now() > deadline)
      throw new Error(`knotd does not serve ${zone} at ${serverText(server)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The A records of `name` as `kdig` run through `wrap` sees them: a server in another network
 * namespace is only reachable from inside it.
 */
async function kdigA(wrap: (argv: string[]) => string[], server: DnsServer, name: string): Promise<string[]> {
  const [command, ...args] = wrap([
    'kdig',
    `@${server.host}`,
    '-p',
    String(server.port),
    '+short',
    '+timeout=1',
    name,
    'A',
  ]);
  const { stdout } = await run(command!, args, { timeout: 3_000 });
  return stdout.split('\n').filter(Boolean);
}

/** The key from `tsig.json`, generated (256 random bits) on first start. */
async function ensureKey(path: string): Promise<Required<TsigKey>> {
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing !== undefined) return JSON.parse(existing) as Required<TsigKey>;
  const key = { name: KEY_NAME, secret: randomBytes(32).toString('base64'), algorithm: ALGORITHM };
  await writeSecretFile(path, `${JSON.stringify(key, null, 2)}\n`);
  return key;
}

async function writeSecretFile(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
}

function knotConfig(paths: Paths, zone: string, key: Required<TsigKey>, options: KnotServerOptions): string {
  return [
    'server:',
    `  rundir: "${paths.run}"`,
    `  listen: "${options.address}@${options.port}"`,
    'database:',
    `  storage: "${paths.db}"`,
    'log:',
    '  - target: stderr',
    '    any: info',
    'key:',
    `  - id: ${key.name}`,
    `    algorithm: ${key.algorithm}`,
    `    secret: ${key.secret}`,
    'acl:',
    '  - id: ddns',
    `    key: ${key.name}`,
    '    action: update',
    'template:',
    '  - id: default',
    `    storage: "${paths.zones}"`,
    '    file: "%s.zone"',
    // Updates go to the zone file at once, and the journal keeps only changes: a restart serves
    // every update made before it (`zonefile-sync: -1` with difference-no-serial lost them).
    '    zonefile-sync: 0',
    '    journal-content: changes',
    'zone:',
    `  - domain: ${zone}`,
    '    acl: [ ddns ]',
    '',
  ].join('\n');
}

function initialZone(zone: string, address: string): string {
  return [
    `$ORIGIN ${zone}`,
    '$TTL 60',
    `@ SOA ns.${zone} hostmaster.${zone} 1 3600 600 86400 60`,
    `@ NS ns.${zone}`,
    `ns A ${address}`,
    '',
  ].join('\n');
}
