/**
 * The seed's etcd peer probe: a TLS listener on the address the seed's etcd members listen on for
 * peers, which other seeds' gardenlets connect to before a live migration is allowed
 * (src/api/core-gardener/etcd-peer-reachability.ts). It is etcd-agnostic: it exists whether or not
 * any etcd runs here, answers the TLS handshake and closes. A cut between the seeds' hosts (a
 * firewall, a route) stops it as it would stop etcd's peer traffic on the same address.
 *
 * Its certificate is self-signed, made at start and never stored: a probe proves reachability,
 * not identity (the members' own peer TLS, from the shoot's `ca-etcd`, authenticates them). The
 * prober still checks the certificate names the seed it meant to reach, so a stale endpoint now
 * served by something else does not count.
 */
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:tls';
import type { EtcdPeerProbeResult } from '../../api/core-gardener/etcd-peer-reachability.js';
import { generateCertificateAuthority } from '../../apiserver/pki/certificates.js';
import { parseEndpoint, probeTlsListener } from '../../shoot/tls-listener-probe.js';

/** The certificate's common name a seed's probe listener presents. */
export function probeCommonName(seed: string): string {
  return `etcd-peer-probe.${seed}`;
}

export interface EtcdPeerProbeListener {
  /** The port it listens on (the one asked for, or the one the kernel picked for 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens on `host` and completes the TLS handshake of every probe. The port is the one kept in
 * `portFile` from an earlier start when it is still free (so a restarted seed publishes the same
 * endpoint and the other seeds' reports stay valid), else a free one, written there.
 */
export async function startEtcdPeerProbeListener(options: {
  seed: string;
  host: string;
  portFile: string;
}): Promise<EtcdPeerProbeListener> {
  const { certPem, keyPem } = await generateCertificateAuthority(probeCommonName(options.seed), 3650);
  const server: Server = createServer({ cert: certPem, key: keyPem }, (socket) => socket.end());
  // A prober that gives up mid-handshake resets the connection: nothing to report.
  server.on('tlsClientError', () => {});
  const kept = await readKeptPort(options.portFile);
  const listen = async (port: number) => {
    server.listen(port, options.host);
    await once(server, 'listening');
  };
  try {
    await listen(kept ?? 0);
  } catch (err) {
    if (kept === undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    await listen(0);
  }
  const port = (server.address() as AddressInfo).port;
  if (port !== kept) await writeFile(options.portFile, `${JSON.stringify({ port })}\n`, { mode: 0o600 });
  return {
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function readKeptPort(file: string): Promise<number | undefined> {
  try {
    const { port } = JSON.parse(await readFile(file, 'utf8')) as { port?: unknown };
    return typeof port === 'number' && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** `host:port` for an address and port (IPv6 in brackets). */
export function formatEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The endpoint to publish: `address` as given when it has a port, else with the listener's `port`. */
export function advertisedEtcdPeerEndpoint(address: string, port: number): string {
  return parseEndpoint(address) ? address : formatEndpoint(address, port);
}

/**
 * Connects to `seed`'s published `endpoint` and completes a TLS handshake within `timeoutMs`;
 * the answer names what failed (the connect, the handshake, the certificate's name, the time).
 */
export function probeEtcdPeerEndpoint(seed: string, endpoint: string, timeoutMs: number): Promise<EtcdPeerProbeResult> {
  return probeTlsListener({
    endpoint,
    commonName: probeCommonName(seed),
    describe: `seed "${seed}"'s etcd peer probe`,
    timeoutMs,
  });
}
