/**
 * Real etcd servers for tests: each in a fresh temp dir on free ports, removed by `cleanup()`.
 * Every server started here is also killed when the test process exits, whatever way it ends,
 * so a failing or interrupted test leaves no etcd behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EtcdProcess, type EtcdProcessOptions, startEtcd } from '../../src/process/etcd-process.js';
import { isProcessAlive } from '../../src/process/processes.js';

export interface TestEtcd {
  /** The running server; replaced by `restart()`. */
  readonly etcd: EtcdProcess;
  /** The temp dir holding the data dir and the conf dir. */
  readonly dir: string;
  readonly dataDir: string;
  /** `[clientUrl]`, for store options. */
  readonly endpoints: string[];
  /** Stops the server (it keeps its data dir). */
  stop(): Promise<void>;
  /** Starts it again on the same data dir and ports (after `stop()`, or stopping it first). */
  restart(): Promise<void>;
  /** Stops the server and removes the temp dir. Safe to call twice. */
  cleanup(): Promise<void>;
}

export type TestEtcdOptions = Partial<Omit<EtcdProcessOptions, 'dataDir'>>;

/** Pids of every server started by this process that may still run. */
const running = new Set<number>();
let exitHookInstalled = false;

/**
 * Faster elections: a single member elects itself only after its election timeout, which is the
 * bulk of etcd's start-up time.
 */
const FAST_START_ARGS = ['--election-timeout=200', '--heartbeat-interval=20'];

export async function startTestEtcd(options: TestEtcdOptions = {}): Promise<TestEtcd> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'transplant-etcd-'));
  const dataDir = join(dir, 'data');
  const launch = async (ports: { clientPort?: number; peerPort?: number } = {}) => {
    const started = await startEtcd({
      name: 'test',
      extraArgs: FAST_START_ARGS,
      stopGraceMs: 5_000,
      ...options,
      ...ports,
      dataDir,
    });
    running.add(started.pid);
    void started.exited.then(() => running.delete(started.pid));
    return started;
  };
  let etcd: EtcdProcess;
  try {
    etcd = await launch();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let cleaned: Promise<void> | undefined;
  return {
    get etcd() {
      return etcd;
    },
    dir,
    dataDir,
    get endpoints() {
      return [etcd.clientUrl];
    },
    stop: () => etcd.stop(),
    async restart() {
      await etcd.stop();
      etcd = await launch({ clientPort: port(etcd.clientUrl), peerPort: port(etcd.peerUrl) });
    },
    cleanup() {
      cleaned ??= (async () => {
        await etcd.stop();
        await rm(dir, { recursive: true, force: true });
      })();
      return cleaned;
    },
  };
}

/**
 * Remembers a pid started outside `startTestEtcd` (e.g. a detached server) for the exit hook;
 * the returned function forgets it again once the test stopped it.
 */
export function killOnExit(pid: number): () => void {
  installExitHook();
  running.add(pid);
  return () => running.delete(pid);
}

/** On exit, and on SIGINT/SIGTERM (which skip 'exit'), SIGKILLs every server still running. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killAll);
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.once(name, () => {
      killAll();
      process.exit(name === 'SIGINT' ? 130 : 143);
    });
  }
}

function killAll(): void {
  for (const pid of running) {
    if (!isProcessAlive(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  running.clear();
}

function port(url: string): number {
  return Number(new URL(url).port);
}
