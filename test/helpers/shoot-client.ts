/**
 * An HTTPS client for a shoot's API with the client certificate of an admin kubeconfig (what
 * `shoots/adminkubeconfig` returns), for the many requests tests make that kubectl would make
 * too slowly: thousands of writes, polling during a migration. Keep-alive, bounded sockets.
 * A kubeconfig with a bearer token (the garden's) works too.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { Json } from './api-client.js';

export interface ShootResponse {
  status: number;
  body: Json;
}

/** A response whose body is read as it arrives (a watch). */
export interface ShootStream {
  status: number;
  response: IncomingMessage;
  /** Ends the request and its connection (the body stops arriving). */
  close(): void;
}

export interface ShootClient {
  readonly server: string;
  /** The address the last answered request's connection went to (which server answered). */
  readonly lastRemoteAddress: string | undefined;
  request(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<ShootResponse>;
  /**
   * A GET whose body is streamed (e.g. `?watch=true`); resolves once the headers arrived, fails if
   * they do not within `timeoutMs`. The body has no timeout: the caller closes the stream.
   */
  stream(path: string, timeoutMs?: number): Promise<ShootStream>;
  /** Creates `count` ConfigMaps `<prefix>-<i>` in `namespace`, `parallel` at a time; returns their resourceVersions by name. */
  createConfigMaps(namespace: string, prefix: string, count: number, parallel?: number): Promise<Map<string, string>>;
  /** Every ConfigMap of `namespace` (paged) but `kube-root-ca.crt`, and the list's resourceVersion. */
  listConfigMaps(namespace: string): Promise<{ items: Json[]; resourceVersion: string }>;
  close(): void;
}

interface KubeconfigWithCert {
  clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
  users?: { user?: { 'client-certificate-data'?: string; 'client-key-data'?: string; token?: string } }[];
}

export interface ShootClientOptions {
  /**
   * Resolves the server's name for each new connection (instead of the machine's resolver), e.g.
   * through a landscape's DNS server that the test's own namespace does not use.
   */
  lookup?: LookupFunction;
}

const decode = (b64: string | undefined) => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined);

export async function shootClient(kubeconfigPath: string, options: ShootClientOptions = {}): Promise<ShootClient> {
  const config = parseYaml(await readFile(kubeconfigPath, 'utf8')) as KubeconfigWithCert;
  const cluster = config.clusters?.[0]?.cluster;
  const user = config.users?.[0]?.user;
  const ca = decode(cluster?.['certificate-authority-data']);
  const cert = decode(user?.['client-certificate-data']);
  const key = decode(user?.['client-key-data']);
  const token = user?.token;
  if (!cluster?.server || !ca || ((!cert || !key) && !token))
    throw new Error(`${kubeconfigPath}: needs a server, a CA and a client certificate or token`);
  const server = cluster.server;
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 64,
    ca,
    ...(cert && key ? { cert, key } : {}),
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  let lastRemoteAddress: string | undefined;

  const send = (method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<ShootResponse> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        new URL(path, server),
        {
          method,
          agent,
          timeout: timeoutMs,
          headers: {
            accept: 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          lastRemoteAddress = (res.socket as Socket | null)?.remoteAddress ?? lastRemoteAddress;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Json = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text for the assertion message
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });

  const stream = (path: string, timeoutMs = 30_000): Promise<ShootStream> =>
    new Promise((resolve, reject) => {
      const req = request(
        new URL(path, server),
        {
          method: 'GET',
          agent,
          timeout: timeoutMs,
          headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        },
        (res) => {
          lastRemoteAddress = (res.socket as Socket | null)?.remoteAddress ?? lastRemoteAddress;
          // The timeout guarded the answer's start; a watch may then be quiet for as long as it likes.
          req.setTimeout(0);
          resolve({ status: res.statusCode ?? 0, response: res, close: () => req.destroy() });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });

  return {
    server,
    get lastRemoteAddress() {
      return lastRemoteAddress;
    },
    request: send,
    stream,
    async createConfigMaps(namespace, prefix, count, parallel = 32) {
      const versions = new Map<string, string>();
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < count; i = next++) {
          const name = `${prefix}-${i}`;
          const res = await send('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name },
            data: { index: String(i), payload: `value of ${name}` },
          });
          if (res.status !== 201) throw new Error(`creating ${name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
          versions.set(name, res.body.metadata.resourceVersion);
        }
      };
      await Promise.all(Array.from({ length: parallel }, worker));
      return versions;
    },
    async listConfigMaps(namespace) {
      const items: Json[] = [];
      let resourceVersion = '';
      let token = '';
      do {
        const res = await send(
          'GET',
          `/api/v1/namespaces/${namespace}/configmaps?limit=2000${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
        );
        if (res.status !== 200) throw new Error(`listing configmaps: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        // The cluster's own (the root CA publisher's, in every namespace), not what a test wrote.
        items.push(...res.body.items.filter((cm: Json) => cm.metadata.name !== 'kube-root-ca.crt'));
        if (!resourceVersion) resourceVersion = res.body.metadata.resourceVersion;
        token = res.body.metadata.continue ?? '';
      } while (token);
      return { items, resourceVersion };
    },
    close: () => agent.destroy(),
  };
}
