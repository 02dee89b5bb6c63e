/**
 * Runs child processes of this command (the garden, each seed) and restarts one that exits on
 * its own, with backoff. Stopping sends SIGTERM, then SIGKILL after a grace period.
 *
 * The backoff is for a process that cannot start (it doubles with every exit soon after a
 * start); one that ran for a while before it died is started again after the first delay, so a
 * seed killed now and then, e.g. by the crash tests, comes back in a second each time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Logger } from 'pino';

export interface SupervisedSpec {
  name: string;
  /** The `transplant` arguments (the CLI runs with this process's node), unless `argv` is given. */
  args: string[];
  /** A whole command line instead, e.g. another node script. */
  argv?: string[];
  /** Turns the command line into the one to run, e.g. inside a network namespace (`ip netns exec …`). */
  wrap?: (argv: string[]) => string[];
  logFile: string;
}

interface Supervised {
  spec: SupervisedSpec;
  child?: ChildProcess;
  restarts: number;
  /** Exits in a row, each soon after its start: what the backoff grows with. */
  quickExits: number;
  /** Set by `restart`: the next exit starts it again at once. */
  restartNow?: boolean;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

/** A process that ran this long before it exited was not failing to start. */
const STABLE_RUN_MS = 10_000;

export class Supervisor {
  readonly #logger: Logger;
  readonly #entries = new Map<string, Supervised>();
  readonly #onChange: () => void;
  #stopping = false;

  /** `onChange` runs whenever a process (re)starts, e.g. to rewrite landscape.json. */
  constructor(logger: Logger, onChange: () => void) {
    this.#logger = logger;
    this.#onChange = onChange;
  }

  start(spec: SupervisedSpec): void {
    const entry: Supervised = { spec, restarts: 0, quickExits: 0, startedAt: 0 };
    this.#entries.set(spec.name, entry);
    this.#launch(entry);
  }

  pid(name: string): number | undefined {
    return this.#entries.get(name)?.child?.pid;
  }

  /** Names of the processes supervised. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** Stops process `name` (SIGKILL) and starts it again at once, e.g. after its host was recreated. */
  restart(name: string): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    const child = entry.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      entry.restartNow = true;
      child.kill('SIGKILL');
    } else {
      clearTimeout(entry.timer);
      this.#launch(entry);
    }
  }

  /** Starts at once every process waiting out its backoff after an exit. */
  reviveExited(): void {
    for (const entry of this.#entries.values()) {
      const child = entry.child;
      if (child && (child.exitCode !== null || child.signalCode !== null) && !entry.restartNow) {
        clearTimeout(entry.timer);
        entry.quickExits = 0;
        this.#launch(entry);
      }
    }
  }

  async stop(graceMs = 15_000): Promise<void> {
    this.#stopping = true;
    const exits = [...this.#entries.values()].map((entry) => {
      clearTimeout(entry.timer);
      const child = entry.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
    });
    await Promise.all(exits);
  }

  #launch(entry: Supervised): void {
    const log = openSync(entry.spec.logFile, 'a', 0o600);
    const plain = entry.spec.argv ?? [process.execPath, process.argv[1]!, ...entry.spec.args];
    const argv = entry.spec.wrap ? entry.spec.wrap(plain) : plain;
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', log, log] });
    closeSync(log);
    entry.child = child;
    entry.startedAt = Date.now();
    this.#logger.info({ process: entry.spec.name, pid: child.pid, restarts: entry.restarts }, 'process started');
    this.#onChange();
    child.once('exit', (code, signal) => {
      if (this.#stopping) return;
      entry.restarts++;
      if (entry.restartNow) {
        entry.restartNow = false;
        this.#launch(entry);
        return;
      }
      entry.quickExits = Date.now() - entry.startedAt < STABLE_RUN_MS ? entry.quickExits + 1 : 1;
      const delay = Math.min(500 * 2 ** Math.min(entry.quickExits, 6), 30_000);
      this.#logger.warn({ process: entry.spec.name, code, signal, restartInMs: delay }, 'process exited; restarting');
      entry.timer = setTimeout(() => this.#launch(entry), delay);
    });
  }
}
