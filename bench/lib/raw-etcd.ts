/**
 * Raw etcd 3.4 members for the benchmarks that measure etcd itself, no Transplant: plain HTTP on
 * loopback, each member's log in a file, every member killed when the benchmark exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Etcd3 } from 'etcd3';
import { intFlag, parseBenchFlags } from './flags.js';
import { type BenchStart, benchStart, describeMachine, sourceRevision } from './machine.js';

export interface RawEtcdPorts {
  client: number;
  peer: number;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export const clientUrl = (ports: RawEtcdPorts): string => `http://127.0.0.1:${ports.client}`;
export const peerUrl = (ports: RawEtcdPorts): string => `http://127.0.0.1:${ports.peer}`;

/**
 * Starts member `name` on `dataDir` with `--initial-cluster cluster`; its log goes to
 * `logDir/<name>.log`. It advertises `advertisedPeerUrl` to its peers (default its own peer port).
 */
export function startRawEtcd(
  name: string,
  dataDir: string,
  logDir: string,
  ports: RawEtcdPorts,
  cluster: string,
  state: 'new' | 'existing',
  advertisedPeerUrl = peerUrl(ports),
): ChildProcess {
  const out = openSync(join(logDir, `${name}.log`), 'w');
  const args = ['--name', name, '--data-dir', dataDir];
  args.push('--listen-client-urls', clientUrl(ports), '--advertise-client-urls', clientUrl(ports));
  args.push('--listen-peer-urls', peerUrl(ports), '--initial-advertise-peer-urls', advertisedPeerUrl);
  args.push('--initial-cluster', cluster, '--initial-cluster-state', state);
  args.push('--quota-backend-bytes', String(8 * 1024 ** 3));
  const child = spawn('etcd', args, { stdio: ['ignore', out, out] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Resolves once `client` is answered (up to about 10 s). */
export async function untilAnswering(client: Etcd3): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await client.get('ready');
      return;
    } catch (err) {
      if (i > 100) throw err;
      await sleep(100);
    }
  }
}

/** Writes `values` random values of `valueBytes` under `/data/`, 50 at a time; resolves with the ms it took. */
export async function fillRandom(client: Etcd3, values: number, valueBytes: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < values; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, values - i) }, (_, j) =>
        client.put(`/data/${i + j}`).value(randomBytes(valueBytes)),
      ),
    );
  }
  return performance.now() - started;
}

/** Writes a raw-etcd benchmark's `--json` report: the machine, the source revision, the data and the results. */
export function writeRawEtcdReport(
  file: string,
  start: BenchStart,
  data: { values: number; valueBytes: number },
  results: unknown[],
): void {
  const report = { machine: describeMachine(start.machine), revision: sourceRevision(process.cwd()), ...data, results };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

/**
 * A raw-etcd benchmark's command line (`--values N`, `--value-kib K`, the string flags `more`
 * and the common flags) and
 * its start: what `--values` and `--value-kib` ask for (default 5,000 values of 100 KiB).
 */
export function rawEtcdBenchStart<T extends Record<string, { type: 'string' }>>(
  usage: () => string,
  log: (line: string) => void,
  more: T = {} as T,
) {
  const options = { values: { type: 'string' }, 'value-kib': { type: 'string' } } as const;
  // The extra flags are strings, parsed with the others; their values are typed by name.
  const parsed = parseBenchFlags(process.argv.slice(2), { ...more, ...options } as typeof options, usage);
  const flags = parsed as typeof parsed & Partial<Record<keyof T, string>>;
  const values = intFlag('--values', flags.values, 5000, 1);
  const valueBytes = intFlag('--value-kib', flags['value-kib'], 100, 1) * 1024;
  return { flags, values, valueBytes, start: benchStart(log) };
}
