/**
 * The fuzzer's HTTPS client: one keep-alive connection, the path sent exactly as generated (no
 * URL normalisation, so `..`, `%2F` and `//` reach the server as they are), and the server's
 * answer kept raw for the property to judge.
 */
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import type { HostedApiServer } from '../../../src/hosting/hosted-api-server.js';
import { readKubeconfig } from '../api-client.js';

export interface FuzzCredentials {
  caPem: string;
  /** A bearer token, or a client certificate and key. */
  token?: string;
  certPem?: string;
  keyPem?: string;
}

export interface FuzzRequest {
  method: string;
  /** Path and query as sent, already escaped. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzResponse {
  status: number;
  contentType: string;
  text: string;
}

export class FuzzTransport {
  readonly #server: URL;
  readonly #credentials: FuzzCredentials;
  readonly #agent: Agent;

  constructor(server: string, credentials: FuzzCredentials) {
    this.#server = new URL(server);
    this.#credentials = credentials;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: credentials.caPem,
      ...(credentials.certPem ? { cert: credentials.certPem, key: credentials.keyPem } : {}),
    });
  }

  send(req: FuzzRequest): Promise<FuzzResponse> {
    const headers: Record<string, string> = { ...req.headers };
    if (this.#credentials.token) headers.Authorization = `Bearer ${this.#credentials.token}`;
    if (req.body) headers['Content-Length'] = String(req.body.length);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          agent: this.#agent,
          host: this.#server.hostname,
          port: this.#server.port,
          method: req.method,
          path: req.path,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(req.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * A transport as a `system:masters` user of `server` (the fuzzer deletes and rewrites RBAC objects,
 * the operator's among them), with its kubeconfig written into `dir`.
 */
export async function superuserTransport(server: HostedApiServer, dir: string, user: string): Promise<FuzzTransport> {
  const kubeconfig = await server.ensureKubeconfig(join(dir, `${user}.kubeconfig`), {
    name: user,
    groups: ['system:masters'],
  });
  const access = await readKubeconfig(kubeconfig);
  return new FuzzTransport(access.server, { caPem: access.caPem, ...(access.token ? { token: access.token } : {}) });
}
