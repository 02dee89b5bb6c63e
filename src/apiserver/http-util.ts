/**
 * Request body reading and response writing shared by every handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, requestEntityTooLarge, type Status, type StatusError } from '../api/errors.js';
import { maxBodyNestingDepth, nestsDeeperThan } from './nesting-depth.js';

/** Kubernetes' default limit for a request body (3 MiB). */
export const defaultMaxBodyBytes = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxBytes) {
    req.resume();
    throw requestEntityTooLarge(`request entity too large: limit is ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      req.resume();
      throw requestEntityTooLarge(`request entity too large: limit is ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status.code, status);
}
