/**
 * Where the druid keeps one Etcd's server on disk, and the state file that lets a restarted seed
 * find it again:
 *
 * ```
 * <runtimeDir>/<namespace>/<name>/
 *   data/        etcd's data dir (survives restarts of etcd and of the seed)
 *   conf/        TLS files (0600), etcd.log, etcd.pid
 *   etcd.json    {pid, clientPort, peerPort, startedAt, dataDir, clientUrl, configHash}
 * ```
 *
 * The ports are chosen once, at the first successful start, and kept in `etcd.json`, so the client
 * URL stays the same across restarts of etcd and of the seed. The file is written atomically
 * (temp file + rename): a crash leaves either the old or the new content, never half of it.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const ETCD_STATE_FILE = 'etcd.json';

/** The files of one Etcd under the seed's runtime dir; all paths absolute. */
export interface EtcdPaths {
  /** `<runtimeDir>/<namespace>/<name>`: everything of this etcd, removed on deletion. */
  readonly dir: string;
  readonly dataDir: string;
  readonly confDir: string;
  readonly stateFile: string;
}

export function etcdPaths(runtimeDir: string, namespace: string, name: string): EtcdPaths {
  const dir = resolve(runtimeDir, namespace, name);
  return Object.freeze({
    dir,
    dataDir: join(dir, 'data'),
    confDir: join(dir, 'conf'),
    stateFile: join(dir, ETCD_STATE_FILE),
  });
}

/** The content of `etcd.json`. */
export interface EtcdState {
  /** The server's pid; null when the druid stopped it on purpose (`spec.replicas: 0`). */
  pid: number | null;
  clientPort: number;
  peerPort: number;
  /** When the current (or last) server started, RFC 3339. */
  startedAt: string;
  dataDir: string;
  /** `http(s)://127.0.0.1:<clientPort>`: what `status.endpoint` reports. */
  clientUrl: string;
  /** A digest of the flags and TLS material the server runs with; a change restarts it. */
  configHash: string;
  /** The backup sidecar's HTTPS port, once it has one; kept so its URL survives seed restarts. */
  backupPort?: number;
}

/** The state file's content, undefined when there is none or it is unreadable. */
export async function readEtcdState(paths: EtcdPaths): Promise<EtcdState | undefined> {
  let text: string;
  try {
    text = await readFile(paths.stateFile, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return parseEtcdState(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Writes the state file atomically. */
export async function writeEtcdState(paths: EtcdPaths, state: EtcdState): Promise<void> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const temp = `${paths.stateFile}.${process.pid}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, paths.stateFile);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

function parseEtcdState(value: unknown): EtcdState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const port = (p: unknown) => typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536;
  if (!port(v.clientPort) || !port(v.peerPort) || typeof v.dataDir !== 'string') return undefined;
  const pid = typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 ? v.pid : null;
  return {
    pid,
    clientPort: v.clientPort as number,
    peerPort: v.peerPort as number,
    startedAt: typeof v.startedAt === 'string' ? v.startedAt : '',
    dataDir: v.dataDir,
    clientUrl: typeof v.clientUrl === 'string' ? v.clientUrl : `http://127.0.0.1:${v.clientPort}`,
    configHash: typeof v.configHash === 'string' ? v.configHash : '',
    ...(port(v.backupPort) ? { backupPort: v.backupPort as number } : {}),
  };
}
