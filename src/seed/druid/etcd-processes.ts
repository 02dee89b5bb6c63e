/**
 * The etcd servers a seed runs, found through their state files and /proc (Linux): which pid
 * serves which data dir, listing them all, and stopping them. A pid alone proves nothing after a
 * restart (pids are reused), so a process counts as "the etcd of data dir D" only when its
 * command line carries `--data-dir=D`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findEtcdProcessesBy } from '../../process/etcd-process.js';
import { commandLine, isProcessAlive, terminateProcess } from '../../process/processes.js';
import { type EtcdPaths, type EtcdState, etcdPaths, readEtcdState } from './etcd-state.js';

/** How long a stop waits after SIGTERM before SIGKILL. */
export const DEFAULT_ETCD_STOP_GRACE_MS = 10_000;

/** Whether `pid` is alive and an etcd serving `dataDir`. */
export function isEtcdProcessFor(pid: number, dataDir: string): boolean {
  if (!isProcessAlive(pid)) return false;
  const args = commandLine(pid);
  return args?.includes(`--data-dir=${dataDir}`) === true;
}

/** Every live process serving `dataDir`: the recorded one and any orphan a crash left behind. */
export function findEtcdProcesses(dataDir: string): Promise<number[]> {
  return findEtcdProcessesBy((dir) => dir === dataDir);
}

/**
 * Stops every process serving `paths.dataDir` or the data dir of one of its members (a
 * multi-member Etcd's, under `<dir>/members/`; SIGTERM, SIGKILL after `graceMs`), one after the
 * other, and resolves once they are gone. Returns the pids it stopped.
 */
export async function stopEtcdAt(paths: EtcdPaths, graceMs = DEFAULT_ETCD_STOP_GRACE_MS): Promise<number[]> {
  const membersDir = `${join(paths.dir, 'members')}/`;
  const pids = await findEtcdProcessesBy((dir) => dir === paths.dataDir || dir.startsWith(membersDir));
  // One at a time: a leader stopped together with its followers spends 5 s and more in etcd's
  // shutdown trying to hand its leadership to a member that is going away too; stopped in turn,
  // each hands it to one still running and the last finds none: all gone in under a second.
  for (const pid of pids) await terminateProcess(pid, graceMs);
  return pids;
}

/** One Etcd's server as its state file describes it. */
export interface EtcdProcessEntry {
  namespace: string;
  name: string;
  paths: EtcdPaths;
  state: EtcdState;
  /** The recorded pid is alive and serves the recorded data dir. */
  running: boolean;
}

/** Every Etcd with a state file under `runtimeDir` (`<runtimeDir>/<ns>/<name>/etcd.json`). */
export async function listEtcdProcesses(runtimeDir: string): Promise<EtcdProcessEntry[]> {
  const entries: EtcdProcessEntry[] = [];
  for (const namespace of await subdirectories(runtimeDir)) {
    for (const name of await subdirectories(join(runtimeDir, namespace))) {
      const paths = etcdPaths(runtimeDir, namespace, name);
      const state = await readEtcdState(paths);
      if (!state) continue;
      const running = state.pid !== null && isEtcdProcessFor(state.pid, state.dataDir);
      entries.push({ namespace, name, paths, state, running });
    }
  }
  return entries;
}

/**
 * Stops every etcd server under `runtimeDir` (for `transplant down`): each Etcd's own and each of
 * its members' (a multi-member Etcd has no state file of its own, only its members do), keeping
 * data and state files: a seed started again restarts them on the same ports. Returns the pids
 * it stopped.
 */
export async function stopAllEtcds(runtimeDir: string, graceMs = DEFAULT_ETCD_STOP_GRACE_MS): Promise<number[]> {
  const stopped: number[] = [];
  for (const namespace of await subdirectories(runtimeDir)) {
    const names = await subdirectories(join(runtimeDir, namespace));
    const pids = await Promise.all(names.map((name) => stopEtcdAt(etcdPaths(runtimeDir, namespace, name), graceMs)));
    stopped.push(...pids.flat());
  }
  return stopped;
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}
