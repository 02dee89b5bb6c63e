/**
 * The generic Kubernetes-style API server: HTTPS, authentication, authorization, and routing of
 * each request to what serves it: the public and discovery paths (non-resource-endpoints.ts), a
 * page shell served before authentication (public-site.ts), a custom handler (custom-handler.ts),
 * or a GenericStore through the REST verbs (resource-handler.ts, watch-handler.ts). The garden,
 * seed and shoot API servers are instances of it with different resources, stores and admission
 * plugins.
 *
 * One file over 500 lines: the request's way from the socket to its handler (authentication,
 * limits, authorization, routing, the drain at stop) reads as one sequence; what each handler does
 * lives in its own module.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { type AddressInfo, Server as NetServer, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  badRequest,
  forbidden,
  forbiddenNonResource,
  pathNotFound,
  toStatusError,
  unauthorized,
} from '../api/errors.js';
import type { Storage } from '../storage/interface.js';
import { AdmissionChain } from './admission.js';
import type { Auditor, RequestAudit } from './audit/auditor.js';
import { forbiddenMessage } from './authz/forbidden-message.js';
import { type CustomHandler, findCustomHandler, serveCustom } from './custom-handler.js';
import { Discovery } from './discovery.js';
import { ConnectionDrain } from './filters/connection-drain.js';
import { type ConnectionTimeouts, timeoutServerOptions } from './filters/connection-timeouts.js';
import { isRefusal, type RefusalListener } from './filters/refusal.js';
import {
  type Admission,
  isLongRunning,
  RequestLimiter,
  type RequestLimits,
  type WatchRegistration,
} from './filters/request-limits.js';
import { defaultMaxBodyBytes, sendStatus } from './http-util.js';
import { isMetricsPath, MetricsEndpoint, type MetricsPathHandler } from './metrics/metrics-endpoint.js';
import { RequestMetrics } from './metrics/request-metrics.js';
import {
  defaultVersion,
  publicPaths,
  serveNonResource,
  servePublic,
  type VersionInfo,
} from './non-resource-endpoints.js';
import { OpenApi } from './openapi.js';
import { feedParsersFromJs } from './parser-feed.js';
import { findPublicSite, type PublicSite } from './public-site.js';
import { GenericStore } from './registry/generic-store.js';
import { hasDotSegment, parseRequestInfo, type RequestInfo } from './request-info.js';
import { serveResource } from './resource-handler.js';
import { RevocableRequests } from './revocable-requests.js';
import type {
  AdmissionPlugin,
  AuthenticationRequest,
  Authenticator,
  Authorizer,
  RequestAttributes,
  ResourceDefinition,
  UserInfo,
} from './types.js';

// Part of the server's options and of what it reports; their users import them from here.
export type { CustomHandler, CustomRequest, CustomResponse } from './custom-handler.js';
export type { ConnectionTimeouts } from './filters/connection-timeouts.js';
export type { Refusal, RefusalListener } from './filters/refusal.js';
export type { RequestLimits } from './filters/request-limits.js';
export type { MetricsAnswer, MetricsPathHandler } from './metrics/metrics-endpoint.js';
export { defaultVersion, type VersionInfo, versionInfo } from './non-resource-endpoints.js';
export type { PublicSite } from './public-site.js';

export interface ApiServerOptions {
  resources: readonly ResourceDefinition[];
  storage: Storage;
  admission: readonly AdmissionPlugin[];
  authenticator: Authenticator;
  authorizer: Authorizer;
  tls: { certPem: string; keyPem: string; clientCaPem?: string };
  host?: string;
  port?: number;
  version?: VersionInfo;
  maxBodyBytes?: number;
  customHandlers?: readonly CustomHandler[];
  logger: Logger;
  /** Seconds between watch bookmarks when a client allows them. */
  bookmarkIntervalSeconds?: number;
  /** A garbage collector runs against this server: deletes honour their propagationPolicy. */
  garbageCollected?: boolean;
  /** Records every request in the audit log (src/apiserver/audit); none: no audit. */
  audit?: Auditor;
  /** Requests and watches in flight (filters/request-limits.ts); unset fields take the defaults. */
  limits?: Partial<RequestLimits>;
  /** How long a client may take (filters/connection-timeouts.ts); unset fields take the defaults. */
  timeouts?: Partial<ConnectionTimeouts>;
  /** Told of every request a limit refused (413, 429), e.g. for an audit log. */
  onRefusal?: RefusalListener;
  /** Page shells served to anyone before authentication (public-site.ts): no data, only files. */
  publicSites?: readonly PublicSite[];
}

/**
 * Resources added while the server runs (the API a CustomResourceDefinition creates), with the
 * handlers of their subresources no store serves (`scale`).
 */
export interface DynamicResources {
  definitions: readonly ResourceDefinition[];
  handlers: readonly CustomHandler[];
}

export class ApiServer {
  readonly #options: ApiServerOptions;
  readonly #stores = new Map<string, GenericStore>();
  readonly #admission: AdmissionChain;
  readonly #dynamic = new Map<string, DynamicResources>();
  #discovery: Discovery;
  #openapi: OpenApi;
  readonly #server: Server;
  readonly #log: Logger;
  readonly #limiter: RequestLimiter;
  /** Running requests by credential, ended when the authenticator reports it revoked. */
  readonly #revocable = new RevocableRequests();
  /**
   * Every TCP connection accepted, from the moment it is accepted (before its TLS handshake):
   * `closeAllConnections` only knows those whose handshake is done (see `stop`).
   */
  readonly #sockets = new Set<Socket>();
  readonly #drain = new ConnectionDrain();
  readonly #metrics = new MetricsEndpoint();
  readonly #requestMetrics = new RequestMetrics(this.#metrics.registry);
  #stopping = false;
  #ready = false;

  constructor(options: ApiServerOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#admission = new AdmissionChain(options.admission);
    this.#limiter = new RequestLimiter(options.limits);
    options.authenticator.onRevoked?.((ids) => {
      const ended = this.#revocable.revoke(ids);
      if (ended > 0) this.#log.info({ ended }, 'ended requests of a revoked credential');
    });
    for (const def of options.resources) this.#addStore(def);
    this.#discovery = new Discovery([]);
    this.#openapi = new OpenApi([], []);
    this.#publish();
    this.#server = createServer(
      {
        cert: options.tls.certPem,
        key: options.tls.keyPem,
        ...timeoutServerOptions(options.timeouts),
        ...(options.tls.clientCaPem
          ? { ca: options.tls.clientCaPem, requestCert: true, rejectUnauthorized: false }
          : {}),
      },
      (req, res) => {
        this.#drain.track(res);
        // First, so that every answer is audited, refusals included.
        const audit = options.audit?.begin(req, res);
        this.#handle(req, res, audit).catch((err) => {
          audit?.panicked(err);
          this.#log.error({ err }, 'unhandled request error');
          sendStatus(res, toStatusError(err));
        });
      },
    );
    feedParsersFromJs(this.#server);
    this.#server.on('connection', (socket: Socket) => {
      if (this.#stopping) {
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  #addStore(def: ResourceDefinition): void {
    this.#stores.set(
      storeKey(def.group, def.version, def.plural),
      new GenericStore(def, this.#options.storage, this.#admission, {
        garbageCollected: this.#options.garbageCollected === true,
      }),
    );
  }

  /** Rebuilds discovery and the OpenAPI documents from what is served now. */
  #publish(): void {
    const resources = this.resources();
    const extra = (this.#options.customHandlers ?? []).flatMap((h) => (h.discovery ? [h.discovery] : []));
    this.#discovery = new Discovery(resources, extra);
    this.#openapi = new OpenApi(resources, this.#discovery.groupVersions(), extra);
  }

  /**
   * Serves `resources` under `owner` (e.g. a CRD's name) in place of what that owner had, or
   * stops serving the owner's resources (`undefined`): stores, discovery and OpenAPI change at
   * once. A resource the server serves otherwise is never replaced.
   */
  setDynamicResources(owner: string, resources: DynamicResources | undefined): void {
    for (const def of this.#dynamic.get(owner)?.definitions ?? []) {
      this.#stores.delete(storeKey(def.group, def.version, def.plural));
    }
    this.#dynamic.delete(owner);
    if (resources) {
      const free = resources.definitions.filter(
        (def) => !this.#stores.has(storeKey(def.group, def.version, def.plural)),
      );
      for (const def of free) this.#addStore(def);
      this.#dynamic.set(owner, { definitions: free, handlers: resources.handlers });
    }
    this.#publish();
  }

  /** Every resource served now: the server's own and the dynamic ones. */
  resources(): ResourceDefinition[] {
    return [...this.#options.resources, ...[...this.#dynamic.values()].flatMap((d) => d.definitions)];
  }

  /** The store of a resource, for controllers running in the same process. */
  store(group: string, plural: string): GenericStore {
    for (const store of this.#stores.values()) {
      if (store.def.group === group && store.def.plural === plural) return store;
    }
    throw new Error(`no resource ${plural}.${group} is served`);
  }

  /** The store of a kind, by API group and kind name (for manifests). */
  storeForKind(group: string, kind: string): GenericStore {
    for (const store of this.#stores.values()) {
      if (store.def.group === group && store.def.kind === kind) return store;
    }
    throw new Error(`no kind ${kind}.${group} is served`);
  }

  /** Every store this server serves, for controllers that act across kinds. */
  stores(): GenericStore[] {
    return [...this.#stores.values()];
  }

  get storage(): Storage {
    return this.#options.storage;
  }

  /**
   * What `/metrics` serves: the request metrics, and whatever the server's parts register here
   * (prom-client's `registers: [server.metrics]`).
   */
  get metrics(): Registry {
    return this.#metrics.registry;
  }

  /** Serves `/metrics/<name>…` with `handler` (a seed: its shoots' API servers), or stops (undefined). */
  setMetricsPath(name: string, handler: MetricsPathHandler | undefined): void {
    this.#metrics.setPath(name, handler);
  }

  async start(): Promise<AddressInfo> {
    this.#server.listen(this.#options.port ?? 0, this.#options.host ?? '127.0.0.1');
    this.#stopping = false;
    await once(this.#server, 'listening');
    this.#ready = true;
    return this.#server.address() as AddressInfo;
  }

  address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /**
   * Stops accepting connections and leaves the open ones served (a live migration hands the
   * address to another server first and ends them with `stop` after). `start` listens again.
   * The TCP server's close, not the HTTP server's: since Node 19 that one also closes the idle
   * keep-alive connections, so a client between two requests had to connect anew while the
   * address was bound by nobody (refused until the destination's retried bind took it: 140 ms
   * of a live migration's write pause in one run). Kept, those clients are served here until
   * `stop` ends their connections, once the destination listens.
   */
  stopListening(): void {
    if (this.#server.listening) NetServer.prototype.close.call(this.#server);
  }

  /**
   * Stops listening and ends the connections without cutting a request (filters/connection-drain.ts):
   * open watches end (their clients open them again, from their last resourceVersion, wherever
   * the address leads by then), each connection closes after its next answer, the idle ones after
   * `idleGraceMs`. Returns once no short request runs, or after `graceMs`; `stop` ends the rest.
   */
  async drain(graceMs: number, idleGraceMs = Math.min(graceMs, 100)): Promise<void> {
    this.stopListening();
    const server = this.#server;
    const draining = this.#drain.drain({
      graceMs,
      idleGraceMs,
      closeIdleConnections: () => server.closeIdleConnections(),
    });
    this.#limiter.stopAllWatches();
    const left = await draining;
    if (left > 0) this.#log.warn({ left, graceMs }, 'requests still running after the grace period are cut');
  }

  /**
   * A watch registered while the server drains ends at once, empty: one that came in on a
   * connection still open (within the idle grace) would otherwise stream here until `stop` cuts
   * it, and its client re-opens it once more; ended, its client re-opens it on a new connection,
   * wherever the address leads by then.
   */
  #endedWhileDraining(watch: WatchRegistration, onEstablished: () => void): WatchRegistration {
    const drain = this.#drain;
    return {
      add(stop) {
        watch.add(stop);
        onEstablished();
        if (drain.draining) setImmediate(stop);
      },
      delete: (stop) => watch.delete(stop),
    };
  }

  /**
   * Stops listening and ends every connection. `closeAllConnections` ends only the connections
   * the HTTP layer knows, those whose TLS handshake is done; one accepted a moment earlier and
   * still shaking hands would join it afterwards and be served with keep-alive, and a client
   * that polls (a node agent, every second) would keep it open for ever, so that `close` never
   * came and this never returned (a shoot's "Deleting kube-apiserver deployment" hung). Hence
   * the TCP sockets are destroyed too, whatever state their handshake is in.
   */
  async stop(): Promise<void> {
    this.#ready = false;
    this.#stopping = true;
    this.#limiter.stopAllWatches();
    const closed = once(this.#server, 'close');
    this.#server.close();
    this.#server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Ends every open watch of `userName` (an identity revoked); returns how many were open. */
  stopWatchesOf(userName: string): number {
    return this.#limiter.stopWatchesOf(userName);
  }

  async #handle(req: IncomingMessage, res: ServerResponse, audit: RequestAudit | undefined): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'https://localhost');
    const method = req.method ?? 'GET';
    let user: UserInfo | undefined;
    let admission: Admission | undefined;
    let info: RequestInfo | undefined;
    /** Set for a watch: it is recorded once established, not when it ends (as Kubernetes records WATCH). */
    let watch: { recorded: boolean } | undefined;
    try {
      if (publicPaths.has(url.pathname)) {
        audit?.identified(anonymousUser);
        servePublic(url.pathname, res, { ready: this.#ready, version: this.#options.version ?? defaultVersion });
        return;
      }
      const site = findPublicSite(this.#options.publicSites ?? [], url.pathname);
      if (site) {
        audit?.identified(anonymousUser);
        await site.serve(url.pathname, req, res);
        return;
      }
      user = await this.#authenticate(req);
      audit?.identified(user);
      if (hasDotSegment(req.url ?? '/')) throw badRequest('the request path must not have "." or ".." segments');
      info = parseRequestInfo(method, url.pathname, url.searchParams);
      // Only a long-running request is ended when its credential is revoked: destroying the
      // socket ends a watch at once, whatever it waits for. A short one ends within its timeout
      // anyway, and cutting a write mid-way would leave its client not knowing whether it applied.
      if (isLongRunning(info)) {
        this.#drain.longRunning(res);
        res.once(
          'close',
          this.#revocable.track(user, () => res.destroy()),
        );
      }
      // As in kube-apiserver: the in-flight limit after authentication, before authorization.
      admission = this.#limiter.admit(user, info);
      await this.#authorize(user, info, audit, url.searchParams);
      if (info.resourceRequest) {
        let watches = admission.watch;
        if (info.verb === 'watch') {
          const established = { recorded: false };
          const watchInfo = info;
          watch = established;
          watches = this.#endedWhileDraining(admission.watch, () => {
            established.recorded = true;
            this.#recordRequest(req, method, url.searchParams, watchInfo, 200, started);
          });
        }
        await this.#serveResource(req, res, info, url.searchParams, user, watches);
      } else if (isMetricsPath(info.path)) await this.#metrics.serve(info.path, req, res);
      else serveNonResource(info, req, res, this.#discovery, this.#openapi);
    } catch (err) {
      const status = toStatusError(err);
      if (status.code >= 500) this.#log.error({ err, method, path: url.pathname }, 'request failed');
      if (isRefusal(status)) this.#options.onRefusal?.({ method, uri: req.url ?? '/', user, status: status.status });
      sendStatus(res, status);
    } finally {
      admission?.release();
      if (!watch?.recorded) this.#recordRequest(req, method, url.searchParams, info, res.statusCode, started);
      this.#log.debug(
        {
          method,
          path: url.pathname,
          user: user?.name,
          code: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    }
  }

  /** Records a request in `apiserver_request_*`; the resource labels only for what this server serves. */
  #recordRequest(
    req: IncomingMessage,
    method: string,
    query: URLSearchParams,
    info: RequestInfo | undefined,
    code: number,
    started: bigint,
  ): void {
    this.#requestMetrics.record({
      method,
      info,
      served: info?.resourceRequest === true && this.#serves(info),
      apply: method === 'PATCH' && (req.headers['content-type'] ?? '').startsWith('application/apply-patch'),
      dryRun: query.has('dryRun'),
      code,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
  }

  /** Whether a custom handler or a store (with that subresource) serves the request's resource. */
  #serves(info: RequestInfo): boolean {
    if (findCustomHandler(this.#options.customHandlers ?? [], info)) return true;
    for (const dynamic of this.#dynamic.values()) if (findCustomHandler(dynamic.handlers, info)) return true;
    const store = this.#stores.get(storeKey(info.apiGroup, info.apiVersion, info.resource));
    return (
      store !== undefined && info.subpath === '' && (info.subresource === '' || store.hasSubresource(info.subresource))
    );
  }

  async #authenticate(req: IncomingMessage): Promise<UserInfo> {
    const socket = req.socket as TLSSocket;
    const authReq: AuthenticationRequest = { headers: req.headers };
    const certificate = clientCertificateOf(socket);
    if (certificate) authReq.clientCertificate = certificate;
    const user = await this.#options.authenticator.authenticate(authReq);
    if (!user) throw unauthorized();
    return user;
  }

  async #authorize(user: UserInfo, info: RequestInfo, audit?: RequestAudit, query?: URLSearchParams): Promise<void> {
    const attrs: RequestAttributes = {
      ...selectorsOf(query),
      user,
      verb: info.verb,
      resourceRequest: info.resourceRequest,
      apiGroup: info.apiGroup,
      apiVersion: info.apiVersion,
      namespace: info.namespace,
      resource: info.resource,
      subresource: info.subresource,
      name: info.name,
      path: info.path,
    };
    const result = await this.#options.authorizer.authorize(attrs);
    audit?.authorized(result.decision === 'allow', result.reason);
    if (result.decision === 'allow') return;
    const reason = forbiddenMessage(attrs) + (result.reason ? `: ${result.reason}` : '');
    if (!info.resourceRequest) throw forbiddenNonResource(reason);
    throw forbidden({ group: info.apiGroup, resource: info.resource }, info.name, reason);
  }

  async #serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    info: RequestInfo,
    query: URLSearchParams,
    user: UserInfo,
    watches: WatchRegistration,
  ): Promise<void> {
    const maxBodyBytes = this.#options.maxBodyBytes ?? defaultMaxBodyBytes;
    const handlers = [
      ...(this.#options.customHandlers ?? []),
      ...[...this.#dynamic.values()].flatMap((d) => d.handlers),
    ];
    const custom = findCustomHandler(handlers, info);
    if (custom) return serveCustom(custom, req, res, { info, query, user, server: this }, maxBodyBytes);
    if (info.subpath !== '') throw pathNotFound();
    const store = this.#stores.get(storeKey(info.apiGroup, info.apiVersion, info.resource));
    if (!store) throw pathNotFound();
    return serveResource(req, res, store, info, query, user, {
      maxBodyBytes,
      bookmarkIntervalSeconds: this.#options.bookmarkIntervalSeconds ?? 60,
      openWatches: watches,
      // An apply that creates needs `create` as well as `patch`, as in Kubernetes.
      authorizeCreate: (request) => this.#authorize(user, { ...request, verb: 'create' }),
    });
  }
}

/** The selectors of a request, for authorizers that decide lists and watches by them. */
function selectorsOf(query: URLSearchParams | undefined): Pick<RequestAttributes, 'fieldSelector' | 'labelSelector'> {
  const fieldSelector = query?.get('fieldSelector');
  const labelSelector = query?.get('labelSelector');
  return { ...(fieldSelector ? { fieldSelector } : {}), ...(labelSelector ? { labelSelector } : {}) };
}

/** Who asks for a public path (health checks, /version), which is served without authentication. */
const anonymousUser: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

function storeKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

type ClientCertificate = NonNullable<AuthenticationRequest['clientCertificate']>;
/** A connection's verified client certificate; null for none. */
const clientCertificates = new WeakMap<TLSSocket, ClientCertificate | null>();

/**
 * The subject of the client certificate a connection was verified with, read once per
 * connection: `getPeerCertificate` decodes the whole certificate each time it is called, and a
 * kept-alive connection carries thousands of requests.
 */
function clientCertificateOf(socket: TLSSocket): ClientCertificate | undefined {
  const cached = clientCertificates.get(socket);
  if (cached !== undefined) return cached ?? undefined;
  let certificate: ClientCertificate | null = null;
  if (socket.authorized && typeof socket.getPeerCertificate === 'function') {
    const peer = socket.getPeerCertificate();
    if (peer && Object.keys(peer).length > 0) {
      const subject = peer.subject as { CN?: string | string[]; O?: string | string[] } | undefined;
      const cn = Array.isArray(subject?.CN) ? subject.CN[0] : subject?.CN;
      certificate = { subject: { CN: cn, O: subject?.O } };
    }
  }
  clientCertificates.set(socket, certificate);
  return certificate ?? undefined;
}
