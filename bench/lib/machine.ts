/** What the benchmark ran on, for the record next to its numbers. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  os: string;
}

export function machineInfo(): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    memoryBytes: totalmem(),
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
  };
}

/** `model name` from /proc/cpuinfo (Linux), else what Node reports. */
function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1]!.trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function describeMachine(m: MachineInfo): string {
  const gib = (m.memoryBytes / 1024 ** 3).toFixed(1);
  return `${m.nproc} CPU (${m.cpuModel}), ${gib} GiB RAM, node ${m.node}, ${m.os}`;
}

/** The source revision measured: `git describe`-like short hash, `+dirty` with local changes. */
export function sourceRevision(cwd: string): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const hash = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${hash}+dirty` : hash;
  } catch {
    return 'unknown';
  }
}

/** What a benchmark records as it starts: the machine, the time and the load average then. */
export interface BenchStart {
  machine: MachineInfo;
  started: number;
  loadStart: number;
}

/** Records the start and logs the machine, warning when other work already loads it. */
export function benchStart(log: (line: string) => void): BenchStart {
  const machine = machineInfo();
  const started = Date.now();
  const loadStart = loadavg()[0]!;
  if (loadStart > 0.5)
    log(`warning: load average ${loadStart.toFixed(2)} before starting; other work skews the results`);
  log(`machine: ${describeMachine(machine)}`);
  return { machine, started, loadStart };
}
