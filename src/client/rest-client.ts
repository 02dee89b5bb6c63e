/**
 * A small Kubernetes REST client over HTTPS with keep-alive: what the gardenlet uses to talk to
 * the garden, and tools to talk to any of this project's API servers. Errors come back as the
 * server's `Status` inside a `StatusError`, so callers test them with isNotFound() and friends.
 */
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { createInterface } from 'node:readline';
import type { PeerCertificate } from 'node:tls';
import { internalError, type Status, StatusError, serviceUnavailable } from '../api/errors.js';
import { isRecord, type KubeList, type KubeObject, type WatchEvent } from '../api/meta.js';
import type { ClusterCredentials } from './kubeconfig-file.js';

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

/** A running watch: events until the server ends it or `stop()` is called. */
export interface ClientWatch extends AsyncIterable<WatchEvent> {
  stop(): void;
}

export type PatchType = 'merge' | 'json' | 'strategic';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export class RestClient {
  readonly #credentials: ClusterCredentials;
  readonly #agent: Agent;
  readonly #base: URL;

  constructor(
    credentials: ClusterCredentials,
    options: {
      maxSockets?: number;
      servername?: string;
      /** Extra check of the server's certificate in the TLS handshake, before any request is sent. */
      checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
    } = {},
  ) {
    this.#credentials = credentials;
    this.#base = new URL(credentials.server);
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 16,
      ca: credentials.caPem,
      cert: credentials.clientCertPem,
      key: credentials.clientKeyPem,
      rejectUnauthorized: !credentials.insecureSkipTlsVerify,
      servername: options.servername,
      ...(options.checkServerIdentity ? { checkServerIdentity: options.checkServerIdentity } : {}),
    });
  }

  get server(): string {
    return this.#credentials.server;
  }

  /** One resource type, optionally bound to a namespace. */
  resource(type: ResourceType): ResourceClient {
    return new ResourceClient(this, type);
  }

  /** Sends a request and parses the JSON answer; a non-2xx answer throws its Status. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs = 30_000,
  ): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await this.#send(method, path, payload, contentType, timeoutMs);
    const text = await readAll(res.stream);
    const parsed = text ? safeJson(text) : undefined;
    if (res.status >= 200 && res.status < 300) return parsed as T;
    throw toStatusError(res.status, parsed, text);
  }

  /** Opens a watch and yields its events; the stream ends when the server closes it. */
  async watch(path: string, query: URLSearchParams): Promise<ClientWatch> {
    query.set('watch', 'true');
    const res = await this.#send('GET', `${path}?${query}`, undefined, 'application/json', 0);
    if (res.status !== 200) {
      const text = await readAll(res.stream);
      throw toStatusError(res.status, safeJson(text), text);
    }
    const lines = createInterface({ input: res.stream, crlfDelay: Number.POSITIVE_INFINITY });
    const stop = () => {
      res.abort();
      lines.close();
    };
    async function* events(): AsyncGenerator<WatchEvent> {
      try {
        for await (const line of lines) {
          if (!line.trim()) continue;
          const event = JSON.parse(line) as WatchEvent;
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

  #send(method: string, path: string, payload: Buffer | undefined, contentType: string, timeoutMs: number) {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.#credentials.token) headers.Authorization = `Bearer ${this.#credentials.token}`;
    if (payload) {
      headers['Content-Type'] = contentType;
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
    return new Promise<{ status: number; stream: NodeJS.ReadableStream; abort: () => void }>((resolve, reject) => {
      const req = httpsRequest(options, (res) => {
        resolve({ status: res.statusCode ?? 0, stream: res, abort: () => req.destroy() });
      });
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
      }
      req.on('error', (err) => reject(serviceUnavailable(`${method} ${this.#base.origin}${path}: ${err.message}`)));
      req.end(payload);
    });
  }
}

export class ResourceClient {
  readonly #client: RestClient;
  readonly type: ResourceType;

  constructor(client: RestClient, type: ResourceType) {
    this.#client = client;
    this.type = type;
  }

  path(namespace: string, name?: string, subresource?: string): string {
    const { group, version, plural, namespaced } = this.type;
    let path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    if (namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
    path += `/${plural}`;
    if (name) path += `/${encodeURIComponent(name)}`;
    if (subresource) path += `/${subresource}`;
    return path;
  }

  get(namespace: string, name: string): Promise<KubeObject> {
    return this.#client.request('GET', this.path(namespace, name));
  }

  list(namespace: string, options: ListOptions = {}): Promise<KubeList> {
    return this.#client.request('GET', `${this.path(namespace)}${queryString(options)}`);
  }

  create(namespace: string, obj: KubeObject): Promise<KubeObject> {
    return this.#client.request('POST', this.path(namespace), obj);
  }

  update(namespace: string, obj: KubeObject, subresource?: string): Promise<KubeObject> {
    return this.#client.request('PUT', this.path(namespace, obj.metadata.name!, subresource), obj);
  }

  patch(
    namespace: string,
    name: string,
    patch: unknown,
    type: PatchType = 'merge',
    subresource?: string,
  ): Promise<KubeObject> {
    return this.#client.request('PATCH', this.path(namespace, name, subresource), patch, patchContentTypes[type]);
  }

  delete(
    namespace: string,
    name: string,
    preconditions?: { uid?: string; resourceVersion?: string },
  ): Promise<KubeObject> {
    const body = preconditions ? { kind: 'DeleteOptions', apiVersion: 'v1', preconditions } : undefined;
    return this.#client.request('DELETE', this.path(namespace, name), body);
  }

  /** POST to a subresource (e.g. shoots/adminkubeconfig). */
  createSubresource(namespace: string, name: string, subresource: string, body: unknown): Promise<KubeObject> {
    return this.#client.request('POST', this.path(namespace, name, subresource), body);
  }

  watch(namespace: string, options: WatchOptions = {}): Promise<ClientWatch> {
    const query = new URLSearchParams(queryString(options).slice(1));
    if (options.resourceVersion) query.set('resourceVersion', options.resourceVersion);
    if (options.timeoutSeconds) query.set('timeoutSeconds', String(options.timeoutSeconds));
    if (options.allowWatchBookmarks) query.set('allowWatchBookmarks', 'true');
    return this.#client.watch(this.path(namespace), query);
  }
}

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
