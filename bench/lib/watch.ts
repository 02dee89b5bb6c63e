/**
 * A Kubernetes watch for the benchmark: one long-lived HTTPS request (`?watch=true`) on its own
 * connection, newline-delimited events handed to a callback with the time they arrived.
 */
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import type { ClientOptions } from './client.js';

export interface WatchEvent<T = Record<string, unknown>> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface Watch {
  /** Resolves once the server has answered 200 (events from then on are seen). */
  readonly started: Promise<void>;
  /** Resolves when the stream ends (server timeout, error, or `stop`). */
  readonly ended: Promise<void>;
  stop(): void;
}

/**
 * Watches `path` (a list path; `watch=true` is added) and calls `onEvent` with each event and
 * `Date.now()` at its arrival. A stream that ends is not resumed: callers that watch longer than
 * the server's timeout pass `timeoutSeconds` in the path.
 */
export function watchEvents<T = Record<string, unknown>>(
  options: ClientOptions,
  path: string,
  onEvent: (event: WatchEvent<T>, atMs: number) => void,
): Watch {
  const url = new URL(options.server);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let req: ClientRequest | undefined;
  let resolveStarted!: () => void;
  let rejectStarted!: (err: Error) => void;
  const started = new Promise<void>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  started.catch(() => undefined);
  const ended = new Promise<void>((resolveEnded) => {
    req = request(
      {
        protocol: 'https:',
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        method: 'GET',
        path: `${path}${path.includes('?') ? '&' : '?'}watch=true`,
        headers,
        agent: false,
        ca: options.caPem,
        cert: options.certPem,
        key: options.keyPem,
        rejectUnauthorized: !options.insecure,
      },
      (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString('utf8');
          });
          res.on('end', () => {
            rejectStarted(new Error(`watch ${path}: HTTP ${res.statusCode}: ${body.slice(0, 500)}`));
            resolveEnded();
          });
          return;
        }
        resolveStarted();
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = Date.now();
          buffered += chunk;
          for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent<T>, at);
          }
        });
        res.on('end', () => resolveEnded());
        res.on('error', () => resolveEnded());
        res.on('close', () => resolveEnded());
      },
    );
    req.on('error', (err) => {
      rejectStarted(err);
      resolveEnded();
    });
    req.end();
  });
  return {
    started,
    ended,
    stop() {
      req?.destroy();
    },
  };
}
