/**
 * A highly available shoot's kube-apiserver replicas behind its endpoint
 * (docs/ha-control-planes.md, "Two kube-apiserver replicas behind one endpoint"): each replica
 * on a free port of the shoot's bind address, an `EndpointProxy` on the endpoint splicing each
 * connection to a ready replica. A supervision loop, every `intervalMs`, asks each replica's
 * `/readyz` (TLS verified with the shoot's `ca`), takes a replica out after two failed checks in
 * a row, and starts a replica that is gone again (as the kubelet restarts a container) while the
 * others serve.
 */
import { request } from 'node:https';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { listenWhenFree, type ShootApiServer } from '../../shoot/kube-apiserver.js';
import type { ReleaseReads } from '../../storage/etcd/read-gate.js';
import { EndpointProxy, type ProxyBackend } from './endpoint-proxy.js';

export interface ApiServerReplicasOptions {
  /** The shoot's technical id (logs). */
  name: string;
  /** The endpoint: the shoot's bind address and API port. */
  host: string;
  port: number;
  replicas: number;
  /** Signs the replicas' serving certificate: the health checks verify it. */
  servingCaPem: string;
  /**
   * The proxy does not listen yet: a live migration's destination starts its replicas (each on
   * its own free port, serving from the joint etcd cluster) and binds the endpoint with `expose`
   * once the source's proxy stops listening.
   */
  deferListen?: boolean;
  /** Starts replica `index` on a free port of `host`. */
  start(index: number): Promise<ShootApiServer>;
  logger: Logger;
  /** Between two health checks; default 1 s. */
  intervalMs?: number;
  /**
   * A test's way to make replicas fail (`TRANSPLANT_APISERVER_FAULT_FILE`, `apiServerFaultsFromEnv`):
   * the indexes of the replicas that are to be down now. A named replica is stopped as if it had
   * crashed, and started again once it is no longer named.
   */
  failed?: () => Promise<ReadonlySet<number>>;
}

interface Replica {
  server: ShootApiServer | undefined;
  backend: ProxyBackend | undefined;
  failedChecks: number;
}

/** Failed `/readyz` checks in a row after which a replica gets no new connections. */
const FAILURE_THRESHOLD = 2;
const CHECK_TIMEOUT_MS = 2_000;

export class ApiServerReplicas {
  readonly proxy: EndpointProxy;
  readonly #o: ApiServerReplicasOptions;
  readonly #replicas: Replica[];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #tick: Promise<void> = Promise.resolve();

  private constructor(o: ApiServerReplicasOptions, proxy: EndpointProxy, replicas: Replica[]) {
    this.#o = o;
    this.proxy = proxy;
    this.#replicas = replicas;
  }

  /** The endpoint (the configured port until an unexposed proxy listens). */
  get url(): string {
    return `https://${this.#o.host.includes(':') ? `[${this.#o.host}]` : this.#o.host}:${this.proxy.listening ? this.proxy.port : this.#o.port}`;
  }

  /**
   * Starts the replicas one after another (each creates the shoot's bootstrap objects when
   * missing; one at a time they do not race), then the proxy with all of them (listening unless
   * `deferListen`).
   */
  static async start(o: ApiServerReplicasOptions): Promise<ApiServerReplicas> {
    const replicas: Replica[] = [];
    try {
      for (let i = 0; i < o.replicas; i++) {
        const server = await o.start(i);
        replicas.push({ server, backend: backendOf(server), failedChecks: 0 });
      }
      const proxy = o.deferListen ? EndpointProxy.unbound() : await EndpointProxy.listen(o.host, o.port);
      const set = new ApiServerReplicas(o, proxy, replicas);
      set.#updateBackends();
      set.#schedule();
      o.logger.info(
        { url: set.url, exposed: set.exposed, replicas: replicas.map((r) => r.server?.url) },
        `kube-apiserver replicas of ${o.name} serve`,
      );
      return set;
    } catch (err) {
      await Promise.all(replicas.map((r) => r.server?.stop()));
      throw err;
    }
  }

  /** The URLs of the replicas that run now (tests, logs). */
  get replicaUrls(): (string | undefined)[] {
    return this.#replicas.map((r) => r.server?.url);
  }

  /** The running replicas' `/metrics` as one text, each series with its `replica` label. */
  async metrics(): Promise<string> {
    const running = this.#replicas.flatMap((r) => (r.server ? [r.server.server.metrics] : []));
    return AggregatorRegistry.aggregate(await Promise.all(running.map((m) => m.getMetricsAsJSON()))).metrics();
  }

  /** The proxy listens on the endpoint (from the start, or since `expose`). */
  get exposed(): boolean {
    return this.proxy.listening;
  }

  /**
   * Binds the endpoint, tried again every `retryMs` while the address is in use (the source's
   * proxy still listens), as a single server's `expose`; the replicas already serve behind it.
   */
  async expose(retry: { retryMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.exposed) return;
    const { attempts, waitedMs } = await listenWhenFree(() => this.proxy.bind(this.#o.host, this.#o.port), retry);
    this.#o.logger.info({ url: this.url, attempts, waitedMs }, `kube-apiserver replicas of ${this.#o.name} listen`);
  }

  /** Stops accepting connections on the endpoint; the spliced ones go on until `stop`. */
  stopListening(): void {
    this.proxy.stopListening();
  }

  /** Every running replica's `holdEtcdReads`; the release lets all of them go. */
  async holdEtcdReads(): Promise<ReleaseReads> {
    const releases = await Promise.all(this.#replicas.flatMap((r) => (r.server ? [r.server.holdEtcdReads()] : [])));
    return () => {
      for (const release of releases) release();
    };
  }

  /**
   * Stops the proxy's listener first (clients see refused connections, not a replica going away),
   * then every replica, each draining its connections (its answers under way reach the clients
   * through the proxy), then the proxy's connections left.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#tick;
    this.proxy.stopListening();
    await Promise.all(this.#replicas.map((r) => r.server?.stop()));
    await this.proxy.close();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#supervise()
        .catch((err: unknown) =>
          this.#o.logger.error({ err }, `supervising the kube-apiserver replicas of ${this.#o.name} failed`),
        )
        .finally(() => this.#schedule());
    }, this.#o.intervalMs ?? 1_000);
  }

  async #supervise(): Promise<void> {
    const failed = (await this.#o.failed?.()) ?? new Set<number>();
    await Promise.all(
      this.#replicas.map(async (replica, index) => {
        if (failed.has(index)) return this.#fail(replica, index);
        if (!replica.server) return this.#restart(replica, index);
        const wasOut = replica.failedChecks >= FAILURE_THRESHOLD;
        replica.failedChecks = (await ready(replica.server.url, this.#o.servingCaPem)) ? 0 : replica.failedChecks + 1;
        const isOut = replica.failedChecks >= FAILURE_THRESHOLD;
        if (isOut !== wasOut)
          this.#o.logger.warn(
            { replica: index, url: replica.server.url },
            isOut
              ? `kube-apiserver replica ${index} of ${this.#o.name} fails /readyz: no new connections`
              : `kube-apiserver replica ${index} of ${this.#o.name} is ready again`,
          );
      }),
    );
    this.#updateBackends();
  }

  async #fail(replica: Replica, index: number): Promise<void> {
    const server = replica.server;
    if (!server) return;
    replica.server = undefined;
    replica.backend = undefined;
    this.#updateBackends();
    this.#o.logger.warn(
      { replica: index, url: server.url },
      `kube-apiserver replica ${index} of ${this.#o.name} fails (fault injected)`,
    );
    await server.stop();
  }

  async #restart(replica: Replica, index: number): Promise<void> {
    if (this.#stopped) return;
    try {
      const server = await this.#o.start(index);
      if (this.#stopped) {
        await server.stop();
        return;
      }
      Object.assign(replica, { server, backend: backendOf(server), failedChecks: 0 });
      this.#o.logger.info(
        { replica: index, url: server.url },
        `kube-apiserver replica ${index} of ${this.#o.name} started again`,
      );
    } catch (err) {
      this.#o.logger.warn(
        { err, replica: index },
        `kube-apiserver replica ${index} of ${this.#o.name} could not be started`,
      );
    }
  }

  /**
   * The ready replicas get new connections; when none passes its checks, every running one does
   * (a loaded host can time out a check: trying is better than refusing).
   */
  #updateBackends(): void {
    const running = this.#replicas.filter((r) => r.backend);
    const ready = running.filter((r) => r.failedChecks < FAILURE_THRESHOLD);
    this.proxy.setBackends((ready.length > 0 ? ready : running).map((r) => r.backend!));
  }
}

function backendOf(server: ShootApiServer): ProxyBackend {
  const url = new URL(server.url);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
}

/** `GET <url>/readyz` answers 200 within the timeout. */
function ready(url: string, caPem: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${url}/readyz`, { ca: caPem, timeout: CHECK_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
