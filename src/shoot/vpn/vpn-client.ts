/**
 * The node's end of the shoot's VPN (Gardener's vpn-shoot): it dials the shoot's vpn-seed-server
 * at the shoot's stable address, keeps that tunnel open, and answers the requests that come
 * through it with `serve`. A tunnel that closes (the control plane stopped for a migration, a
 * seed went away) is dialled again every `reconnectMs`, so after a migration the node is
 * reachable as soon as the destination's vpn-seed-server listens.
 *
 * The machine's egress policy applies: a denied seed fails in the TLS handshake, and an open
 * tunnel to a seed that becomes denied is dropped, as a firewall would.
 */
import type { Logger } from 'pino';
import WebSocket, { type ClientOptions } from 'ws';
import type { ClusterCredentials } from '../../client/kubeconfig-file.js';
import { EgressPolicy } from '../egress-policy.js';
import {
  decodeFrame,
  MAX_TUNNEL_FRAME_BYTES,
  type NodeHttpRequest,
  type NodeHttpResponse,
  responseFrame,
  TUNNEL_SUBPROTOCOL,
} from './tunnel-protocol.js';

export interface VpnClientOptions {
  /** `wss://<stable address>:<port>` of the shoot's vpn-seed-server. */
  url: string;
  /** The shoot's CA and the node's client certificate (from the node's kubeconfig), as of each dial. */
  credentials: ClusterCredentials | (() => ClusterCredentials);
  egress?: EgressPolicy;
  /** Answers one request of the API server. */
  serve(req: NodeHttpRequest): Promise<NodeHttpResponse>;
  logger: Logger;
  /** Between dial attempts, and how often an open tunnel is checked against the egress policy; default 1 s. */
  reconnectMs?: number;
  /** A tunnel whose server does not answer a ping within this is dropped and dialled again; default 10 s. */
  pingTimeoutMs?: number;
}

export interface VpnClient {
  /** The seed whose vpn-seed-server holds the tunnel, or undefined while there is none. */
  connectedSeed(): string | undefined;
  connected(): boolean;
  /** The last reason the tunnel could not be opened (undefined while it is open). */
  lastError(): string | undefined;
  stop(): Promise<void>;
}

export function startVpnClient(options: VpnClientOptions): VpnClient {
  const { logger } = options;
  const egress = options.egress ?? new EgressPolicy();
  const reconnectMs = options.reconnectMs ?? 1_000;
  const pingTimeoutMs = options.pingTimeoutMs ?? 10_000;
  let socket: WebSocket | undefined;
  let open = false;
  let seed: string | undefined;
  let lastError: string | undefined;
  let stopped = false;
  let redial: NodeJS.Timeout | undefined;
  let lastPong = Date.now();

  const fail = (message: string) => {
    if (message !== lastError) logger.warn({ vpn: options.url, err: message }, 'VPN tunnel not open; retrying');
    lastError = message;
  };

  const dial = () => {
    redial = undefined;
    if (stopped) return;
    let handshakeSeed: string | undefined;
    /** The server said why it refused; the error that closing the socket raises adds nothing. */
    let refused = false;
    const credentials = typeof options.credentials === 'function' ? options.credentials() : options.credentials;
    const ws = new WebSocket(options.url, TUNNEL_SUBPROTOCOL, {
      ca: credentials.caPem,
      cert: credentials.clientCertPem,
      key: credentials.clientKeyPem,
      rejectUnauthorized: !credentials.insecureSkipTlsVerify,
      // ws hands its TLS options to tls.connect, whose check returns an Error to refuse (ws's
      // typings describe an older boolean form).
      checkServerIdentity: egress.serverIdentityCheck((s) => {
        handshakeSeed = s;
      }) as unknown as ClientOptions['checkServerIdentity'],
      maxPayload: MAX_TUNNEL_FRAME_BYTES,
      handshakeTimeout: 5_000,
      perMessageDeflate: false,
    });
    socket = ws;
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => {
        refused = true;
        fail(`the vpn-seed-server refused the tunnel: HTTP ${res.statusCode} ${body.trim()}`);
        ws.terminate();
      });
    });
    ws.on('open', () => {
      open = true;
      seed = handshakeSeed;
      lastPong = Date.now();
      if (lastError !== undefined) logger.info({ vpn: options.url, seed }, 'VPN tunnel open again');
      else logger.info({ vpn: options.url, seed }, 'VPN tunnel open');
      lastError = undefined;
    });
    ws.on('ping', () => {
      lastPong = Date.now();
    });
    ws.on('pong', () => {
      lastPong = Date.now();
    });
    ws.on('message', (data, isBinary) => {
      void answer(ws, data.toString(), isBinary);
    });
    ws.on('error', (err) => {
      if (!refused) fail(err.message);
    });
    ws.on('close', (code, reason) => {
      if (socket === ws) {
        socket = undefined;
        if (open) fail(`the tunnel closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`);
        open = false;
        seed = undefined;
      }
      if (!stopped && !redial) redial = setTimeout(dial, reconnectMs);
    });
  };

  const answer = async (ws: WebSocket, data: string, isBinary: boolean) => {
    let id: number | undefined;
    try {
      if (isBinary) throw new Error('binary frames are not part of the tunnel protocol');
      const frame = decodeFrame(data);
      if (frame.type !== 'request') throw new Error('the vpn-seed-server sends requests only');
      id = frame.id;
      const res = await options
        .serve({
          method: frame.method,
          path: frame.path,
          headers: frame.headers,
          ...(frame.body !== undefined ? { body: Buffer.from(frame.body, 'base64') } : {}),
        })
        .catch((err: Error) => ({
          status: 500,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: Buffer.from(`${err.message}\n`),
        }));
      if (ws.readyState === WebSocket.OPEN) ws.send(responseFrame(frame.id, res));
    } catch (err) {
      logger.warn({ err: (err as Error).message, id }, 'closing a tunnel that broke the protocol');
      ws.close(1008, (err as Error).message.slice(0, 120));
    }
  };

  // A firewall rule also cuts what is open; a server that stopped answering pings is gone.
  const watchdog = setInterval(() => {
    const ws = socket;
    if (!ws || !open) return;
    if (egress.denies(seed)) {
      fail(egress.deniedError(seed).message);
      ws.terminate();
    } else if (Date.now() - lastPong > pingTimeoutMs) {
      fail(`the vpn-seed-server did not answer for ${pingTimeoutMs} ms`);
      ws.terminate();
    } else if (Date.now() - lastPong > pingTimeoutMs / 2) {
      ws.ping();
    }
  }, reconnectMs);
  dial();

  return {
    connectedSeed: () => (open ? seed : undefined),
    connected: () => open,
    lastError: () => (open ? undefined : (lastError ?? 'not yet connected')),
    async stop() {
      stopped = true;
      clearInterval(watchdog);
      if (redial) clearTimeout(redial);
      const ws = socket;
      if (!ws || ws.readyState === WebSocket.CLOSED) return;
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      ws.close(1000, 'node agent stopping');
      const timer = setTimeout(() => ws.terminate(), 2_000);
      await closed;
      clearTimeout(timer);
    },
  };
}
