/**
 * The generic Kubernetes-style API server: HTTPS, authentication, authorization, discovery,
 * OpenAPI, and the REST verbs over GenericStores. The garden, seed and shoot API servers are
 * instances of it with different resources, stores and admission plugins.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import {
  badRequest,
  forbidden,
  forbiddenNonResource,
  methodNotAllowed,
  notAcceptable,
  pathNotFound,
  successStatus,
  toStatusError,
  unauthorized,
} from '../api/errors.js';
import { isRecord, type KubeObject, type WatchEvent } from '../api/meta.js';
import type { Storage } from '../storage/interface.js';
import { AdmissionChain } from './admission.js';
import { forbiddenMessage } from './authz/forbidden-message.js';
import { Discovery, type ExtraResource } from './discovery.js';
import { defaultMaxBodyBytes, drained, parseBody, readBody, sendJson, sendJsonParts, sendStatus } from './http-util.js';
import { OpenApi, openApiV2 } from './openapi.js';
import { patchTypeOf } from './patch.js';
import { type DeleteOptions, GenericStore, type RequestContext } from './registry/generic-store.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { type IncludeObject, toTable, wantsTable } from './table.js';
import type {
  AdmissionPlugin,
  AuthenticationRequest,
  Authenticator,
  Authorizer,
  RequestAttributes,
  ResourceDefinition,
  UserInfo,
} from './types.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
}

/** Kubernetes 1.31: kubectl's dispatcher here picks its binary by the server's minor version. */
export const defaultVersion: VersionInfo = { major: '1', minor: '31', gitVersion: 'v1.31.0-transplant' };

/** What a custom handler gets: the parsed request, the caller, and a way to reach the stores. */
export interface CustomRequest {
  /** The HTTP method (`info.verb` is what RBAC sees). */
  method: string;
  info: RequestInfo;
  query: URLSearchParams;
  user: UserInfo;
  /** The raw body for POST/PUT/PATCH (empty otherwise); `parseBody` reads JSON and YAML. */
  raw: Buffer;
  contentType: string | undefined;
  server: ApiServer;
}

/** What a custom handler answers: a JSON body, or bytes of their own content type (a proxied answer). */
export type CustomResponse = { code: number; body: unknown } | { code: number; raw: Buffer; contentType: string };

/** A resource or subresource served by code rather than a store (e.g. shoots/adminkubeconfig). */
export interface CustomHandler {
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  /** The handler also serves paths below its subresource (`nodes/<n>/proxy/<path>`); default false. */
  subpaths?: boolean;
  /** Advertised in discovery when the handler stands for a top-level resource. */
  discovery?: ExtraResource;
  handle(req: CustomRequest): Promise<CustomResponse>;
}

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
}

const publicPaths = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export class ApiServer {
  readonly #options: ApiServerOptions;
  readonly #stores = new Map<string, GenericStore>();
  readonly #discovery: Discovery;
  readonly #openapi: OpenApi;
  readonly #server: Server;
  readonly #log: Logger;
  readonly #openWatches = new Set<() => void>();
  #ready = false;

  constructor(options: ApiServerOptions) {
    this.#options = options;
    this.#log = options.logger;
    const admission = new AdmissionChain(options.admission);
    for (const def of options.resources) {
      this.#stores.set(storeKey(def.group, def.version, def.plural), new GenericStore(def, options.storage, admission));
    }
    const extra = (options.customHandlers ?? []).flatMap((h) => (h.discovery ? [h.discovery] : []));
    this.#discovery = new Discovery(options.resources, extra);
    this.#openapi = new OpenApi(options.resources, this.#discovery.groupVersions(), extra);
    this.#server = createServer(
      {
        cert: options.tls.certPem,
        key: options.tls.keyPem,
        ...(options.tls.clientCaPem
          ? { ca: options.tls.clientCaPem, requestCert: true, rejectUnauthorized: false }
          : {}),
      },
      (req, res) => {
        this.#handle(req, res).catch((err) => {
          this.#log.error({ err }, 'unhandled request error');
          sendStatus(res, toStatusError(err));
        });
      },
    );
    this.#server.keepAliveTimeout = 65_000;
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

  async start(): Promise<AddressInfo> {
    this.#server.listen(this.#options.port ?? 0, this.#options.host ?? '127.0.0.1');
    await once(this.#server, 'listening');
    this.#ready = true;
    return this.#server.address() as AddressInfo;
  }

  address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    this.#ready = false;
    for (const stop of this.#openWatches) stop();
    const closed = once(this.#server, 'close');
    this.#server.close();
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'https://localhost');
    const method = req.method ?? 'GET';
    let user: UserInfo | undefined;
    try {
      if (publicPaths.has(url.pathname)) {
        this.#servePublic(url.pathname, res);
        return;
      }
      user = await this.#authenticate(req);
      const info = parseRequestInfo(method, url.pathname, url.searchParams);
      await this.#authorize(user, info);
      if (info.resourceRequest) await this.#serveResource(req, res, info, url.searchParams, user);
      else this.#serveNonResource(info, req, res);
    } catch (err) {
      const status = toStatusError(err);
      if (status.code >= 500) this.#log.error({ err, method, path: url.pathname }, 'request failed');
      sendStatus(res, status);
    } finally {
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

  #servePublic(path: string, res: ServerResponse): void {
    if (path.startsWith('/version')) {
      const v = this.#options.version ?? defaultVersion;
      sendJson(res, 200, {
        ...v,
        platform: `${process.platform}/${process.arch}`,
        goVersion: `node${process.versions.node}`,
      });
      return;
    }
    const ok = this.#ready;
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(ok ? 'ok' : 'not ready');
  }

  async #authenticate(req: IncomingMessage): Promise<UserInfo> {
    const socket = req.socket as TLSSocket;
    const authReq: AuthenticationRequest = { headers: req.headers };
    if (socket.authorized && typeof socket.getPeerCertificate === 'function') {
      const peer = socket.getPeerCertificate();
      if (peer && Object.keys(peer).length > 0) {
        const subject = peer.subject as { CN?: string | string[]; O?: string | string[] } | undefined;
        const cn = Array.isArray(subject?.CN) ? subject.CN[0] : subject?.CN;
        authReq.clientCertificate = { subject: { CN: cn, O: subject?.O } };
      }
    }
    const user = await this.#options.authenticator.authenticate(authReq);
    if (!user) throw unauthorized();
    return user;
  }

  async #authorize(user: UserInfo, info: RequestInfo): Promise<void> {
    const attrs: RequestAttributes = {
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
    if (result.decision === 'allow') return;
    const reason = forbiddenMessage(attrs) + (result.reason ? `: ${result.reason}` : '');
    if (!info.resourceRequest) throw forbiddenNonResource(reason);
    throw forbidden({ group: info.apiGroup, resource: info.resource }, info.name, reason);
  }

  #serveNonResource(info: RequestInfo, req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw methodNotAllowed(`${req.method} is not allowed on ${info.path}`);
    const path = info.path.replace(/\/+$/, '');
    const parts = path.split('/').filter(Boolean);
    let body: unknown;
    if (path === '/api') body = this.#discovery.coreVersions();
    else if (path === '/apis') body = this.#discovery.groupList();
    else if (parts[0] === 'apis' && parts.length === 2) body = this.#discovery.group(parts[1]!);
    else if (parts[0] === 'api' && parts.length === 2) body = this.#discovery.resourceList('', parts[1]!);
    else if (parts[0] === 'apis' && parts.length === 3) body = this.#discovery.resourceList(parts[1]!, parts[2]!);
    else if (path === '/openapi/v2') {
      const doc = openApiV2((req.headers.accept ?? '').includes('protobuf'));
      res.writeHead(200, { 'content-type': doc.contentType, 'content-length': doc.body.length });
      res.end(req.method === 'HEAD' ? undefined : doc.body);
      return;
    } else if (path === '/openapi/v3') body = this.#openapi.root();
    else if (parts[0] === 'openapi' && parts[1] === 'v3') body = this.#openapi.document(parts.slice(2).join('/'));
    if (body === undefined) throw pathNotFound();
    sendJson(res, 200, body);
  }

  async #serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    info: RequestInfo,
    query: URLSearchParams,
    user: UserInfo,
  ): Promise<void> {
    const custom = this.#customHandler(info);
    if (custom) {
      const raw = ['POST', 'PUT', 'PATCH'].includes(req.method ?? '')
        ? await readBody(req, this.#options.maxBodyBytes ?? defaultMaxBodyBytes)
        : Buffer.alloc(0);
      const result = await custom.handle({
        method: req.method ?? 'GET',
        info,
        query,
        user,
        raw,
        contentType: req.headers['content-type'],
        server: this,
      });
      if ('raw' in result) {
        res.writeHead(result.code, { 'Content-Type': result.contentType, 'Content-Length': result.raw.length });
        res.end(req.method === 'HEAD' ? undefined : result.raw);
      } else {
        sendJson(res, result.code, result.body);
      }
      return;
    }
    if (info.subpath !== '') throw pathNotFound();
    const store = this.#stores.get(storeKey(info.apiGroup, info.apiVersion, info.resource));
    if (!store) throw pathNotFound();
    if (store.def.namespaced === false && info.namespace && info.resource !== 'namespaces') throw pathNotFound();
    if (info.subresource && !store.hasSubresource(info.subresource)) throw pathNotFound();
    if (store.def.namespaced && !info.namespace && info.verb !== 'list' && info.verb !== 'watch') {
      // Only list and watch are served across namespaces, as in Kubernetes.
      throw methodNotAllowed(
        `${req.method} is not allowed on ${info.resource} across namespaces: use ${info.apiPrefix === 'api' ? '/api' : `/apis/${info.apiGroup}`}/${info.apiVersion}/namespaces/<namespace>/${info.resource}`,
      );
    }
    const ctx: RequestContext = { user, dryRun: query.getAll('dryRun').includes('All') };
    const accept = req.headers.accept;
    const table = wantsTable(accept);
    if (!table && accept && !acceptsJson(accept))
      throw notAcceptable(`only application/json and Table responses are served`);
    const includeObject = (query.get('includeObject') ?? 'Metadata') as IncludeObject;
    const respond = (code: number, obj: KubeObject) =>
      sendJson(
        res,
        code,
        table ? toTable(store.def, [obj], { resourceVersion: obj.metadata.resourceVersion }, { includeObject }) : obj,
      );

    switch (info.verb) {
      case 'get':
        return respond(200, await store.get(info.namespace, info.name));
      case 'list': {
        const listQuery = {
          labelSelector: parseLabelSelector(query.get('labelSelector')),
          fieldSelector: parseFieldSelector(query.get('fieldSelector'), store.selectableFieldNames()),
          limit: parseLimit(query.get('limit')),
          continue: query.get('continue') ?? undefined,
        };
        const json = table ? undefined : await store.listJson(info.namespace, listQuery);
        if (json) return sendJsonParts(res, json.head, json.items, json.tail);
        const list = await store.list(info.namespace, listQuery);
        sendJson(res, 200, table ? toTable(store.def, list.items, list.metadata, { includeObject }) : list);
        return;
      }
      case 'watch':
        return this.#serveWatch(req, res, store, info, query, table, includeObject);
      case 'create': {
        if (info.subresource) throw methodNotAllowed(`POST is not allowed on ${info.resource}/${info.subresource}`);
        const created = await store.create(info.namespace, (await this.#readObject(req)) as KubeObject, ctx);
        return respond(201, created);
      }
      case 'update': {
        const updated = await store.update(
          info.namespace,
          info.name,
          info.subresource,
          await this.#readObject(req),
          ctx,
        );
        return respond(200, updated);
      }
      case 'patch': {
        const patchType = patchTypeOf(req.headers['content-type']);
        const patch = await this.#readJson(req);
        return respond(200, await store.patch(info.namespace, info.name, info.subresource, patchType, patch, ctx));
      }
      case 'delete': {
        if (info.subresource) throw methodNotAllowed(`DELETE is not allowed on ${info.resource}/${info.subresource}`);
        const options = await this.#readDeleteOptions(req);
        const deleted = await store.delete(info.namespace, info.name, ctx, options);
        return respond(200, deleted);
      }
      case 'deletecollection': {
        const list = await store.list(info.namespace, {
          labelSelector: parseLabelSelector(query.get('labelSelector')),
          fieldSelector: parseFieldSelector(query.get('fieldSelector'), store.selectableFieldNames()),
        });
        for (const item of list.items) await store.delete(item.metadata.namespace ?? '', item.metadata.name!, ctx, {});
        sendJson(res, 200, successStatus());
        return;
      }
      default:
        throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    }
  }

  #customHandler(info: RequestInfo): CustomHandler | undefined {
    return (this.#options.customHandlers ?? []).find(
      (h) =>
        h.group === info.apiGroup &&
        h.version === info.apiVersion &&
        h.resource === info.resource &&
        (h.subresource ?? '') === info.subresource &&
        (info.subpath === '' || h.subpaths === true),
    );
  }

  async #serveWatch(
    req: IncomingMessage,
    res: ServerResponse,
    store: GenericStore,
    info: RequestInfo,
    query: URLSearchParams,
    table: boolean,
    includeObject: IncludeObject,
  ): Promise<void> {
    const fieldSelector = parseFieldSelector(query.get('fieldSelector'), store.selectableFieldNames());
    const labelSelector = parseLabelSelector(query.get('labelSelector'));
    // A watch on one name is a watch with a metadata.name selector.
    const selector = info.name
      ? [...fieldSelector, { field: 'metadata.name', op: '=' as const, value: info.name }]
      : fieldSelector;
    const watch = await store.watch(info.namespace, {
      labelSelector,
      fieldSelector: selector,
      resourceVersion: query.get('resourceVersion') ?? undefined,
    });
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '') || 1800 + Math.floor(Math.random() * 1800);
    const bookmarks = query.get('allowWatchBookmarks') === 'true';
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache',
    });
    res.flushHeaders();
    let lastVersion = query.get('resourceVersion') ?? '';
    let headersSent = false;
    const stop = () => watch.stop();
    this.#openWatches.add(stop);
    const timer = setTimeout(stop, timeoutSeconds * 1000);
    const bookmarkTimer = bookmarks
      ? setInterval(
          () => {
            if (!lastVersion) return;
            const object = {
              kind: store.def.kind,
              apiVersion: store.apiVersion,
              metadata: { resourceVersion: lastVersion },
            };
            res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
          },
          (this.#options.bookmarkIntervalSeconds ?? 60) * 1000,
        )
      : undefined;
    req.on('close', stop);
    res.on('close', stop);
    const encode = (event: WatchEvent): unknown => {
      if (!table) return event;
      const object = toTable(
        store.def,
        [event.object],
        { resourceVersion: event.object.metadata.resourceVersion },
        {
          includeObject,
          noHeaders: headersSent,
        },
      );
      headersSent = true;
      return { type: event.type, object };
    };
    try {
      for await (const event of watch) {
        lastVersion = event.object.metadata.resourceVersion ?? lastVersion;
        if (!res.write(`${JSON.stringify(encode(event))}\n`)) await drained(res);
      }
    } catch (err) {
      const status = toStatusError(err).status;
      if (!res.writableEnded) res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
    } finally {
      clearTimeout(timer);
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      this.#openWatches.delete(stop);
      if (!res.writableEnded) res.end();
    }
  }

  async #readJson(req: IncomingMessage): Promise<unknown> {
    const raw = await readBody(req, this.#options.maxBodyBytes ?? defaultMaxBodyBytes);
    return parseBody(raw, req.headers['content-type']);
  }

  async #readObject(req: IncomingMessage): Promise<KubeObject> {
    const body = await this.#readJson(req);
    if (!isRecord(body)) throw badRequest('the request body must be an object');
    return body as KubeObject;
  }

  async #readDeleteOptions(req: IncomingMessage): Promise<DeleteOptions> {
    const raw = await readBody(req, this.#options.maxBodyBytes ?? defaultMaxBodyBytes);
    const options: DeleteOptions = {};
    if (raw.length > 0 && raw.toString('utf8').trim() !== '') {
      const body = parseBody(raw, req.headers['content-type']);
      if (isRecord(body) && isRecord(body.preconditions)) {
        options.preconditions = {
          uid: typeof body.preconditions.uid === 'string' ? body.preconditions.uid : undefined,
          resourceVersion:
            typeof body.preconditions.resourceVersion === 'string' ? body.preconditions.resourceVersion : undefined,
        };
      }
    }
    return options;
  }
}

function storeKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

function acceptsJson(accept: string): boolean {
  return accept.split(',').some((part) => {
    const media = part.split(';')[0]!.trim();
    return media === 'application/json' || media === '*/*' || media === 'application/*' || media === 'application/yaml';
  });
}

function parseLimit(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`limit must be a non-negative integer, got "${value}"`);
  return limit;
}
