/**
 * A small Kubernetes REST client over HTTPS with keep-alive: what the gardenlet uses to talk to
 * the garden, and tools to talk to any of this project's API servers. Errors come back as the
 * server's `Status` inside a `StatusError`, so callers test them with isNotFound() and friends.
 */
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { createInterface } from 'node:readline';
import type { PeerCertificate } from 'node:tls';
import { createSecureContext } from 'node:tls';
import { internalError, isAlreadyExists, type Status, StatusError, serviceUnavailable } from '../api/errors.js';
import { isRecord, type KubeList, type KubeObject, type WatchEvent } from '../api/meta.js';
import type { ResourceRef } from '../api/resource-ref.js';
import {
  type Client,
  checked,
  checkedList,
  checkedWatch,
  type DeleteOptions,
  ignoreNotFound,
  type ListOptions,
  type NewObject,
  type ObjectWatch,
  type PatchOptions,
  type PatchType,
  type ResourceClient,
  type WatchOptions,
  type WriteOptions,
  withTypeMeta,
} from './client.js';
import type { ClusterCredentials } from './kubeconfig-file.js';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

/** A response read as text: what `getRaw` returns for endpoints that do not answer JSON (`/healthz`). */
export interface RawResponse {
  status: number;
  body: string;
}

export class RestClient implements Client {
  readonly #credentials: ClusterCredentials;
  readonly #agent: Agent;
  readonly #base: URL;
  readonly #userAgent: string;
  #token: string | undefined;
  readonly #reloadToken: (() => string | undefined) | undefined;

  constructor(
    credentials: ClusterCredentials,
    options: {
      maxSockets?: number;
      servername?: string;
      /** Extra check of the server's certificate in the TLS handshake, before any request is sent. */
      checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
      /**
       * The User-Agent: the server records this client's writes in managedFields under its prefix
       * up to the first "/" (default "transplant").
       */
      userAgent?: string;
      /**
       * Where a fresh bearer token comes from (its kubeconfig file, read again): asked when the
       * server answers 401, and a request is sent once more when it gives a different token. So a
       * gardenlet whose credential was rotated carries on with the new one.
       */
      reloadToken?: () => string | undefined;
    } = {},
  ) {
    this.#credentials = credentials;
    this.#token = credentials.token;
    this.#reloadToken = options.reloadToken;
    this.#userAgent = options.userAgent ?? 'transplant';
    this.#base = new URL(credentials.server);
    const tls = { ca: credentials.caPem, cert: credentials.clientCertPem, key: credentials.clientKeyPem };
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 16,
      ...tls,
      // Made once: by default every new connection parses the CA and the key again.
      secureContext: createSecureContext(tls),
      rejectUnauthorized: !credentials.insecureSkipTlsVerify,
      servername: options.servername,
      ...(options.checkServerIdentity ? { checkServerIdentity: options.checkServerIdentity } : {}),
    });
  }

  get server(): string {
    return this.#credentials.server;
  }

  /** The objects of one resource. */
  resource<T extends KubeObject>(ref: ResourceRef<T>): RestResourceClient<T> {
    return new RestResourceClient(this, ref);
  }

  /**
   * A GET whose answer is read as text, whatever its status (`/healthz`, `nodes/<n>/proxy/…`);
   * only a failure to get an answer at all rejects.
   */
  async getRaw(path: string, timeoutMs = 30_000): Promise<RawResponse> {
    const res = await this.#sendRetrying({ method: 'GET', path, timeoutMs });
    return { status: res.status, body: await readAll(res.stream) };
  }

  /** Sends a request and parses the JSON answer; a non-2xx answer throws its Status. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs = 30_000,
    accept = JSON_MEDIA,
  ): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await this.#sendRetrying({ method, path, payload, contentType, timeoutMs, accept });
    const text = await readAll(res.stream);
    const parsed = text ? safeJson(text) : undefined;
    if (res.status >= 200 && res.status < 300) return parsed as T;
    throw toStatusError(res.status, parsed, text);
  }

  /** Opens a watch and yields its events; the stream ends when the server closes it. */
  async watch<T extends KubeObject = KubeObject>(
    path: string,
    query: URLSearchParams,
    accept = JSON_MEDIA,
  ): Promise<ObjectWatch<T>> {
    query.set('watch', 'true');
    const res = await this.#sendRetrying({ method: 'GET', path: `${path}?${query}`, timeoutMs: 0, accept });
    if (res.status !== 200) {
      const text = await readAll(res.stream);
      throw toStatusError(res.status, safeJson(text), text);
    }
    const lines = createInterface({ input: res.stream, crlfDelay: Number.POSITIVE_INFINITY });
    const stop = () => {
      res.abort();
      lines.close();
    };
    async function* events(): AsyncGenerator<WatchEvent<T>> {
      try {
        for await (const line of lines) {
          if (!line.trim()) continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === 'ERROR') throw new StatusError(event.object as unknown as Status);
          yield event;
        }
      } catch (err) {
        if (err instanceof StatusError) throw err;
        // A watch cut by stop() or a closed connection simply ends.
      }
    }
    const iterator = events();
    return { [Symbol.asyncIterator]: () => iterator, stop };
  }

  close(): void {
    this.#agent.destroy();
  }

  /**
   * Sends the request again while the server answers "not now" with a `Retry-After` (429 from
   * its in-flight limits, or a 5xx that says when to come back), waiting as long as it says, up to
   * `maxRetries` times, as client-go does: such a request was not served, so sending it again is
   * safe whatever its verb.
   */
  async #sendRetrying(request: OutgoingRequest) {
    for (let attempt = 0; ; attempt++) {
      let res: SentRequest;
      try {
        res = await this.#send(request);
      } catch (err) {
        // A kept-alive connection the server closed as idle just as this request went out on it:
        // the request never reached the server, so a read is sent again at once on a fresh one
        // (what Node's docs advise for `reusedSocket`).
        const read = request.method === 'GET' || request.method === 'HEAD';
        if (attempt === 0 && read && staleKeptAliveSocket(err)) continue;
        throw err;
      }
      const waitSeconds = retryAfterSeconds(res.status, res.retryAfter);
      if (waitSeconds === undefined || attempt >= maxRetries) return res;
      res.stream.resume();
      await sleep(waitSeconds * 1000);
    }
  }

  /** `#sendOnce`, sent again with a reloaded token after a 401 when the token changed. */
  async #send(request: OutgoingRequest) {
    // Compared with the token this request carried, not the current one: a concurrent request's
    // 401 may have reloaded it already, and this one must still be sent again.
    const sentWith = this.#token;
    const res = await this.#sendOnce(request);
    if (res.status !== 401 || !this.#reloadToken) return res;
    let token: string | undefined;
    try {
      token = this.#reloadToken();
    } catch {
      return res;
    }
    if (!token || token === sentWith) return res;
    this.#token = token;
    res.stream.resume(); // drained, its connection goes back to the pool
    return this.#sendOnce(request);
  }

  #sendOnce(request: OutgoingRequest) {
    const { method, path, payload, timeoutMs } = request;
    const headers: Record<string, string> = { Accept: request.accept ?? JSON_MEDIA, 'User-Agent': this.#userAgent };
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    if (payload) {
      headers['Content-Type'] = request.contentType ?? JSON_MEDIA;
      headers['Content-Length'] = String(payload.length);
    }
    const options: RequestOptions = {
      method,
      host: this.#base.hostname.replace(/^\[|\]$/g, ''),
      port: this.#base.port || 443,
      path: `${this.#base.pathname.replace(/\/$/, '')}${path}`,
      headers,
      agent: this.#agent,
    };
    return new Promise<SentRequest>((resolve, reject) => {
      const req = httpsRequest(options, (res) => {
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter, stream: res, abort: () => req.destroy() });
      });
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
      }
      // The cause keeps the socket error's code (ECONNREFUSED: nobody listens there yet).
      req.on('error', (err) =>
        reject(
          serviceUnavailable(`${method} ${this.#base.origin}${path}: ${err.message}`, {
            cause: Object.assign(err, { reusedSocket: req.reusedSocket }),
          }),
        ),
      );
      req.end(payload);
    });
  }
}

/** A send that failed because the kept-alive socket it reused was closed under it. */
function staleKeptAliveSocket(err: unknown): boolean {
  const cause = (err as { cause?: { reusedSocket?: boolean; code?: string } }).cause;
  return cause?.reusedSocket === true && (cause.code === 'ECONNRESET' || cause.code === 'EPIPE');
}

interface SentRequest {
  status: number;
  retryAfter: string | undefined;
  stream: NodeJS.ReadableStream;
  abort: () => void;
}

/** client-go's default number of retries after a `Retry-After`. */
const maxRetries = 10;
/** The longest wait a server's `Retry-After` gets (client-go does not cap it; a bad server should not stall us). */
const maxRetryAfterSeconds = 30;

/** How long to wait before sending again, or undefined when the answer is not a "try again later". */
export function retryAfterSeconds(status: number, header: string | undefined): number | undefined {
  if (header === undefined || (status !== 429 && (status < 500 || status > 599))) return undefined;
  const seconds = Number(header);
  // An HTTP date or garbage: wait a second, as client-go does for a value it cannot parse.
  if (!Number.isFinite(seconds) || seconds < 0) return 1;
  return Math.min(Math.max(seconds, 1), maxRetryAfterSeconds);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The objects of one resource on the server behind a `RestClient`. */
export class RestResourceClient<T extends KubeObject = KubeObject> implements ResourceClient<T> {
  readonly #client: RestClient;
  readonly resource: ResourceRef<T>;

  constructor(client: RestClient, resource: ResourceRef<T>) {
    this.#client = client;
    this.resource = resource;
  }

  path(namespace: string, name?: string, subresource?: string): string {
    const { group, version, plural, namespaced } = this.resource;
    let path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    if (namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
    path += `/${plural}`;
    if (name) path += `/${encodeURIComponent(name)}`;
    if (subresource) path += `/${subresource}`;
    return path;
  }

  async get(namespace: string, name: string): Promise<T> {
    return checked(this.resource, await this.#client.request('GET', this.path(namespace, name)));
  }

  find(namespace: string, name: string): Promise<T | null> {
    return this.get(namespace, name).catch(ignoreNotFound);
  }

  async list(namespace: string, options: ListOptions = {}): Promise<KubeList<T>> {
    const path = `${this.path(namespace)}${queryString(options)}`;
    if (options.metadataOnly) {
      // PartialObjectMetadata: not the kind's objects, so not checked against its guard.
      return this.#client.request<KubeList<T>>('GET', path, undefined, undefined, undefined, METADATA_LIST_MEDIA);
    }
    return checkedList(this.resource, await this.#client.request<KubeList>('GET', path));
  }

  async create(namespace: string, obj: NewObject<T>): Promise<T> {
    return checked(
      this.resource,
      await this.#client.request('POST', this.path(namespace), withTypeMeta(this.resource, obj)),
    );
  }

  async createIfAbsent(namespace: string, obj: NewObject<T>): Promise<T> {
    try {
      return await this.create(namespace, obj);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      return this.get(namespace, obj.metadata.name ?? '');
    }
  }

  async update(namespace: string, obj: T, options: WriteOptions = {}): Promise<T> {
    const path = this.path(namespace, obj.metadata.name!, options.subresource);
    return checked(this.resource, await this.#client.request('PUT', path, withTypeMeta(this.resource, obj)));
  }

  async patch(namespace: string, name: string, patch: unknown, options: PatchOptions = {}): Promise<T> {
    const contentType = patchContentTypes[options.type ?? 'merge'];
    const path = this.path(namespace, name, options.subresource);
    return checked(this.resource, await this.#client.request('PATCH', path, patch, contentType));
  }

  async delete(namespace: string, name: string, options: DeleteOptions = {}): Promise<void> {
    const { preconditions, propagationPolicy, gracePeriodSeconds } = options;
    const body =
      preconditions || propagationPolicy || gracePeriodSeconds !== undefined
        ? {
            kind: 'DeleteOptions',
            apiVersion: 'v1',
            ...(preconditions ? { preconditions } : {}),
            ...(propagationPolicy ? { propagationPolicy } : {}),
            ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
          }
        : undefined;
    await this.#client.request('DELETE', this.path(namespace, name), body);
  }

  async deleteIfPresent(namespace: string, name: string, options: DeleteOptions = {}): Promise<void> {
    await this.delete(namespace, name, options).catch(ignoreNotFound);
  }

  /** POST to a subresource (e.g. shoots/adminkubeconfig). */
  createSubresource(namespace: string, name: string, subresource: string, body: unknown): Promise<KubeObject> {
    return this.#client.request('POST', this.path(namespace, name, subresource), body);
  }

  async watch(namespace: string, options: WatchOptions = {}): Promise<ObjectWatch<T>> {
    const query = new URLSearchParams(queryString(options).slice(1));
    if (options.resourceVersion) query.set('resourceVersion', options.resourceVersion);
    if (options.timeoutSeconds) query.set('timeoutSeconds', String(options.timeoutSeconds));
    if (options.allowWatchBookmarks) query.set('allowWatchBookmarks', 'true');
    if (options.metadataOnly) return this.#client.watch<T>(this.path(namespace), query, METADATA_LIST_MEDIA);
    return checkedWatch(this.resource, await this.#client.watch(this.path(namespace), query));
  }
}

const JSON_MEDIA = 'application/json';

/** One request as `#sendRetrying`, `#send` and `#sendOnce` pass it along. */
interface OutgoingRequest {
  method: string;
  path: string;
  payload?: Buffer | undefined;
  /** Of the payload; default JSON. */
  contentType?: string;
  /** 0: none (a watch). */
  timeoutMs: number;
  /** Default JSON. */
  accept?: string;
}
/** What Kubernetes' metadata client sends for lists and watches (JSON: this client reads no protobuf). */
const METADATA_LIST_MEDIA = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

function queryString(options: ListOptions): string {
  const query = new URLSearchParams();
  if (options.labelSelector) query.set('labelSelector', options.labelSelector);
  if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
  if (options.limit) query.set('limit', String(options.limit));
  if (options.continue) query.set('continue', options.continue);
  const text = query.toString();
  return text ? `?${text}` : '';
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toStatusError(code: number, body: unknown, text: string): StatusError {
  if (isRecord(body) && body.kind === 'Status') return new StatusError(body as unknown as Status);
  const err = internalError(`unexpected response ${code}: ${text.slice(0, 200)}`);
  err.status.code = code;
  return err;
}
