/**
 * What travels through a shoot's VPN tunnel, between a node agent (the client end, Gardener's
 * vpn-shoot) and the shoot's vpn-seed-server: the API server's HTTP requests to the node and the
 * node's answers, multiplexed by id over one WebSocket, one JSON text frame each. The node dials
 * out (the seed never needs a route into the shoot's network); the seed asks, the node answers.
 */

/** The WebSocket subprotocol both ends must agree on; a different one is refused at the upgrade. */
export const TUNNEL_SUBPROTOCOL = 'tunnel.transplant.dev.v1';

/** The largest frame either end accepts (a response body is base64 inside it). */
export const MAX_TUNNEL_FRAME_BYTES = 4 * 1024 * 1024;

/** The API server's request to the node: a path on the node's own endpoint (kubelet's port). */
export interface TunnelRequest {
  type: 'request';
  id: number;
  method: string;
  /** Path and query, e.g. `/healthz` or `/configz`. */
  path: string;
  headers: Record<string, string>;
  /** Base64; absent for a request without a body. */
  body?: string;
}

export interface TunnelResponse {
  type: 'response';
  id: number;
  status: number;
  headers: Record<string, string>;
  /** Base64. */
  body: string;
}

export type TunnelFrame = TunnelRequest | TunnelResponse;

/** An HTTP exchange in plain terms, as the two ends handle it. */
export interface NodeHttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

export interface NodeHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class TunnelProtocolError extends Error {}

export function requestFrame(id: number, req: NodeHttpRequest): string {
  const frame: TunnelRequest = { type: 'request', id, method: req.method, path: req.path, headers: req.headers ?? {} };
  if (req.body && req.body.length > 0) frame.body = req.body.toString('base64');
  return JSON.stringify(frame);
}

export function responseFrame(id: number, res: NodeHttpResponse): string {
  const frame: TunnelResponse = {
    type: 'response',
    id,
    status: res.status,
    headers: res.headers,
    body: res.body.toString('base64'),
  };
  return JSON.stringify(frame);
}

/** Parses and checks one frame; anything else is a TunnelProtocolError saying what is wrong. */
export function decodeFrame(data: string): TunnelFrame {
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    throw new TunnelProtocolError('a tunnel frame is not JSON');
  }
  if (typeof frame !== 'object' || frame === null) throw new TunnelProtocolError('a tunnel frame is not an object');
  const f = frame as Record<string, unknown>;
  if (!Number.isSafeInteger(f.id)) throw new TunnelProtocolError('a tunnel frame has no integer id');
  if (!isStringMap(f.headers))
    throw new TunnelProtocolError(`tunnel frame ${f.id}: headers must map strings to strings`);
  if (f.type === 'request') {
    if (typeof f.method !== 'string' || typeof f.path !== 'string' || !f.path.startsWith('/')) {
      throw new TunnelProtocolError(`tunnel request ${f.id}: method and an absolute path are required`);
    }
    if (f.body !== undefined && typeof f.body !== 'string') {
      throw new TunnelProtocolError(`tunnel request ${f.id}: body must be base64`);
    }
    return f as unknown as TunnelRequest;
  }
  if (f.type === 'response') {
    if (!Number.isInteger(f.status) || (f.status as number) < 100 || (f.status as number) > 599) {
      throw new TunnelProtocolError(`tunnel response ${f.id}: status must be an HTTP status code`);
    }
    if (typeof f.body !== 'string') throw new TunnelProtocolError(`tunnel response ${f.id}: body must be base64`);
    return f as unknown as TunnelResponse;
  }
  throw new TunnelProtocolError(`tunnel frame ${f.id}: unknown type ${JSON.stringify(f.type)}`);
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
