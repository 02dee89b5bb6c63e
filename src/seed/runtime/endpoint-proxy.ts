/**
 * A TCP listener on a shoot's endpoint that splices every connection it accepts to one of its
 * backends, round robin (docs/ha-control-planes.md, "Two kube-apiserver replicas behind one
 * endpoint"). It does not look into the bytes: TLS ends at the backend, so client certificates
 * reach the kube-apiserver as they were sent. Who owns it decides which backends are ready
 * (`setBackends`); a backend that refuses a connection is skipped for that connection.
 *
 * It is also where a live migration moves the endpoint on one host (docs/live-migration.md):
 * replace the backends with the destination's, then `destroyConnections()` so that clients
 * reconnect at once, to the new backends.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Where a backend listens. */
export interface ProxyBackend {
  host: string;
  port: number;
}

export class EndpointProxy {
  readonly #server: Server;
  readonly #connections = new Set<Socket>();
  #backends: readonly ProxyBackend[] = [];
  #next = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on `host:port` (0: a free port) with no backend yet: until `setBackends`, connections are reset. */
  static async listen(host: string, port: number): Promise<EndpointProxy> {
    const proxy = EndpointProxy.unbound();
    await proxy.bind(host, port);
    return proxy;
  }

  /**
   * A proxy that does not listen yet (a live migration's destination: `bind` once the source's
   * proxy lets go of the endpoint); backends may be set before.
   */
  static unbound(): EndpointProxy {
    const server = createServer({ noDelay: true });
    const proxy = new EndpointProxy(server);
    server.on('connection', (client) => proxy.#splice(client));
    return proxy;
  }

  get listening(): boolean {
    return this.#server.listening;
  }

  /** Listens on `host:port`; rejects with the listen error (e.g. `EADDRINUSE`), and may be called again then. */
  bind(host: string, port: number): Promise<void> {
    const server = this.#server;
    // Both listeners are taken away whichever comes: `expose` may try hundreds of times.
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        server.off('listening', onListening);
        reject(err);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ host, port, exclusive: true });
    });
  }

  /** The port it listens on. */
  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  get backends(): readonly ProxyBackend[] {
    return this.#backends;
  }

  /** Where new connections go from now on; connections already spliced stay where they are. */
  setBackends(backends: readonly ProxyBackend[]): void {
    this.#backends = backends.map((b) => ({ ...b }));
  }

  /** Closes every spliced connection (both sides); the listener stays. */
  destroyConnections(): void {
    for (const socket of this.#connections) socket.destroy();
    this.#connections.clear();
  }

  /** Stops accepting connections; those already spliced go on until `destroyConnections` or `close`. */
  stopListening(): void {
    if (this.#server.listening) this.#server.close();
  }

  /** Stops listening and closes every connection: from then on the address refuses connections. */
  async close(): Promise<void> {
    const closed = this.#server.listening
      ? new Promise<void>((resolve) => this.#server.close(() => resolve()))
      : Promise.resolve();
    this.destroyConnections();
    await closed;
  }

  #splice(client: Socket): void {
    this.#track(client);
    client.on('error', () => client.destroy());
    this.#connectUpstream(client, this.#backends.length);
  }

  /** Connects `client` to the next backend; one that fails before connecting is skipped, `attempts` times at most. */
  #connectUpstream(client: Socket, attempts: number): void {
    const backend = this.#pick();
    if (!backend || attempts <= 0 || client.destroyed) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: backend.host, port: backend.port, noDelay: true });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      this.#track(upstream);
      client.on('close', () => upstream.destroy());
      // A replica that closed after its last answer (a drain): that answer may still be on its way
      // to the client, so the client's side is ended, not destroyed.
      upstream.on('close', (hadError) => (hadError ? client.destroy() : client.end()));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => {
      upstream.destroy();
      if (!connected) this.#connectUpstream(client, attempts - 1);
      else client.destroy();
    });
  }

  #pick(): ProxyBackend | undefined {
    if (this.#backends.length === 0) return undefined;
    const backend = this.#backends[this.#next % this.#backends.length];
    this.#next = (this.#next + 1) % this.#backends.length;
    return backend;
  }

  #track(socket: Socket): void {
    this.#connections.add(socket);
    socket.once('close', () => this.#connections.delete(socket));
  }
}
