/**
 * How long a client may take, set on purpose rather than left to Node's defaults, against slow
 * clients that hold connections open (slowloris): headers trickled, a body trickled, a TLS
 * handshake never finished, a keep-alive connection left idle. A watch or a proxied stream is a
 * long response, not a long request: none of these cut it.
 */
import type { ServerOptions } from 'node:https';

export interface ConnectionTimeouts {
  /** A TLS handshake must be done within this (kube-apiserver: its ReadHeaderTimeout, 32 s, bounds the handshake too). */
  handshakeMs: number;
  /** A request's headers must have arrived within this of its first byte (kube-apiserver's ReadHeaderTimeout: 32 s). */
  headersMs: number;
  /** The whole request, headers and body, must have arrived within this (kube-apiserver's `--request-timeout`: 60 s). */
  requestMs: number;
  /**
   * A keep-alive connection idle this long is closed. Advertised to clients in `Keep-Alive:
   * timeout=…`, which Node's agent honours by dropping the socket a second before.
   */
  keepAliveMs: number;
  /** How often the headers and request deadlines are checked: each may be passed by up to this. */
  checkIntervalMs: number;
}

export const defaultConnectionTimeouts: Readonly<ConnectionTimeouts> = Object.freeze({
  handshakeMs: 32_000,
  headersMs: 32_000,
  requestMs: 60_000,
  keepAliveMs: 65_000,
  checkIntervalMs: 1_000,
});

/** The options of `https.createServer` that carry the timeouts. */
export function timeoutServerOptions(timeouts: Partial<ConnectionTimeouts> = {}): ServerOptions {
  const t = { ...defaultConnectionTimeouts, ...timeouts };
  return {
    handshakeTimeout: t.handshakeMs,
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    connectionsCheckingInterval: t.checkIntervalMs,
  };
}
