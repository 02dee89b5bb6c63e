/**
 * Direct HTTPS requests to a test server with the credentials of a kubeconfig (its server, CA and
 * bearer token), for what kubectl cannot send: malformed bodies, no token, a wrong token.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/** Decoded JSON (API objects, lists, watch events), read field by field in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test code reads decoded JSON freely
export type Json = any;

export interface KubeconfigAccess {
  server: string;
  caPem: string;
  token: string | undefined;
}

interface KubeconfigFile {
  clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
  users?: { user?: { token?: string } }[];
}

/** The server, CA and token of the kubeconfig's first cluster and user. */
export async function readKubeconfig(path: string): Promise<KubeconfigAccess> {
  const config = parseYaml(await readFile(path, 'utf8')) as KubeconfigFile;
  const cluster = config.clusters?.[0]?.cluster;
  if (!cluster?.server || !cluster['certificate-authority-data']) throw new Error(`${path}: no cluster with a CA`);
  return {
    server: cluster.server,
    caPem: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
    token: config.users?.[0]?.user?.token,
  };
}

/** Writes a copy of the kubeconfig at `path` whose user has `token` (none when undefined). */
export async function kubeconfigWithToken(source: string, path: string, token: string | undefined): Promise<string> {
  const config = parseYaml(await readFile(source, 'utf8')) as KubeconfigFile & Record<string, unknown>;
  for (const user of config.users ?? []) {
    if (!user.user) continue;
    if (token === undefined) delete user.user.token;
    else user.user.token = token;
  }
  await writeFile(path, stringifyYaml(config), { mode: 0o600 });
  return path;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, undefined when it is not JSON. */
  json: Json;
}

export interface RawRequestOptions {
  /** Overrides the kubeconfig's token; null sends no Authorization header at all. */
  token?: string | null;
}

/**
 * One HTTPS request with the kubeconfig's CA and token. A string or Buffer body is sent as is
 * (Content-Type application/json unless `headers` says otherwise); anything else as JSON.
 */
export async function rawRequest(
  kubeconfig: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  const access = await readKubeconfig(kubeconfig);
  const url = new URL(path, access.server);
  const payload =
    body === undefined
      ? undefined
      : typeof body === 'string' || Buffer.isBuffer(body)
        ? Buffer.from(body)
        : Buffer.from(JSON.stringify(body));
  const token = options.token === undefined ? access.token : options.token;
  const allHeaders: Record<string, string> = { Accept: 'application/json' };
  if (payload) {
    allHeaders['Content-Type'] = 'application/json';
    allHeaders['Content-Length'] = String(payload.length);
  }
  if (token !== null && token !== undefined) allHeaders.Authorization = `Bearer ${token}`;
  Object.assign(allHeaders, headers);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: access.caPem, headers: allHeaders }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** GET `path` with the kubeconfig's credentials: the decoded object, or an error naming the answer. */
export async function getJson(kubeconfig: string, path: string): Promise<Json> {
  const res = await rawRequest(kubeconfig, 'GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return res.json;
}
