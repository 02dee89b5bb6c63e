/**
 * Raw etcd 3.4, no Transplant: which writes wait while one member of a two-voter cluster computes
 * `HashKV` over its key space, the check a live migration makes before the source members leave
 * (docs/live-migration.md, "Verification" and "Where the pauses come from").
 *
 *   node dist/bench/etcd-hashkv-hold.js [--values 5000] [--value-kib 100] [--json FILE]
 *
 * Two members (plain HTTP on loopback) are filled, left 8 s, then a writer through each member
 * puts a key every 20 ms while, 3 s apart: the follower is hashed; the leader is hashed; the
 * leadership moves and the member that just gave it up is hashed at once (the single-member live
 * flow's order). Per step: how long the hash took, and the longest write through the hashed
 * member and through the other one from the step's start to 300 ms after it. The members'
 * directories are removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { hashKV, leaderStatus, memberList, moveLeader } from '../src/process/etcd-cluster-ops.js';
import { etcdMemberStatus } from '../src/process/etcd-gateway.js';
import { freePort } from '../src/process/etcd-process.js';
import {
  clientUrl,
  fillRandom,
  peerUrl,
  type RawEtcdPorts,
  rawEtcdBenchStart,
  startRawEtcd,
  untilAnswering,
  writeRawEtcdReport,
} from './lib/raw-etcd.js';

const log = (line: string) => process.stderr.write(`${line}\n`);
const NAMES = ['a', 'b'] as const;
type Name = (typeof NAMES)[number];

function usage(): string {
  return `usage: node dist/bench/etcd-hashkv-hold.js [--values N] [--value-kib K] [--json FILE]
  --values N     values the cluster holds (default 5000)
  --value-kib K  KiB per value (default 100)
  --json FILE    also write the results as JSON
`;
}

interface StepResult {
  step: string;
  hashed: 'leader' | 'follower';
  hashMs: number;
  /** Longest write through the hashed member from the step's start to 300 ms after it. */
  throughHashedMs: number;
  /** The same through the other member. */
  throughOtherMs: number;
}

/** A put every 20 ms through each member; the latencies, by member, as [start, ms]. */
function startWriters(clients: Record<Name, Etcd3>) {
  const latencies: Record<Name, [number, number][]> = { a: [], b: [] };
  const failures: Record<Name, number> = { a: 0, b: 0 };
  let stop = false;
  const loops = NAMES.map(async (name) => {
    for (let n = 0; !stop; n++) {
      const start = performance.now();
      // A put that etcd refuses (a proposal dropped while the leadership moves) counts as a write
      // that took until its answer; the writer goes on.
      await clients[name]
        .put(`/probe/${name}/${n}`)
        .value('v')
        .catch(() => {
          failures[name]++;
        });
      latencies[name].push([start, performance.now() - start]);
      await sleep(20);
    }
  });
  const longest = (name: Name, from: number, to: number) =>
    latencies[name]
      .filter(([start, ms]) => start + ms >= from && start <= to)
      .reduce((max, [, ms]) => Math.max(max, ms), 0);
  return {
    failures,
    longest,
    stop: async () => {
      stop = true;
      await Promise.all(loops);
    },
  };
}

async function main(): Promise<void> {
  const { flags, values, valueBytes, start } = rawEtcdBenchStart(usage, log);
  const base = mkdtempSync(join(tmpdir(), 'etcd-hashkv-hold-'));
  const ports = {} as Record<Name, RawEtcdPorts>;
  for (const name of NAMES) ports[name] = { client: await freePort(), peer: await freePort() };
  const cluster = NAMES.map((name) => `${name}=${peerUrl(ports[name])}`).join(',');
  const members = NAMES.map((name) => startRawEtcd(name, join(base, name), base, ports[name], cluster, 'new'));
  const clients = { a: new Etcd3({ hosts: clientUrl(ports.a) }), b: new Etcd3({ hosts: clientUrl(ports.b) }) };
  const endpoints = NAMES.map((name) => clientUrl(ports[name]));
  const results: StepResult[] = [];
  try {
    for (const name of NAMES) await untilAnswering(clients[name]);
    const fillMs = await fillRandom(clients.a, values, valueBytes);
    log(`filled ${values} values of ${valueBytes / 1024} KiB in ${(fillMs / 1000).toFixed(1)} s`);
    await sleep(8_000);
    const writers = startWriters(clients);
    const leader = async (): Promise<Name> =>
      (await leaderStatus(await memberList(endpoints, undefined), undefined)).leader.name as Name;
    const other = (name: Name): Name => (name === 'a' ? 'b' : 'a');
    /** Hashes `name` at its current revision; the step's result from `from` on. */
    const hashStep = async (step: string, name: Name, role: StepResult['hashed'], from: number) => {
      const status = await etcdMemberStatus(clientUrl(ports[name]), undefined);
      const began = performance.now();
      await hashKV(clientUrl(ports[name]), undefined, status!.revision);
      const ended = performance.now();
      await sleep(300);
      const result: StepResult = {
        step,
        hashed: role,
        hashMs: ended - began,
        throughHashedMs: writers.longest(name, from, ended + 300),
        throughOtherMs: writers.longest(other(name), from, ended + 300),
      };
      results.push(result);
      log(
        `${step}: hash ${result.hashMs.toFixed(0)} ms; longest write through it ${result.throughHashedMs.toFixed(0)} ms, through the other ${result.throughOtherMs.toFixed(0)} ms`,
      );
    };
    await sleep(2_000);
    const first = await leader();
    await hashStep('the follower hashed', other(first), 'follower', performance.now());
    await sleep(3_000);
    await hashStep('the leader hashed', first, 'leader', performance.now());
    await sleep(3_000);
    const moved = performance.now();
    const ids = Object.fromEntries((await memberList(endpoints, undefined)).map((m) => [m.name, m.id]));
    await moveLeader(endpoints, undefined, ids[other(first)]!);
    await hashStep('the leadership moved, the old leader hashed at once', first, 'follower', moved);
    await sleep(1_000);
    await writers.stop();
    log(`writes refused: through a ${writers.failures.a}, through b ${writers.failures.b}`);
  } finally {
    for (const client of Object.values(clients)) client.close();
    for (const member of members) member.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }
  for (const r of results) {
    process.stdout.write(
      `${r.step.padEnd(52)} hash ${r.hashMs.toFixed(0).padStart(4)} ms  through it ${r.throughHashedMs.toFixed(0).padStart(4)} ms  through the other ${r.throughOtherMs.toFixed(0).padStart(4)} ms\n`,
    );
  }
  if (flags.json) writeRawEtcdReport(flags.json, start, { values, valueBytes }, results);
}

main().catch((err) => {
  log((err as Error).stack ?? String(err));
  process.exit(1);
});
