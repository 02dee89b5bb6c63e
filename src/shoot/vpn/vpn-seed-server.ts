/**
 * A shoot's vpn-seed-server: the seed's end of the tunnels its nodes open. It listens on the
 * shoot's stable address (next to the kube-apiserver, as Gardener's reversed VPN shares the API
 * server's load balancer), so a node reaches it wherever the control plane runs, and only if the
 * node may reach that seed's network — which is the seed document's second pitfall.
 *
 * A node authenticates with its client certificate (signed by the shoot's `ca-client`, CN
 * `system:node:<name>`, O `system:nodes`); the tunnel is known by that name. The API server sends
 * requests to a node through `request()`; a node without a tunnel, a tunnel that closes, or a node
 * that does not answer in time is a `NodeUnreachableError` that says which.
 *
 * Dead tunnels are found by WebSocket pings: one without a pong for two intervals is closed.
 */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { NODES_GROUP, nodeNameOfUser, nodeUserName } from '../node-identity.js';
import {
  decodeFrame,
  MAX_TUNNEL_FRAME_BYTES,
  type NodeHttpRequest,
  type NodeHttpResponse,
  requestFrame,
  TUNNEL_SUBPROTOCOL,
} from './tunnel-protocol.js';

/** The port of every shoot's vpn-seed-server on its stable address (Gardener's reversed-VPN port). */
export const VPN_SEED_SERVER_PORT = 8132;

export interface VpnSeedServerOptions {
  /** The shoot's technical id (logs, errors). */
  name: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Signed by the shoot's `ca`, naming its stable address and the seed (src/shoot/serving-seed.ts). */
  serving: { certPem: string; keyPem: string };
  /** The shoot's `ca-client`: only nodes with certificates it signed get a tunnel. */
  clientCaPem: string;
  logger: Logger;
  /** How long a request waits for the node's answer; default 10 s. */
  requestTimeoutMs?: number;
  /** Ping interval; default 5 s. */
  keepAliveMs?: number;
}

/** How the shoot's API server reaches its nodes. */
export interface NodeTunnels {
  request(node: string, req: NodeHttpRequest): Promise<NodeHttpResponse>;
  /** The nodes with an open tunnel. */
  connectedNodes(): string[];
}

export interface VpnSeedServer extends NodeTunnels {
  /** `wss://<host>:<port>` */
  url: string;
  stop(): Promise<void>;
}

/** The node cannot be reached through the tunnel; `message` says why. */
export class NodeUnreachableError extends Error {
  readonly node: string;
  constructor(node: string, message: string) {
    super(message);
    this.node = node;
  }
}

interface Pending {
  resolve(res: NodeHttpResponse): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

interface Tunnel {
  node: string;
  socket: WebSocket;
  pending: Map<number, Pending>;
  alive: boolean;
}

export async function startVpnSeedServer(options: VpnSeedServerOptions): Promise<VpnSeedServer> {
  const { name, logger } = options;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const tunnels = new Map<string, Tunnel>();
  let nextId = 1;

  const server: Server = createServer(
    {
      cert: options.serving.certPem,
      key: options.serving.keyPem,
      ca: options.clientCaPem,
      requestCert: true,
      // Checked at the upgrade, so a client without a valid certificate hears why.
      rejectUnauthorized: false,
    },
    (_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' });
      res.end(`the vpn-seed-server of ${name}: node agents connect with a WebSocket (${TUNNEL_SUBPROTOCOL})\n`);
    },
  );
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_TUNNEL_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has(TUNNEL_SUBPROTOCOL) ? TUNNEL_SUBPROTOCOL : false),
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const node = authenticatedNode(req.socket as TLSSocket);
    if (typeof node !== 'string') {
      refuseUpgrade(socket, 401, node.refused);
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(TUNNEL_SUBPROTOCOL)) {
      refuseUpgrade(socket, 400, `the tunnel subprotocol ${TUNNEL_SUBPROTOCOL} is required`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(node, ws));
  });

  const accept = (node: string, socket: WebSocket) => {
    const previous = tunnels.get(node);
    // A node has one tunnel: a reconnect replaces one this end has not yet seen closing.
    if (previous) previous.socket.close(4000, 'replaced by a newer tunnel of the same node');
    const tunnel: Tunnel = { node, socket, pending: new Map(), alive: true };
    tunnels.set(node, tunnel);
    logger.info({ node }, 'node tunnel connected');
    socket.on('pong', () => {
      tunnel.alive = true;
    });
    socket.on('message', (data, isBinary) => {
      try {
        if (isBinary) throw new Error('binary frames are not part of the tunnel protocol');
        const frame = decodeFrame(data.toString());
        if (frame.type !== 'response') throw new Error('a node sends responses only');
        const pending = tunnel.pending.get(frame.id);
        if (!pending) return; // timed out already
        tunnel.pending.delete(frame.id);
        clearTimeout(pending.timer);
        pending.resolve({ status: frame.status, headers: frame.headers, body: Buffer.from(frame.body, 'base64') });
      } catch (err) {
        logger.warn({ node, err: (err as Error).message }, 'closing a tunnel that broke the protocol');
        socket.close(1008, (err as Error).message.slice(0, 120));
      }
    });
    socket.on('close', () => {
      for (const pending of tunnel.pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(new NodeUnreachableError(node, `the tunnel of node ${node} closed before it answered`));
      }
      tunnel.pending.clear();
      if (tunnels.get(node) === tunnel) {
        tunnels.delete(node);
        logger.info({ node }, 'node tunnel closed');
      }
    });
    socket.on('error', (err) => logger.debug({ node, err: err.message }, 'node tunnel error'));
  };

  const keepAlive = setInterval(() => {
    for (const tunnel of tunnels.values()) {
      if (!tunnel.alive) {
        logger.warn({ node: tunnel.node }, 'node tunnel did not answer a ping; closing it');
        tunnel.socket.terminate();
        continue;
      }
      tunnel.alive = false;
      tunnel.socket.ping();
    }
  }, options.keepAliveMs ?? 5_000);
  keepAlive.unref();

  server.listen(options.port, options.host);
  try {
    await once(server, 'listening');
  } catch (err) {
    clearInterval(keepAlive);
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = `wss://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  logger.info({ url }, `vpn-seed-server of ${name} started`);

  return {
    url,
    connectedNodes: () => [...tunnels.keys()].sort(),
    request(node, req) {
      const tunnel = tunnels.get(node);
      if (!tunnel) {
        return Promise.reject(
          new NodeUnreachableError(node, `node ${node} has no tunnel to the vpn-seed-server of ${name}`),
        );
      }
      const id = nextId++;
      return new Promise<NodeHttpResponse>((resolve, reject) => {
        const timer = setTimeout(() => {
          tunnel.pending.delete(id);
          reject(new NodeUnreachableError(node, `node ${node} did not answer within ${requestTimeoutMs} ms`));
        }, requestTimeoutMs);
        tunnel.pending.set(id, { resolve, reject, timer });
        tunnel.socket.send(requestFrame(id, req), (err) => {
          if (!err) return;
          clearTimeout(timer);
          tunnel.pending.delete(id);
          reject(new NodeUnreachableError(node, `the tunnel of node ${node} failed: ${err.message}`));
        });
      });
    },
    async stop() {
      clearInterval(keepAlive);
      for (const tunnel of tunnels.values()) tunnel.socket.terminate();
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      wss.close();
      await closed;
      logger.info({ url }, `vpn-seed-server of ${name} stopped`);
    },
  };
}

/** The node a TLS client certificate names, or why it gets no tunnel. */
function authenticatedNode(socket: TLSSocket): string | { refused: string } {
  if (!socket.authorized) {
    return {
      refused: `a client certificate signed by the shoot's client CA is required (${socket.authorizationError ?? 'none sent'})`,
    };
  }
  const subject = socket.getPeerCertificate().subject as { CN?: string | string[]; O?: string | string[] } | undefined;
  const cn = [subject?.CN ?? []].flat()[0] ?? '';
  const node = nodeNameOfUser({ name: cn, groups: [subject?.O ?? []].flat() });
  if (node === undefined) {
    return {
      refused: `only nodes (${nodeUserName('<name>')} in ${NODES_GROUP}) open tunnels; this certificate is for ${cn || 'nobody'}`,
    };
  }
  return node;
}

function refuseUpgrade(socket: Socket, code: 400 | 401, message: string): void {
  const reason = code === 401 ? 'Unauthorized' : 'Bad Request';
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${code} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
