/**
 * Whether a TLS listener answers at `host:port` as the one meant: a TCP connect and a TLS
 * handshake within a time, and the certificate's common name as expected. Seeds probe each
 * other's etcd peer probe listener this way before a live migration
 * (src/seed/gardenlet/etcd-peer-probe.ts), and a machine's node agent probes a seed's for a
 * migration preflight (src/api/migration-transplant/migration-preflight.ts): the probe proves a
 * path through the network, not an identity (the listener's certificate is self-signed), so only
 * the name is checked, against a stale endpoint now served by something else.
 */
import { connect, createSecureContext, type SecureContext } from 'node:tls';

export interface TlsListenerProbeResult {
  endpoint: string;
  reachable: boolean;
  /** What failed: the connect, the handshake, the name, the time, or `refuse`'s reason. */
  error?: string;
}

export interface TlsListenerProbe {
  /** `host:port` (IPv6 in brackets). */
  endpoint: string;
  /** The common name the listener's certificate must carry. */
  commonName: string;
  /** What the listener is, for the message about a wrong name (`seed "seed-b"'s etcd peer probe`). */
  describe: string;
  timeoutMs: number;
  /** A reason this caller may not count the listener as reached (a machine's egress deny list). */
  refuse?: () => string | undefined;
}

/** `host:port` apart; undefined when it is not one. */
export function parseEndpoint(endpoint: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(endpoint);
  const port = Number(match?.[3]);
  if (!match || !(port > 0 && port < 65536)) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

let sharedContext: SecureContext | undefined;
/** One secure context for every probe (it carries no identity): probes run every few seconds. */
const probeContext = (): SecureContext => {
  sharedContext ??= createSecureContext();
  return sharedContext;
};

export function probeTlsListener(probe: TlsListenerProbe): Promise<TlsListenerProbeResult> {
  const { endpoint, commonName, describe, timeoutMs } = probe;
  const target = parseEndpoint(endpoint);
  if (!target)
    return Promise.resolve({ endpoint, reachable: false, error: `not a host:port: ${JSON.stringify(endpoint)}` });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ endpoint, reachable: error === undefined, ...(error !== undefined ? { error } : {}) });
    };
    // Only reachability is judged here: the listener's certificate is self-signed by design.
    const socket = connect({
      host: target.host,
      port: target.port,
      rejectUnauthorized: false,
      secureContext: probeContext(),
    });
    const timer = setTimeout(() => finish(`no TLS handshake within ${timeoutMs} ms`), timeoutMs);
    socket.once('secureConnect', () => {
      const name = socket.getPeerCertificate().subject?.CN;
      if (name !== commonName) {
        finish(`the TLS listener at ${endpoint} is not ${describe} (certificate ${JSON.stringify(name ?? '')})`);
        return;
      }
      finish(probe.refuse?.());
    });
    socket.once('error', (err) => finish(err.message));
  });
}
