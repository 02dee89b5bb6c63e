/**
 * Processes of this machine that are not (or no longer) children of this process: detached etcd
 * servers and node agents, adopted after a restart. Linux only: found and checked through /proc.
 *
 * `src/process/` is where starting, finding and stopping OS processes lives (this file, the etcd
 * server, the landscape's supervisor): the storage, backup, seed and CLI layers all run processes,
 * and none of them is where the others should look for that.
 */
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';

const POLL_MS = 50;

/** Whether a process with this pid exists and is not a zombie (Linux: checked in /proc). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // The state follows the parenthesised command name: "123 (etcd) S ...".
    const statLine = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return statLine.slice(statLine.lastIndexOf(')') + 2, statLine.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Stops a process that is not (or no longer) this process's child, e.g. a detached etcd adopted
 * after a restart: SIGTERM, SIGKILL after `graceMs`, then waits until it is gone.
 */
export async function terminateProcess(pid: number, graceMs = 10_000): Promise<void> {
  if (!signal(pid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  let killed = false;
  while (isProcessAlive(pid)) {
    if (!killed && Date.now() >= deadline) {
      killed = true;
      signal(pid, 'SIGKILL');
    }
    await sleep(POLL_MS);
  }
}

/**
 * When process `pid` started (clock ticks since boot, /proc/<pid>/stat field 22), undefined when
 * it is gone: with the pid it names one process, not whichever reuses the pid later.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    const statLine = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name start with field 3 (state).
    const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** The arguments of process `pid` (Linux /proc), undefined when it is gone or unreadable. */
export function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * Live processes (other than this one) with an argument `<prefix><value>` whose value `matches`,
 * e.g. `--data-dir=` and a directory.
 */
export async function findProcessesByArgument(prefix: string, matches: (value: string) => boolean): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      if (pid === process.pid) return false;
      const argument = commandLine(pid)?.find((arg) => arg.startsWith(prefix));
      return argument !== undefined && matches(argument.slice(prefix.length));
    });
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
