/**
 * Request body reading and response writing shared by every handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, requestEntityTooLarge, type Status, type StatusError } from '../api/errors.js';
import { auditRequestBody, auditResponseStatus } from './audit/auditor.js';
import { maxBodyNestingDepth, nestsDeeperThan } from './nesting-depth.js';

/** Kubernetes' default limit for a request body (3 MiB). */
export const defaultMaxBodyBytes = 3 * 1024 * 1024;

/**
 * Reads a request body of at most `maxBytes`. A larger one is refused with 413 as soon as its
 * declared length or the bytes received pass the limit, and what is left of it is read and
 * discarded rather than kept: the answer goes out at once, and the connection stays usable (k8s
 * reads at most limit+1 bytes; Node would reset a connection whose request it stopped reading).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => {
    req.removeAllListeners('data');
    req.resume();
    return requestEntityTooLarge(`Request entity too large: limit is ${maxBytes}`);
  };
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxBytes) return Promise.reject(tooLarge());
  // Events rather than `for await`: leaving that loop early destroys the request, and with it the
  // socket, which the client would see as a reset instead of the 413.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        req.off('end', done);
        req.off('error', reject);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    const done = () => {
      const body = Buffer.concat(chunks);
      auditRequestBody(req, body);
      resolve(body);
    };
    req.once('end', done);
    req.once('error', reject);
  });
}

/**
 * Parses a JSON or YAML body (by content type; JSON is also valid YAML); a body nested more than
 * `maxBodyNestingDepth` levels deep is a 400.
 */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const body = decodeBody(raw, contentType);
  if (nestsDeeperThan(body, maxBodyNestingDepth)) {
    throw badRequest(`the request body is nested too deeply: more than ${maxBodyNestingDepth} levels`);
  }
  return body;
}

function decodeBody(raw: Buffer, contentType: string | undefined): unknown {
  const media = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  const text = raw.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  if (media === 'application/yaml' || media === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text);
    } catch (err) {
      throw badRequest(`the request body is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (media.includes('protobuf') || media === 'application/cbor') {
    throw badRequest(`unsupported content type ${media}: send JSON or YAML`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

/**
 * Streams a JSON document made of a head, comma-separated items and a tail (a list whose items
 * are already JSON text), in chunks, waiting for the socket to drain.
 */
export async function sendJsonParts(
  res: ServerResponse,
  head: string,
  items: readonly string[],
  tail: string,
): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  let chunk = head;
  for (let i = 0; i < items.length; i++) {
    chunk += i === 0 ? items[i] : `,${items[i]}`;
    if (chunk.length >= 256 * 1024) {
      if (!res.write(chunk)) await drained(res);
      if (res.destroyed) return;
      chunk = '';
    }
  }
  res.end(chunk + tail);
}

/** Resolves when the response can take more data, or has been closed (a client that went away). */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function sendStatus(res: ServerResponse, err: StatusError): void {
  const status: Status = err.status;
  auditResponseStatus(res, status);
  if (res.headersSent) {
    res.end();
    return;
  }
  // As Kubernetes: a Status that says when to try again says it in the header clients act on too.
  if (status.details?.retryAfterSeconds) res.setHeader('Retry-After', String(status.details.retryAfterSeconds));
  sendJson(res, status.code, status);
}
