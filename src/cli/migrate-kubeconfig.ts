/**
 * The garden's kubeconfig found as kubectl finds it, so that `kubectl transplant migrate` talks to
 * the cluster `kubectl` does: `--kubeconfig FILE`, else every file of `$KUBECONFIG` merged the
 * way kubectl merges them (the first file to set a value wins; missing files are skipped), else
 * `~/.kube/config`. src/client/kubeconfig-file.ts reads the result: bearer tokens and client
 * certificates. A user whose credentials come from an exec plugin or an auth provider is refused
 * by name rather than sent unauthenticated.
 */
import { readFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { isRecord } from '../api/meta.js';
import { type ClusterCredentials, parseKubeconfig } from '../client/kubeconfig-file.js';
import { MigrateError } from './migrate-error.js';

/** Where the kubeconfig comes from, and the one-line name of that place for messages. */
export interface KubeconfigSource {
  paths: string[];
  from: '--kubeconfig' | 'KUBECONFIG' | 'default';
}

export function kubeconfigSource(flag: string | undefined, env: NodeJS.ProcessEnv, home: string): KubeconfigSource {
  if (flag) return { paths: [flag], from: '--kubeconfig' };
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (list.length > 0) return { paths: list, from: 'KUBECONFIG' };
  return { paths: [join(home, '.kube', 'config')], from: 'default' };
}

type Raw = Record<string, unknown>;

/** The fields of a named entry that name files, relative to the file that holds them. */
const FILE_FIELDS: Readonly<Record<string, readonly [string, readonly string[]]>> = {
  clusters: ['cluster', ['certificate-authority']],
  users: ['user', ['client-certificate', 'client-key']],
  contexts: ['context', []],
};

export function loadKubeconfigs(source: KubeconfigSource, context?: string): ClusterCredentials {
  const merged: Record<string, Raw[]> = { clusters: [], contexts: [], users: [] };
  let currentContext: string | undefined;
  let found = 0;
  for (const path of source.paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      // kubectl skips a missing file of a KUBECONFIG list, but not a file named by itself.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && source.from === 'KUBECONFIG') continue;
      throw new MigrateError(
        'error',
        `cannot read kubeconfig ${path} (from ${describe(source)}): ${(err as Error).message}`,
        {
          hint: 'Give the garden kubeconfig with --kubeconfig FILE or KUBECONFIG.',
        },
      );
    }
    found++;
    const config = parseYaml(text) as unknown;
    if (!isRecord(config)) continue;
    const dir = dirname(resolve(path));
    for (const [list, [field, files]] of Object.entries(FILE_FIELDS)) {
      const entries = Array.isArray(config[list]) ? (config[list] as unknown[]) : [];
      for (const entry of entries) {
        if (!isRecord(entry) || typeof entry.name !== 'string') continue;
        if (merged[list]!.some((e) => e.name === entry.name)) continue;
        merged[list]!.push(withAbsoluteFiles(entry, field, files, dir));
      }
    }
    if (currentContext === undefined && typeof config['current-context'] === 'string' && config['current-context']) {
      currentContext = config['current-context'];
    }
  }
  if (found === 0) {
    throw new MigrateError('error', `no kubeconfig: none of ${source.paths.join(', ')} exists (from KUBECONFIG)`, {
      hint: 'Give the garden kubeconfig with --kubeconfig FILE or KUBECONFIG.',
    });
  }
  const wanted = context ?? currentContext;
  refuseUnsupportedAuth(merged, wanted);
  const text = stringify({ ...merged, ...(currentContext ? { 'current-context': currentContext } : {}) });
  try {
    return parseKubeconfig(text, '/', context);
  } catch (err) {
    throw new MigrateError('error', `kubeconfig from ${describe(source)}: ${(err as Error).message}`);
  }
}

function describe(source: KubeconfigSource): string {
  return source.from === 'default' ? 'the default ~/.kube/config' : source.from;
}

function withAbsoluteFiles(entry: Raw, field: string, files: readonly string[], dir: string): Raw {
  const body = entry[field];
  if (!isRecord(body)) return entry;
  const copy: Raw = { ...body };
  for (const key of files) {
    const value = copy[key];
    if (typeof value === 'string' && !isAbsolute(value)) copy[key] = resolve(dir, value);
  }
  return { ...entry, [field]: copy };
}

/** Throws when the context's user gets its credentials from a program Transplant does not run. */
function refuseUnsupportedAuth(merged: Record<string, Raw[]>, contextName: string | undefined): void {
  const contexts = merged.contexts ?? [];
  const context = contextName === undefined ? contexts[0] : contexts.find((c) => c.name === contextName);
  const userName = isRecord(context?.context) ? context.context.user : undefined;
  const user = (merged.users ?? []).find((u) => u.name === userName)?.user;
  if (!isRecord(user)) return;
  const hasOwn = ['token', 'client-certificate', 'client-certificate-data'].some((k) => typeof user[k] === 'string');
  const program =
    user.exec !== undefined ? 'an exec plugin' : user['auth-provider'] !== undefined ? 'an auth provider' : '';
  if (program && !hasOwn) {
    throw new MigrateError(
      'error',
      `user "${String(userName)}" of the kubeconfig gets its credentials from ${program}, which transplant does not run`,
      { hint: 'Use a kubeconfig with a token or a client certificate (e.g. a service account of the garden).' },
    );
  }
}
