/**
 * What processes cost, read from Linux's /proc: resident memory (`/proc/<pid>/status`) and CPU
 * time (`/proc/<pid>/stat`), and the processes whose command line names a directory.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface Memory {
  /** VmRSS: resident memory, bytes. */
  rss: number;
  /** RssAnon: the private (heap, stacks) part of it, bytes. */
  anon: number;
  /** RssFile: mapped files (the binary, shared libraries, mmapped data files), bytes. */
  file: number;
  /**
   * Pss (`/proc/<pid>/smaps_rollup`): resident memory with every shared page divided among the
   * processes sharing it, so the Pss of several processes of one binary adds up fairly; bytes.
   */
  pss?: number;
}

/** Resident memory of `pid`; undefined when the process is gone (or a zombie). */
export function processMemory(pid: number): Memory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string): number | undefined => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const rss = kib('VmRSS');
  if (rss === undefined) return undefined;
  return { rss, anon: kib('RssAnon') ?? 0, file: kib('RssFile') ?? 0, pss: processPss(pid) };
}

function processPss(pid: number): number | undefined {
  try {
    const match = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const clockTicks = 100; // USER_HZ; 100 on every Linux architecture Node runs on

/** User + system CPU time `pid` has used so far, in seconds; undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: count from after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / clockTicks;
}

/** Processes whose executable is named `name` (e.g. `etcd`, any directory) and whose command line mentions `dir`. */
export function processesNaming(name: string, dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const argv = cmdline.split('\0');
    if (basename(argv[0] ?? '') === name && cmdline.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const MiB = 1024 * 1024;
