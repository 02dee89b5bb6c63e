/**
 * A minimal Kubernetes API client for the benchmark: bearer token (or a client certificate), the
 * server's CA, HTTPS with keep-alive, and the wall-clock time of each request from sending it to
 * the last response byte.
 */
import { Agent, request } from 'node:https';
import { connect } from 'node:net';

export interface ClientOptions {
  server: string;
  /** The server's CA; without it (and with `insecure`) the server's certificate is not verified. */
  caPem?: string;
  /** Bearer token; optional when a client certificate authenticates (or for public paths). */
  token?: string;
  /** Client certificate and key (PEM), e.g. from a shoot's admin kubeconfig. */
  certPem?: string;
  keyPem?: string;
  /** Do not verify the server's certificate (probing `/readyz` before its CA is known). */
  insecure?: boolean;
  /** Connections kept open to the server (default 4). */
  maxSockets?: number;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** Abort the request (rejecting) when no response has completed after this many ms. */
  timeoutMs?: number;
}

export interface Response {
  status: number;
  body: Buffer;
  /** From `request()` to the response's last byte, in milliseconds. */
  ms: number;
}

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path}: HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

export class ApiClient {
  readonly #url: URL;
  readonly #agent: Agent;
  readonly #caPem: string | undefined;
  readonly #token: string | undefined;

  constructor(options: ClientOptions) {
    this.#url = new URL(options.server);
    this.#caPem = options.caPem;
    this.#token = options.token;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 4,
      ca: options.caPem,
      cert: options.certPem,
      key: options.keyPem,
      rejectUnauthorized: !options.insecure,
    });
  }

  /** One request; the body is read completely before the clock stops. Never throws on HTTP status. */
  raw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const payload =
      options.body === undefined
        ? undefined
        : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    const headers: Record<string, string | number> = { Accept: options.accept ?? 'application/json' };
    if (this.#token !== undefined) headers.Authorization = `Bearer ${this.#token}`;
    if (payload) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = request(
        {
          protocol: 'https:',
          hostname: this.#url.hostname.replace(/^\[|\]$/g, ''),
          port: this.#url.port,
          method,
          path,
          headers,
          agent: this.#agent,
          ca: this.#caPem,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (options.timeoutMs !== undefined) {
        req.setTimeout(options.timeoutMs, () =>
          req.destroy(new Error(`${method} ${path}: no response after ${options.timeoutMs} ms`)),
        );
      }
      req.end(payload);
    });
  }

  /** A request that must answer 2xx; returns the timing and the raw body. */
  async call(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const res = await this.raw(method, path, options);
    if (res.status < 200 || res.status >= 300) throw new ApiError(method, path, res.status, res.body.toString('utf8'));
    return res;
  }

  /** A request that must answer 2xx; returns the parsed JSON body. */
  async json<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return JSON.parse((await this.call(method, path, options)).body.toString('utf8')) as T;
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * Whether a TCP connection to `url`'s host and port is accepted within `timeoutMs`: a cheap probe
 * for a server that is not listening yet (far cheaper than a TLS connection attempt).
 */
export function tcpReachable(url: string, timeoutMs = 1000): Promise<boolean> {
  const target = new URL(url);
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
