/**
 * Runs one real etcd server (Debian's `/usr/bin/etcd`, 3.4) as a single-member cluster: the
 * shoot control planes' etcds and, optionally, the garden's and seeds' stores.
 *
 * `startEtcd` spawns the server, waits until `GET <clientUrl>/health` reports healthy, and hands
 * back a handle to stop it. Everything an operator needs to look at lives in a "conf dir" next to
 * the data dir (never inside it, where etcd only wants its own `member/`): the TLS files (mode
 * 0600; key material never appears on a command line), the server's log, and for detached
 * servers a pid file. Compaction is left to the caller: no `--auto-compaction-*` flag is passed.
 *
 * Without `peer` the peer listener is on 127.0.0.1 and plain HTTP: a single-member cluster has
 * no peers, and a loopback-only peer port exposes nothing. With `peer` the server is one member of
 * a cluster (the garden's etcd): its peer listener is on the member's own address, with TLS when
 * given, and the members are started together (each waits for the cluster to be healthy).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { chmod, mkdir, open as openFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { checkEtcdHealth } from './etcd-gateway.js';
import { findProcessesByArgument } from './processes.js';

/** TLS for the client listener; the files are written to the conf dir. */
export interface EtcdTls {
  caPem: string;
  /** The server certificate; its SANs must cover `clientHost`. */
  certPem: string;
  keyPem: string;
  /** Require client certificates signed by `caPem` (`--client-cert-auth`). */
  clientCertAuth: boolean;
  /**
   * The certificate the health check presents when `clientCertAuth` is on. Default: the server
   * pair, which then needs the clientAuth usage too (issue it with usage `both`).
   */
  client?: { certPem: string; keyPem: string };
}

/** One member's part in a cluster of several. */
export interface EtcdPeer {
  /** The address the peer listener binds and advertises. */
  host: string;
  /** `--initial-cluster`: `name=peerURL,…` of every member. */
  initialCluster: string;
  /** `--initial-cluster-token`, the same for every member. */
  clusterToken: string;
  /**
   * Peer TLS (usage both: it serves and presents it); peers must present certificates from
   * `caPem`, default `tls.caPem` (`--peer-client-cert-auth`).
   */
  tls?: { certPem: string; keyPem: string; caPem?: string };
  /**
   * `--initial-cluster-state`: `new` (default) when the members start together, `existing` for a
   * member added to a running cluster. etcd ignores it once the data dir holds a member.
   */
  initialClusterState?: 'new' | 'existing';
  /**
   * Peer URLs advertised besides the listener's own (etcd-druid's `additionalAdvertisePeerURLs`,
   * e.g. an address another seed reaches). `--initial-cluster` must list them for this member too.
   */
  advertiseUrls?: readonly string[];
}

export interface EtcdProcessOptions {
  /** The member name (`--name`). */
  name: string;
  /** etcd's data dir; created by etcd when missing, reused (with all its data) when present. */
  dataDir: string;
  /** TLS files, log and pid file; default `<dataDir>.conf`, created with mode 0700. */
  confDir?: string;
  /** The address the client listener binds and advertises; default 127.0.0.1. */
  clientHost?: string;
  /**
   * More addresses the client listener binds (same port) and advertises, after `clientHost`
   * (e.g. the seed host's address another seed reaches during a live migration). The server
   * certificate's SANs must cover them.
   */
  moreClientHosts?: readonly string[];
  /** The client port; 0 or undefined picks a free one (and retries when it is taken meanwhile). */
  clientPort?: number;
  /** The peer port on 127.0.0.1; 0 or undefined picks a free one. */
  peerPort?: number;
  tls?: EtcdTls;
  /** `--quota-backend-bytes`; etcd's default (2 GiB) when undefined. */
  quotaBackendBytes?: number;
  /** Where etcd's stdout and stderr are appended; default `<confDir>/etcd.log`. */
  logFile?: string;
  /**
   * Run the server in its own process group, not holding this process's event loop open, so it
   * survives this process; its pid goes to `<confDir>/etcd.pid` for whoever adopts it later.
   */
  detached?: boolean;
  /** Membership of a cluster of several members; default a single-member cluster. */
  peer?: EtcdPeer;
  /** Rewrites the command line before it is spawned, e.g. to prefix `ip netns exec <ns>`. */
  wrap?: (argv: string[]) => string[];
  /** More etcd flags, appended last (e.g. `--election-timeout=300`). */
  extraArgs?: readonly string[];
  /** How long to wait for the server to become healthy; default 30 s. */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 10 s. */
  stopGraceMs?: number;
  /** The etcd binary; default `/usr/bin/etcd`. */
  binary?: string;
}

/** A running etcd server started by `startEtcd`. */
export interface EtcdProcess {
  readonly pid: number;
  /** `http(s)://host:port` of the client listener. */
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly confDir: string;
  readonly logFile: string;
  /** `<confDir>/etcd.pid` for a detached server, else undefined. */
  readonly pidFile: string | undefined;
  /** SIGTERM, SIGKILL after the grace period; resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
  /** Resolves with the exit code (null when a signal ended it) once the process is gone. */
  readonly exited: Promise<number | null>;
}

/** Thrown by `startEtcd` when the server exits or stays unhealthy; the message ends with its log's tail. */
export class EtcdStartError extends Error {
  /** The last lines etcd wrote during this start. */
  readonly logTail: string;
  /** The exit code when etcd exited, null when a signal ended it, undefined when it still ran (timeout). */
  readonly exitCode: number | null | undefined;

  constructor(message: string, logTail: string, exitCode: number | null | undefined) {
    super(logTail ? `${message}\n--- etcd log (last lines) ---\n${logTail}` : message);
    this.name = 'EtcdStartError';
    this.logTail = logTail;
    this.exitCode = exitCode;
  }

  /** The port a listener could not bind because another process holds it, if that is why etcd failed. */
  get portInUse(): number | undefined {
    const match = /listen tcp \S*:(\d+): bind: address already in use/.exec(this.logTail);
    return match ? Number(match[1]) : undefined;
  }
}

const DEFAULTS = Object.freeze({
  binary: '/usr/bin/etcd',
  clientHost: '127.0.0.1',
  startTimeoutMs: 30_000,
  stopGraceMs: 10_000,
});

/** Attempts with fresh free ports when another process took a picked port before etcd bound it. */
const PORT_ATTEMPTS = 5;
const HEALTH_POLL_MS = 50;
const LOG_TAIL_LINES = 20;
const LOG_TAIL_LINE_CHARS = 400;

export async function startEtcd(options: EtcdProcessOptions): Promise<EtcdProcess> {
  const confDir = options.confDir ?? `${options.dataDir}.conf`;
  await mkdir(confDir, { recursive: true, mode: 0o700 });
  const tlsFiles = options.tls ? await writeTlsFiles(confDir, options.tls) : undefined;
  const host = options.clientHost ?? DEFAULTS.clientHost;
  const peerHost = options.peer?.host ?? '127.0.0.1';
  if (options.peer?.tls && !options.tls) throw new TypeError('peer TLS needs tls (its CA) as well');
  if (options.peer?.tls)
    await writePemFiles(confDir, [
      ['peer.crt', options.peer.tls.certPem],
      ['peer.key', options.peer.tls.keyPem],
      ['peer-ca.crt', options.peer.tls.caPem ?? options.tls?.caPem ?? ''],
    ]);
  for (let attempt = 1; ; attempt++) {
    const clientPort = options.clientPort || (await freePort(host));
    let peerPort = options.peerPort || (await freePort(peerHost));
    while (peerPort === clientPort && !options.peerPort) peerPort = await freePort(peerHost);
    try {
      return await launch(options, { confDir, host, clientPort, peerPort, tlsFiles });
    } catch (err) {
      // A port picked here was taken between the pick and etcd's bind: pick again.
      const taken = err instanceof EtcdStartError ? err.portInUse : undefined;
      const picked = (taken === clientPort && !options.clientPort) || (taken === peerPort && !options.peerPort);
      if (!picked || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

/** A TCP port on `host` that was free a moment ago: bound to port 0, read, released. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error(`no free port on ${host}`))));
    });
  });
}

interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/**
 * How often a quiet watch hears its progress (etcd's default is 10 minutes): a watch resumed from
 * the position it last heard makes etcd read at most this long's changes to catch it up, not every
 * change since its last event (src/storage/etcd/etcd-watcher.ts).
 */
const WATCH_PROGRESS_NOTIFY_INTERVAL = '2s';

interface LaunchPlan {
  confDir: string;
  host: string;
  clientPort: number;
  peerPort: number;
  tlsFiles: TlsFiles | undefined;
}

async function launch(options: EtcdProcessOptions, plan: LaunchPlan): Promise<EtcdProcess> {
  const { name, dataDir } = options;
  const clientUrl = `${options.tls ? 'https' : 'http'}://${urlHost(plan.host)}:${plan.clientPort}`;
  const peer = options.peer;
  const peerUrl = `${peer?.tls ? 'https' : 'http'}://${urlHost(peer?.host ?? '127.0.0.1')}:${plan.peerPort}`;
  const clientUrls = [
    clientUrl,
    ...(options.moreClientHosts ?? []).map(
      (host) => `${options.tls ? 'https' : 'http'}://${urlHost(host)}:${plan.clientPort}`,
    ),
  ].join(',');
  const args = [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrls}`,
    `--advertise-client-urls=${clientUrls}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${[peerUrl, ...(peer?.advertiseUrls ?? [])].join(',')}`,
    `--initial-cluster=${peer?.initialCluster ?? `${name}=${peerUrl}`}`,
    '--logger=zap',
    '--log-outputs=stderr',
    `--experimental-watch-progress-notify-interval=${WATCH_PROGRESS_NOTIFY_INTERVAL}`,
  ];
  if (peer) {
    args.push(
      `--initial-cluster-token=${peer.clusterToken}`,
      `--initial-cluster-state=${peer.initialClusterState ?? 'new'}`,
    );
  }
  if (peer?.tls && plan.tlsFiles) {
    args.push(
      `--peer-cert-file=${join(plan.confDir, 'peer.crt')}`,
      `--peer-key-file=${join(plan.confDir, 'peer.key')}`,
      `--peer-trusted-ca-file=${join(plan.confDir, 'peer-ca.crt')}`,
      '--peer-client-cert-auth=true',
    );
  }
  if (options.quotaBackendBytes !== undefined) args.push(`--quota-backend-bytes=${options.quotaBackendBytes}`);
  if (plan.tlsFiles && options.tls) {
    args.push(
      `--cert-file=${plan.tlsFiles.cert}`,
      `--key-file=${plan.tlsFiles.key}`,
      `--trusted-ca-file=${plan.tlsFiles.ca}`,
      `--client-cert-auth=${options.tls.clientCertAuth}`,
    );
  }
  args.push(...(options.extraArgs ?? []));

  const logFile = options.logFile ?? join(plan.confDir, 'etcd.log');
  // The tail of a failed start shows only what this run wrote.
  const logStart = await fileSize(logFile);
  const logFd = openSync(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    const [command, ...argv] = (options.wrap ?? ((a: string[]) => a))([options.binary ?? DEFAULTS.binary, ...args]);
    child = spawn(command!, argv, {
      stdio: ['ignore', logFd, logFd],
      detached: options.detached === true,
    });
  } finally {
    closeSync(logFd);
  }
  let exitCode: number | null | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      exitCode = null;
      resolve(null);
    });
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
  });
  if (options.detached) child.unref();

  const fail = async (reason: string): Promise<never> => {
    const lines = await readLogLines(logFile, logStart);
    const why = spawnError ? spawnError.message : summarize(lines);
    const message = `etcd "${name}" (data dir ${dataDir}) ${reason}${why ? `: ${why}` : ''}`;
    throw new EtcdStartError(message, tail(lines), exitCode);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? DEFAULTS.startTimeoutMs);
  for (;;) {
    if (spawnError) return fail('could not be started');
    if (exitCode !== undefined) return fail(`exited with code ${exitCode} before it became healthy`);
    // A process that exits ends the wait at once, even while a health request hangs.
    if (await Promise.race([checkEtcdHealth(clientUrl, options.tls), exited.then(() => false)])) break;
    if (exitCode !== undefined) continue;
    if (Date.now() >= deadline) {
      child.kill('SIGKILL');
      await exited;
      return fail(
        `did not become healthy at ${clientUrl} within ${options.startTimeoutMs ?? DEFAULTS.startTimeoutMs} ms`,
      );
    }
    await sleep(HEALTH_POLL_MS);
  }

  const pid = child.pid!;
  const pidFile = options.detached ? join(plan.confDir, 'etcd.pid') : undefined;
  if (pidFile) await writeFile(pidFile, `${pid}\n`, { mode: 0o600 });
  const graceMs = options.stopGraceMs ?? DEFAULTS.stopGraceMs;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (exitCode === undefined) {
        // A detached child is unref'd; waiting for its exit must hold the event loop open.
        child.ref();
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(killer);
      }
      if (pidFile) await rm(pidFile, { force: true });
    })();
    return stopping;
  };
  return { pid, clientUrl, peerUrl, confDir: plan.confDir, logFile, pidFile, stop, exited };
}

async function writeTlsFiles(confDir: string, tls: EtcdTls): Promise<TlsFiles> {
  await writePemFiles(confDir, [
    ['ca.crt', tls.caPem],
    ['server.crt', tls.certPem],
    ['server.key', tls.keyPem],
  ]);
  return { ca: join(confDir, 'ca.crt'), cert: join(confDir, 'server.crt'), key: join(confDir, 'server.key') };
}

async function writePemFiles(confDir: string, contents: [string, string][]): Promise<void> {
  for (const [file, pem] of contents) {
    const path = join(confDir, file);
    await writeFile(path, pem, { mode: 0o600 });
    // `mode` applies only when the file is created; a file left by an earlier start keeps its own.
    await chmod(path, 0o600);
  }
}

/** The reason a failed start gives: the last fatal or error entry of etcd's JSON log, else its first plain line. */
function summarize(lines: string[]): string {
  for (const line of [...lines].reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      if (entry.level === 'fatal' || entry.level === 'panic' || entry.level === 'error') {
        return entry.error ? `${entry.msg}: ${entry.error}` : String(entry.msg);
      }
    } catch {
      // A line cut short; look further.
    }
  }
  return lines.find((line) => line.trim() !== '' && !line.startsWith('{'))?.trim() ?? '';
}

function tail(lines: string[]): string {
  return lines
    .slice(-LOG_TAIL_LINES)
    .map((line) => (line.length > LOG_TAIL_LINE_CHARS ? `${line.slice(0, LOG_TAIL_LINE_CHARS)}…` : line))
    .join('\n');
}

async function readLogLines(logFile: string, from: number): Promise<string[]> {
  try {
    const handle = await openFile(logFile, 'r');
    try {
      const size = (await handle.stat()).size;
      // The tail is what matters; a huge log is read from its last 64 KiB.
      const start = Math.max(from, size - 65_536);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      return buffer
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '');
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Live processes (other than this one) with a `--data-dir=` argument that `matches`: the etcd
 * servers of a data dir, or of every data dir below a directory. Found through /proc, so orphans
 * of a crashed parent are found too.
 */
export function findEtcdProcessesBy(matches: (dataDir: string) => boolean): Promise<number[]> {
  return findProcessesByArgument('--data-dir=', matches);
}
