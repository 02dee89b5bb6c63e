/**
 * The paths that name no resource (k8s "non-resource URLs"): /version and the health checks,
 * served before authentication, and the discovery and OpenAPI documents kubectl reads before it
 * makes any resource request. None of them touches a store.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodNotAllowed, pathNotFound } from '../api/errors.js';
import type { Discovery } from './discovery.js';
import { sendJson } from './http-util.js';
import { type OpenApi, openApiV2 } from './openapi.js';
import type { RequestInfo } from './request-info.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
}

/** Kubernetes 1.31: kubectl's dispatcher here picks its binary by the server's minor version. */
export const defaultVersion: VersionInfo = { major: '1', minor: '31', gitVersion: 'v1.31.0-transplant' };

/**
 * /version of a server that reports Kubernetes `version` (`1.36.0`, a shoot's
 * `spec.kubernetes.version`): `{major: '1', minor: '36', gitVersion: 'v1.36.0'}`; the default for
 * anything that is no `x.y.z`.
 */
export function versionInfo(version: string | undefined): VersionInfo {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(version ?? '');
  if (!match) return defaultVersion;
  return { major: match[1]!, minor: match[2]!, gitVersion: `v${match[1]}.${match[2]}.${match[3]}` };
}

/** Answered to anyone, authenticated or not. */
export const publicPaths = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

/** /version, or a health check that is ok while the server is ready. */
export function servePublic(path: string, res: ServerResponse, state: { ready: boolean; version: VersionInfo }): void {
  if (path.startsWith('/version')) {
    sendJson(res, 200, {
      ...state.version,
      platform: `${process.platform}/${process.arch}`,
      goVersion: `node${process.versions.node}`,
    });
    return;
  }
  const ok = state.ready;
  res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(ok ? 'ok' : 'not ready');
}

/** Discovery (/api, /apis, …) and OpenAPI (/openapi/v2, /openapi/v3/…) documents. */
export function serveNonResource(
  info: RequestInfo,
  req: IncomingMessage,
  res: ServerResponse,
  discovery: Discovery,
  openapi: OpenApi,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw methodNotAllowed(`${req.method} is not allowed on ${info.path}`);
  const path = info.path.replace(/\/+$/, '');
  const parts = path.split('/').filter(Boolean);
  let body: unknown;
  if (path === '/api') body = discovery.coreVersions();
  else if (path === '/apis') body = discovery.groupList();
  else if (parts[0] === 'apis' && parts.length === 2) body = discovery.group(parts[1]!);
  else if (parts[0] === 'api' && parts.length === 2) body = discovery.resourceList('', parts[1]!);
  else if (parts[0] === 'apis' && parts.length === 3) body = discovery.resourceList(parts[1]!, parts[2]!);
  else if (path === '/openapi/v2') {
    const doc = openApiV2((req.headers.accept ?? '').includes('protobuf'));
    res.writeHead(200, { 'content-type': doc.contentType, 'content-length': doc.body.length });
    res.end(req.method === 'HEAD' ? undefined : doc.body);
    return;
  } else if (path === '/openapi/v3') body = openapi.root();
  else if (parts[0] === 'openapi' && parts[1] === 'v3') body = openapi.document(parts.slice(2).join('/'));
  if (body === undefined) throw pathNotFound();
  sendJson(res, 200, body);
}
