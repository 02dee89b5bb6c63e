/**
 * A TCP proxy in front of one address, which a test can cut and restore: the network path between
 * two components (e.g. a seed and its backup store) while everything else keeps its direct path.
 *
 * While cut, every open connection is reset and every new one is reset as soon as it is accepted,
 * so clients fail at once with ECONNRESET instead of waiting for a timeout. The listener stays
 * open throughout, so the proxy's port never changes hands.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxyOptions {
  targetHost: string;
  targetPort: number;
  /** Where the proxy listens; default 127.0.0.1. */
  host?: string;
}

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` (for S3 endpoints and the like). */
  readonly url: string;
  readonly isCut: boolean;
  /** Connections accepted and forwarded since the start. */
  readonly forwarded: number;
  /** Connections reset because the proxy was cut (open ones and new ones). */
  readonly refused: number;
  /** Resets every open connection; new ones are reset until `restore()`. */
  cut(): void;
  restore(): void;
  /** Stops listening and resets every connection. */
  close(): Promise<void>;
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const host = options.host ?? '127.0.0.1';
  /** Forwarded connections still open: [client side, upstream side]. */
  const open = new Set<[Socket, Socket]>();
  let isCut = false;
  let forwarded = 0;
  let refused = 0;

  const reset = (socket: Socket) => {
    if (socket.destroyed) return;
    // An RST rather than a FIN: the peer sees a broken connection, not a clean end of stream.
    // Only on a connection open both ways: Node 20's resetAndDestroy() on a half-closed socket
    // leaves a handle that keeps the event loop spinning at 100 % CPU forever.
    if (socket.readyState === 'open') socket.resetAndDestroy();
    else socket.destroy();
  };

  const server = createServer((client) => {
    if (isCut) {
      refused++;
      client.on('error', () => {});
      reset(client);
      return;
    }
    forwarded++;
    const upstream = createConnection({ host: options.targetHost, port: options.targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    open.add(pair);
    for (const socket of pair) {
      socket.setNoDelay(true);
      // Either side failing or closing takes the other one down with it, as a broken path would.
      socket.on('error', () => {
        for (const s of pair) reset(s);
      });
      socket.on('close', () => {
        open.delete(pair);
        for (const s of pair) if (!s.destroyed) s.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const port = address.port;

  const resetAll = () => {
    for (const pair of open) {
      refused++;
      for (const socket of pair) reset(socket);
    }
    open.clear();
  };

  return {
    host,
    port,
    url: `http://${host}:${port}`,
    get isCut() {
      return isCut;
    },
    get forwarded() {
      return forwarded;
    },
    get refused() {
      return refused;
    },
    cut() {
      isCut = true;
      resetAll();
    },
    restore() {
      isCut = false;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      resetAll();
      await closed;
    },
  };
}
