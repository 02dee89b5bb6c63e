/**
 * The local provider's machines: node-agent processes on this host, started detached so that they
 * outlive the seed process that created them, as virtual machines outlive the seed that ordered
 * them. A machine is its directory (its "disk": credentials, log, pid file); its process carries
 * `--machine-dir=<dir>` on its command line and is found through /proc by it, so any seed process
 * that shares the infrastructure directory adopts a running machine instead of starting a second
 * one — after its own restart, or after the control plane moved there from another seed.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { findProcessesByArgument, isProcessAlive, terminateProcess } from '../../process/processes.js';

/** The argument that names a machine's directory on its process's command line. */
export const MACHINE_DIR_ARGUMENT = '--machine-dir=';

export interface MachineCommand {
  /** The program, e.g. `process.execPath`. */
  executable: string;
  /** Arguments before the machine's own, e.g. the CLI script and `node`. */
  args: readonly string[];
}

export interface MachineLaunch {
  /** The machine's directory; created when missing. */
  dir: string;
  /** The machine's own arguments (after `MachineCommand.args`; `--machine-dir=` is added). */
  args: readonly string[];
  /**
   * The network namespace of the machine's host, when machines have hosts of their own: the agent
   * runs there (`ip netns exec`, which then runs the agent in its own process: the pid stays).
   */
  netns?: string;
}

export interface RunningMachine {
  pid: number;
  /** False when a running process was adopted. */
  started: boolean;
}

export class MachineRuntime {
  readonly #command: MachineCommand;
  readonly #logger: Logger;

  constructor(command: MachineCommand, logger: Logger) {
    this.#command = command;
    this.#logger = logger;
  }

  /** The pid of the machine of `dir`, if it runs (the oldest, should there ever be two). */
  async running(dir: string): Promise<number | undefined> {
    const pids = await machinePids(dir);
    return pids.sort((a, b) => a - b)[0];
  }

  /** Starts the machine unless it runs already. */
  async ensure(launch: MachineLaunch): Promise<RunningMachine> {
    const dir = resolve(launch.dir);
    const pid = await this.running(dir);
    if (pid !== undefined) return { pid, started: false };
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const log = openSync(join(dir, 'machine.log'), 'a', 0o600);
    try {
      const argv = [this.#command.executable, ...this.#command.args, ...launch.args, `${MACHINE_DIR_ARGUMENT}${dir}`];
      const inHost = launch.netns ? ['ip', 'netns', 'exec', launch.netns, ...argv] : argv;
      const child = spawn(inHost[0]!, inHost.slice(1), {
        detached: true,
        stdio: ['ignore', log, log],
        cwd: dir,
      });
      child.unref();
      if (child.pid === undefined) throw new Error(`machine in ${dir} did not start`);
      await writeFile(join(dir, 'machine.pid'), `${child.pid}\n`, { mode: 0o600 });
      this.#logger.info({ machine: dir, pid: child.pid, netns: launch.netns }, 'machine started');
      return { pid: child.pid, started: true };
    } finally {
      closeSync(log);
    }
  }

  /** Stops the machine's process(es), SIGTERM then SIGKILL; with `removeDir`, its directory goes too. */
  async stop(dir: string, options: { removeDir?: boolean; graceMs?: number } = {}): Promise<void> {
    const pids = await machinePids(resolve(dir));
    await Promise.all(pids.map((pid) => terminateProcess(pid, options.graceMs)));
    if (pids.length > 0) this.#logger.info({ machine: dir, pids }, 'machine stopped');
    if (options.removeDir) await rm(dir, { recursive: true, force: true });
  }
}

/** Stops every machine whose directory is below `root` (a landscape going down); the pids stopped. */
export async function stopMachinesUnder(root: string, graceMs?: number): Promise<number[]> {
  const prefix = `${resolve(root)}/`;
  const pids = await findProcessesByArgument(MACHINE_DIR_ARGUMENT, (value) => resolve(value).startsWith(prefix));
  await Promise.all(pids.map((pid) => terminateProcess(pid, graceMs)));
  return pids;
}

async function machinePids(dir: string): Promise<number[]> {
  const target = resolve(dir);
  const pids = await findProcessesByArgument(MACHINE_DIR_ARGUMENT, (value) => resolve(value) === target);
  return pids.filter(isProcessAlive);
}
