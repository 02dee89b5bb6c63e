/**
 * Resources served by code rather than a store (shoots/adminkubeconfig, nodes/proxy,
 * selfsubjectaccessreviews), k8s's rest.Connecter and custom REST storage in one small contract:
 * the server matches a request to a handler here before it looks for a store, reads the body for
 * it, and writes what it answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExtraResource } from './discovery.js';
import { readBody, sendJson } from './http-util.js';
import type { RequestInfo } from './request-info.js';
import type { ApiServer } from './server.js';
import type { UserInfo } from './types.js';

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

/** The handler that serves the request's resource and subresource, if one does. */
export function findCustomHandler(handlers: readonly CustomHandler[], info: RequestInfo): CustomHandler | undefined {
  return handlers.find(
    (h) =>
      h.group === info.apiGroup &&
      h.version === info.apiVersion &&
      h.resource === info.resource &&
      (h.subresource ?? '') === info.subresource &&
      (info.subpath === '' || h.subpaths === true),
  );
}

/** Runs the handler on the request and writes its answer. */
export async function serveCustom(
  handler: CustomHandler,
  req: IncomingMessage,
  res: ServerResponse,
  request: Pick<CustomRequest, 'info' | 'query' | 'user' | 'server'>,
  maxBodyBytes: number,
): Promise<void> {
  const raw = ['POST', 'PUT', 'PATCH'].includes(req.method ?? '') ? await readBody(req, maxBodyBytes) : Buffer.alloc(0);
  const result = await handler.handle({
    method: req.method ?? 'GET',
    info: request.info,
    query: request.query,
    user: request.user,
    raw,
    contentType: req.headers['content-type'],
    server: request.server,
  });
  if ('raw' in result) {
    res.writeHead(result.code, { 'Content-Type': result.contentType, 'Content-Length': result.raw.length });
    res.end(req.method === 'HEAD' ? undefined : result.raw);
  } else {
    sendJson(res, result.code, result.body);
  }
}
