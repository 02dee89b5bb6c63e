/**
 * Reads the kubeconfig files this project writes (and the usual shapes of others): the current
 * context's server, CA and credentials (bearer token or client certificate), inline or as files.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface ClusterCredentials {
  server: string;
  caPem?: string;
  token?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  namespace?: string;
  insecureSkipTlsVerify?: boolean;
}

interface NamedEntry<T> {
  name: string;
  [key: string]: unknown;
  value?: T;
}

type Raw = Record<string, unknown>;

export function loadKubeconfig(path: string, contextName?: string): ClusterCredentials {
  const text = readFileSync(path, 'utf8');
  return parseKubeconfig(text, dirname(resolve(path)), contextName);
}

/**
 * A reader of the kubeconfig at `path` that answers its credentials once after every change of
 * the file (its modification time or size), undefined otherwise or while it cannot be read: the
 * file is replaced atomically, but a half-written one is read again at the next call.
 */
export function kubeconfigChanges(path: string): () => ClusterCredentials | undefined {
  const stamp = () => {
    const stat = statSync(path, { throwIfNoEntry: false });
    return stat ? `${stat.mtimeMs}:${stat.size}:${stat.ino}` : undefined;
  };
  let seen = stamp();
  return () => {
    const now = stamp();
    if (now === undefined || now === seen) return undefined;
    try {
      const credentials = loadKubeconfig(path);
      seen = now;
      return credentials;
    } catch {
      return undefined;
    }
  };
}

export function parseKubeconfig(text: string, baseDir = '.', contextName?: string): ClusterCredentials {
  const config = (parseYaml(text) ?? {}) as Raw;
  const wanted = contextName ?? (config['current-context'] as string | undefined);
  const context = pick(config.contexts, wanted, 'context');
  const cluster = pick(config.clusters, context?.cluster as string | undefined, 'cluster');
  const user = pick(config.users, context?.user as string | undefined, 'user') ?? {};
  if (!cluster || typeof cluster.server !== 'string') {
    throw new Error(`kubeconfig has no cluster with a server for context ${JSON.stringify(wanted ?? '')}`);
  }
  const file = (key: string) => {
    const value = user[key] ?? cluster[key];
    return typeof value === 'string' ? readFileSync(resolve(baseDir, value), 'utf8') : undefined;
  };
  const data = (source: Raw, key: string) =>
    typeof source[key] === 'string' ? Buffer.from(source[key] as string, 'base64').toString('utf8') : undefined;
  return {
    server: cluster.server,
    caPem: data(cluster, 'certificate-authority-data') ?? fileOf(cluster, 'certificate-authority', baseDir),
    token: typeof user.token === 'string' ? user.token : undefined,
    clientCertPem: data(user, 'client-certificate-data') ?? file('client-certificate'),
    clientKeyPem: data(user, 'client-key-data') ?? file('client-key'),
    namespace: typeof context?.namespace === 'string' ? context.namespace : undefined,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}

function fileOf(source: Raw, key: string, baseDir: string): string | undefined {
  const value = source[key];
  return typeof value === 'string' ? readFileSync(resolve(baseDir, value), 'utf8') : undefined;
}

function pick(list: unknown, name: string | undefined, field: string): Raw | undefined {
  if (!Array.isArray(list)) return undefined;
  const entries = list as NamedEntry<unknown>[];
  const entry = name === undefined ? entries[0] : entries.find((e) => e.name === name);
  const value = entry?.[field];
  return typeof value === 'object' && value !== null ? (value as Raw) : undefined;
}
