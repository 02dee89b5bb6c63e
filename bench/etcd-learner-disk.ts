/**
 * Raw etcd 3.4, no Transplant: how long the writes and reads of a one-member cluster wait while
 * a learner joins and catches up, with the learner's data directory on the disk the member writes
 * its log to; the same with the member's peer port behind a relay, without a limit and paced;
 * and with the learner's data on tmpfs (/dev/shm). It separates what a live migration's join
 * costs on one machine, where both seeds share a disk, from what etcd itself costs, and measures
 * whether a paced catch-up spares the member (docs/live-migration.md, "Where the pauses come from").
 *
 *   node dist/bench/etcd-learner-disk.js [--values 5000] [--value-kib 100] [--pace-mib 80] [--json FILE]
 *
 * Per mode: the member is filled, left 35 s for the kernel to write its dirty pages back, then a
 * write and a linearizable read every 20 ms run while the learner is added (`etcdctl member add
 * --learner`) and started, for 25 s. Plain HTTP on loopback; the members' directories are removed
 * afterwards.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { freePort } from '../src/process/etcd-process.js';
import { intFlag } from './lib/flags.js';
import { startPacedRelay } from './lib/paced-relay.js';
import {
  clientUrl,
  fillRandom,
  peerUrl,
  rawEtcdBenchStart,
  startRawEtcd,
  untilAnswering,
  writeRawEtcdReport,
} from './lib/raw-etcd.js';

/**
 * `disk`: the learner's data on the member's disk; `relay`: the same, the member's peer port
 * behind a relay without a limit; `paced`: behind a relay that passes `--pace-mib` MiB/s from the
 * member (the learner's catch-up paced); `tmpfs`: the learner's data on /dev/shm.
 */
const MODES = ['disk', 'relay', 'paced', 'tmpfs'] as const;
type Mode = (typeof MODES)[number];
const log = (line: string) => process.stderr.write(`${line}\n`);

function usage(): string {
  return `usage: node dist/bench/etcd-learner-disk.js [--values N] [--value-kib K] [--pace-mib M] [--json FILE]
  --values N     values the member holds before the learner joins (default 5000)
  --value-kib K  KiB per value (default 100)
  --pace-mib M   MiB/s the paced mode's relay passes from the member (default 80)
  --json FILE    also write the results as JSON
`;
}

/** What one probe (a put, or a linearizable get) saw from the learner's addition on. */
interface ProbeResult {
  maxBeforeMs: number;
  count: number;
  maxMs: number;
  maxAtMs: number;
  over100: number;
}

interface ModeResult {
  mode: Mode;
  fillMs: number;
  /** From the learner's addition until it applied every entry the member held then; -1: not within 25 s. */
  catchUpMs: number;
  writes: ProbeResult;
  reads: ProbeResult;
}

/** `request` every 20 ms until `stop()`; the latencies as [start, ms]. */
function probeEvery20Ms(request: (n: number) => Promise<unknown>) {
  const latencies: [start: number, ms: number][] = [];
  let stopped = false;
  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      const start = performance.now();
      await request(n);
      latencies.push([start, performance.now() - start]);
      await sleep(20);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
    result: (added: number): ProbeResult => {
      const before = latencies.filter(([start]) => start < added).map(([, ms]) => ms);
      const after = latencies.filter(([start]) => start >= added);
      const worst = after.reduce((max, sample) => (sample[1] > max[1] ? sample : max), [added, 0]);
      return {
        maxBeforeMs: Math.max(...before),
        count: after.length,
        maxMs: worst[1],
        maxAtMs: worst[0] - added,
        over100: after.filter(([, ms]) => ms > 100).length,
      };
    },
  };
}

/**
 * Polls the learner until it has applied every entry the member had when the learner was added
 * (`indexAtAdd`); resolves with the ms from `added`, or -1 after `withinMs`.
 */
async function caughtUp(learner: Etcd3, indexAtAdd: number, added: number, withinMs: number): Promise<number> {
  while (performance.now() - added < withinMs) {
    await sleep(100);
    try {
      const status = await learner.maintenance.status();
      if (Number(status.raftAppliedIndex) >= indexAtAdd) return performance.now() - added;
    } catch {
      // Not answering yet.
    }
  }
  return -1;
}

async function runMode(mode: Mode, values: number, valueBytes: number, paceBytes: number): Promise<ModeResult> {
  const base = mkdtempSync(join(tmpdir(), 'etcd-learner-disk-'));
  const learnerDir = mode === 'tmpfs' ? mkdtempSync('/dev/shm/etcd-learner-disk-') : join(base, 'b');
  const [a, b] = [
    { client: await freePort(), peer: await freePort() },
    { client: await freePort(), peer: await freePort() },
  ];
  const members: ChildProcess[] = [];
  const client = new Etcd3({ hosts: clientUrl(a) });
  const learner = new Etcd3({ hosts: clientUrl(b) });
  const relay =
    mode === 'relay' || mode === 'paced' ? await startPacedRelay(a.peer, mode === 'paced' ? paceBytes : 0) : undefined;
  const aPeer = relay ? `http://127.0.0.1:${relay.port}` : peerUrl(a);
  try {
    mkdirSync(join(base, 'a'));
    members.push(startRawEtcd('a', join(base, 'a'), base, a, `a=${aPeer}`, 'new', aPeer));
    await untilAnswering(client);
    const fillMs = await fillRandom(client, values, valueBytes);
    await sleep(35_000); // dirty pages of the fill written back (vm.dirty_expire_centisecs 3000)
    const writer = probeEvery20Ms(async (n) => client.put(`/probe/${n}`).value('v'));
    const reader = probeEvery20Ms(async () => client.get('/probe/0').string());
    await sleep(2_000);
    const added = performance.now();
    const indexAtAdd = Number((await client.maintenance.status()).raftIndex);
    execFileSync(
      'etcdctl',
      ['--endpoints', clientUrl(a), 'member', 'add', 'b', '--learner', '--peer-urls', peerUrl(b)],
      { stdio: 'ignore' },
    );
    const cluster = `a=${aPeer},b=${peerUrl(b)}`;
    members.push(startRawEtcd('b', learnerDir, base, b, cluster, 'existing'));
    const catchUpMs = await caughtUp(learner, indexAtAdd, added, 25_000);
    await sleep(Math.max(0, 25_000 - (performance.now() - added)));
    await Promise.all([writer.stop(), reader.stop()]);
    return { mode, fillMs, catchUpMs, writes: writer.result(added), reads: reader.result(added) };
  } finally {
    await relay?.close();
    learner.close();
    client.close();
    for (const member of members) member.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
    rmSync(learnerDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { flags, values, valueBytes, start } = rawEtcdBenchStart(usage, log, { 'pace-mib': { type: 'string' } });
  const paceBytes = intFlag('--pace-mib', flags['pace-mib'], 80, 1) * 1024 * 1024;
  const results: ModeResult[] = [];
  for (const mode of MODES) {
    const result = await runMode(mode, values, valueBytes, paceBytes);
    results.push(result);
    const probe = (name: string, p: ProbeResult) =>
      `${name}: longest before the learner ${p.maxBeforeMs.toFixed(0)} ms; after: ${p.count}, longest ${p.maxMs.toFixed(0)} ms ` +
      `at +${(p.maxAtMs / 1000).toFixed(2)} s, ${p.over100} over 100 ms`;
    log(
      `${mode}: filled in ${(result.fillMs / 1000).toFixed(1)} s; caught up in ${(result.catchUpMs / 1000).toFixed(1)} s; ` +
        `${probe('writes', result.writes)}; ${probe('reads', result.reads)}`,
    );
  }
  const disk = results[0]!;
  for (const what of ['writes', 'reads'] as const) {
    const others = results
      .slice(1)
      .map(
        (r) => `${r.mode} ${r[what].maxMs.toFixed(0)} ms (${(disk[what].maxMs / r[what].maxMs).toFixed(1)}× shorter)`,
      );
    process.stdout.write(
      `longest ${what.slice(0, -1)} while the learner joins: disk ${disk[what].maxMs.toFixed(0)} ms; ${others.join('; ')}\n`,
    );
  }
  if (flags.json) writeRawEtcdReport(flags.json, start, { values, valueBytes }, results);
}

main().catch((err) => {
  log((err as Error).stack ?? String(err));
  process.exit(1);
});
