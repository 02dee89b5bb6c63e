/**
 * The garden's etcd: an N-member etcd 3.4 cluster with TLS everywhere (clients and peers), each
 * member on its own address (in the multi-host landscape, its own network namespace, through
 * `wrap`). Everything lives under one directory:
 *
 *   pki/            ca.crt, ca.key, <member>.crt/.key (serving and peer, usage both),
 *                   client.crt/.key (the garden's client certificate, CN `garden`)
 *   <member>/data   the member's data dir
 *   <member>/conf   its TLS files, etcd.log, etcd.pid (src/process/etcd-process.ts)
 *
 * `start` is idempotent: a member whose pid file names a live etcd of its data dir is left
 * running, the others are started (together: a new member waits for the cluster's quorum). The
 * PKI is generated once and kept. Members run detached and outlive the process that started them.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../apiserver/pki/atomic-file.js';
import {
  type CertificateAndKey,
  type CertificateAuthority,
  generateCertificateAuthority,
  issueCertificate,
} from '../apiserver/pki/certificates.js';
import { startEtcd } from '../process/etcd-process.js';
import { commandLine, isProcessAlive, terminateProcess } from '../process/processes.js';

export interface EtcdMemberSpec {
  /** The member's name, also its directory's (e.g. `etcd-0`). */
  name: string;
  /** Its address: clients and peers reach it there. */
  host: string;
  /** Default 2379. */
  clientPort?: number;
  /** Default 2380. */
  peerPort?: number;
  /** Prefixes its command line, e.g. `ip netns exec <ns>`. */
  wrap?: (argv: string[]) => string[];
}

export interface EtcdClusterOptions {
  dir: string;
  members: readonly EtcdMemberSpec[];
  /** `--initial-cluster-token`; default `transplant-garden`. */
  clusterToken?: string;
  /** More etcd flags for every member, e.g. faster elections in tests. */
  extraArgs?: readonly string[];
  /** How long a start waits for each member to be healthy; default 30 s. */
  startTimeoutMs?: number;
}

/** The files a client (the garden) needs: `--etcd-ca-file`, `--etcd-cert-file`, `--etcd-key-file`. */
export interface EtcdClientFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface EtcdCluster {
  /** `https://host:port` of every member, in member order. */
  readonly endpoints: readonly string[];
  readonly clientFiles: EtcdClientFiles;
  /** The client TLS material (for an in-process store). */
  clientTls(): Promise<{ caPem: string; certPem: string; keyPem: string }>;
  /** Starts the members that do not run; leaves running ones alone. */
  start(): Promise<void>;
  /** The pid of member `name`'s running etcd, undefined when it does not run. */
  pidOf(name: string): Promise<number | undefined>;
  /** Stops one member: SIGTERM (then SIGKILL after the grace), or SIGKILL at once with `kill`. */
  stopMember(name: string, options?: { kill?: boolean }): Promise<void>;
  /** Stops every member. */
  stop(): Promise<void>;
}

const defaults = Object.freeze({ clientPort: 2379, peerPort: 2380, clusterToken: 'transplant-garden' });

export function etcdCluster(options: EtcdClusterOptions): EtcdCluster {
  const { dir } = options;
  const pkiDir = join(dir, 'pki');
  const clientFiles: EtcdClientFiles = {
    ca: join(pkiDir, 'ca.crt'),
    cert: join(pkiDir, 'client.crt'),
    key: join(pkiDir, 'client.key'),
  };
  const members = options.members.map((m) => ({
    ...m,
    clientPort: m.clientPort ?? defaults.clientPort,
    peerPort: m.peerPort ?? defaults.peerPort,
    dataDir: join(dir, m.name, 'data'),
    confDir: join(dir, m.name, 'conf'),
  }));
  const url = (host: string, port: number) => `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const endpoints = members.map((m) => url(m.host, m.clientPort));
  const initialCluster = members.map((m) => `${m.name}=${url(m.host, m.peerPort)}`).join(',');
  const member = (name: string) => {
    const found = members.find((m) => m.name === name);
    if (!found) throw new Error(`etcd cluster under ${dir} has no member "${name}"`);
    return found;
  };

  async function pidOf(name: string): Promise<number | undefined> {
    const m = member(name);
    const text = await readFile(join(m.confDir, 'etcd.pid'), 'utf8').catch(() => '');
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return undefined;
    // A pid reused by another process is not this member.
    return commandLine(pid)?.includes(`--data-dir=${m.dataDir}`) ? pid : undefined;
  }

  return {
    endpoints,
    clientFiles,
    async clientTls() {
      const [caPem, certPem, keyPem] = await Promise.all(
        [clientFiles.ca, clientFiles.cert, clientFiles.key].map((f) => readFile(f, 'utf8')),
      );
      return { caPem: caPem!, certPem: certPem!, keyPem: keyPem! };
    },
    async start() {
      await mkdir(pkiDir, { recursive: true, mode: 0o700 });
      const ca = await ensureCa(pkiDir);
      await ensurePair(pkiDir, 'client', ca, { commonName: 'garden', usage: 'client' });
      const missing = [];
      for (const m of members) if ((await pidOf(m.name)) === undefined) missing.push(m);
      await Promise.all(
        missing.map(async (m) => {
          const pair = await ensurePair(pkiDir, m.name, ca, {
            commonName: m.name,
            ipAddresses: [m.host, '127.0.0.1'],
            dnsNames: ['localhost'],
            usage: 'both',
          });
          const server = await startEtcd({
            name: m.name,
            dataDir: m.dataDir,
            confDir: m.confDir,
            clientHost: m.host,
            clientPort: m.clientPort,
            peerPort: m.peerPort,
            tls: { caPem: ca.certPem, ...pair, clientCertAuth: true },
            peer: {
              host: m.host,
              initialCluster,
              clusterToken: options.clusterToken ?? defaults.clusterToken,
              tls: pair,
            },
            ...(m.wrap ? { wrap: m.wrap } : {}),
            detached: true,
            ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
            ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
          });
          // Detached: it outlives this process; the pid file is how anyone finds it again.
          server.exited.catch(() => undefined);
        }),
      );
    },
    pidOf,
    async stopMember(name, stopOptions = {}) {
      const pid = await pidOf(name);
      if (pid === undefined) return;
      if (stopOptions.kill) {
        process.kill(pid, 'SIGKILL');
        while (isProcessAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
      } else {
        await terminateProcess(pid);
      }
    },
    async stop() {
      await Promise.all(members.map((m) => this.stopMember(m.name)));
    },
  };
}

async function ensureCa(pkiDir: string): Promise<CertificateAuthority> {
  const existing = await readPair(join(pkiDir, 'ca'));
  if (existing) return existing;
  const ca = await generateCertificateAuthority('transplant-garden-etcd-ca', 3650);
  await writePair(join(pkiDir, 'ca'), ca);
  return ca;
}

/** The pair `<name>.crt/.key` under `pkiDir`, issued by `ca` when missing. */
async function ensurePair(
  pkiDir: string,
  name: string,
  ca: CertificateAuthority,
  request: Parameters<typeof issueCertificate>[1],
): Promise<CertificateAndKey> {
  const existing = await readPair(join(pkiDir, name));
  if (existing) return existing;
  const pair = await issueCertificate(ca, { validityDays: 3650, ...request });
  await writePair(join(pkiDir, name), pair);
  return pair;
}

async function readPair(base: string): Promise<CertificateAndKey | undefined> {
  try {
    return { certPem: await readFile(`${base}.crt`, 'utf8'), keyPem: await readFile(`${base}.key`, 'utf8') };
  } catch {
    return undefined;
  }
}

/** Key first: an interrupted write leaves a key without certificate, which the next start replaces. */
async function writePair(base: string, pair: CertificateAndKey): Promise<void> {
  await writeFileAtomic(`${base}.key`, pair.keyPem, 0o600);
  await writeFileAtomic(`${base}.crt`, pair.certPem);
}
