/**
 * `/metrics` (a non-resource URL, as on Kubernetes: it needs authentication and RBAC `get` on
 * the nonResourceURL): the server's own registry in Prometheus' text format, and below it the
 * paths a server adds (a seed's `/metrics/shoots/…`, its shoots' API servers). One registry per
 * server object, never prom-client's global one: a seed process runs one API server per shoot,
 * and tests run several servers in one process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { methodNotAllowed, pathNotFound } from '../../api/errors.js';

export const METRICS_PATH = '/metrics';

/** What a path below /metrics answers. */
export interface MetricsAnswer {
  contentType: string;
  body: string;
}

/** Answers the paths below `/metrics/<name>`: `subpath` is what follows the name (`''`, `/shoot--dev--a`); undefined is a 404. */
export type MetricsPathHandler = (subpath: string) => Promise<MetricsAnswer | undefined>;

/** Whether `path` is /metrics or below it. */
export function isMetricsPath(path: string): boolean {
  return path === METRICS_PATH || path.startsWith(`${METRICS_PATH}/`);
}

export class MetricsEndpoint {
  /** The server's metrics; its parts register theirs here (`registers: [registry]`). */
  readonly registry = new Registry();
  readonly #paths = new Map<string, MetricsPathHandler>();

  /** Serves `/metrics/<name>…` with `handler`, or stops serving it (undefined). */
  setPath(name: string, handler: MetricsPathHandler | undefined): void {
    if (handler) this.#paths.set(name, handler);
    else this.#paths.delete(name);
  }

  /** Answers a GET of `/metrics` or a path below it (authorized by the caller). */
  async serve(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw methodNotAllowed(`${req.method} is not allowed on ${path}`);
    const answer = await this.#answer(path);
    if (!answer) throw pathNotFound();
    const body = Buffer.from(answer.body);
    res.writeHead(200, { 'Content-Type': answer.contentType, 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async #answer(path: string): Promise<MetricsAnswer | undefined> {
    const rest = path.slice(METRICS_PATH.length).replace(/\/+$/, '');
    if (rest === '') return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    const [, name = '', ...tail] = rest.split('/');
    const handler = this.#paths.get(name);
    return handler?.(tail.length > 0 ? `/${tail.join('/')}` : '');
  }
}
