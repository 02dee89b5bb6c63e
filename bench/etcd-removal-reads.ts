/**
 * Raw etcd 3.4 and the etcd store: how long reads wait while a cluster of two voters shrinks to
 * one, the removal of the source member that ends a single-member shoot's live migration, with
 * the store's reads held for the removal (`removeMember`'s `holdReads`, src/storage/etcd/read-gate.ts)
 * and without (docs/live-migration.md, "Where the pauses come from").
 *
 *   node dist/bench/etcd-removal-reads.js [--reps 10] [--readers 4] [--json FILE]
 *
 * Per repetition, the modes taking turns: a fresh cluster of members a (leader) and b (plain HTTP
 * on loopback), `--readers` loops reading one key through an etcd store on a as fast as answers
 * come, and after 1 s (b connected for over 5 s, or etcd refuses) b is removed through a; the longest read from 100 ms before the removal to
 * 1 s after it. The members' directories are removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { memberList, removeMember } from '../src/process/etcd-cluster-ops.js';
import { freePort } from '../src/process/etcd-process.js';
import { type EtcdStore, openEtcdStore } from '../src/storage/etcd/etcd-store.js';
import { intFlag, parseBenchFlags } from './lib/flags.js';
import { benchStart } from './lib/machine.js';
import { clientUrl, peerUrl, startRawEtcd, untilAnswering, writeRawEtcdReport } from './lib/raw-etcd.js';

const MODES = ['held', 'not held'] as const;
type Mode = (typeof MODES)[number];
const log = (line: string) => process.stderr.write(`${line}\n`);

function usage(): string {
  return `usage: node dist/bench/etcd-removal-reads.js [--reps N] [--readers N] [--json FILE]
  --reps N      removals per mode (default 10)
  --readers N   concurrent read loops (default 4)
  --json FILE   also write the results as JSON
`;
}

interface RepResult {
  mode: Mode;
  rep: number;
  reads: number;
  /** The longest read from 100 ms before the removal to 1 s after it. */
  maxMs: number;
  removalMs: number;
}

/** `readers` loops of `store.get` until `stop()`; the latencies as [start, ms]. */
function startReaders(store: EtcdStore, readers: number) {
  const latencies: [number, number][] = [];
  let stopped = false;
  const loops = Array.from({ length: readers }, async () => {
    while (!stopped) {
      const start = performance.now();
      await store.get('/probe');
      latencies.push([start, performance.now() - start]);
    }
  });
  return {
    latencies,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function runRep(mode: Mode, rep: number, readers: number): Promise<RepResult> {
  const base = mkdtempSync(join(tmpdir(), 'etcd-removal-reads-'));
  const [a, b] = [
    { client: await freePort(), peer: await freePort() },
    { client: await freePort(), peer: await freePort() },
  ];
  const members = [];
  const client = new Etcd3({ hosts: clientUrl(a) });
  let store: EtcdStore | undefined;
  try {
    mkdirSync(join(base, 'a'));
    members.push(startRawEtcd('a', join(base, 'a'), base, a, `a=${peerUrl(a)}`, 'new'));
    await untilAnswering(client);
    await client.put('/probe').value(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p' } }));
    execFileSync('etcdctl', ['--endpoints', clientUrl(a), 'member', 'add', 'b', '--peer-urls', peerUrl(b)], {
      stdio: 'ignore',
    });
    members.push(startRawEtcd('b', join(base, 'b'), base, b, `a=${peerUrl(a)},b=${peerUrl(b)}`, 'existing'));
    await untilAnswering(client);
    store = await openEtcdStore({ endpoints: [clientUrl(a)], prefix: '' });
    // etcd refuses a removal until the members that remain were connected for 5 s (HealthInterval).
    await sleep(5_500);
    const reading = startReaders(store, readers);
    await sleep(1_000);
    const bId = (await memberList([clientUrl(a)], undefined)).find((m) => m.name === 'b')?.id;
    if (!bId) throw new Error('member b is not in the cluster');
    const holdReads = store.holdReads.bind(store);
    const removing = performance.now();
    await removeMember([clientUrl(a)], undefined, bId, mode === 'held' ? { holdReads } : {});
    const removalMs = performance.now() - removing;
    await sleep(1_000);
    await reading.stop();
    const window = reading.latencies.filter(([start]) => start >= removing - 100 && start <= removing + 1_000);
    return { mode, rep, reads: window.length, maxMs: Math.max(...window.map(([, ms]) => ms)), removalMs };
  } finally {
    await store?.close();
    client.close();
    for (const member of members) member.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const flags = parseBenchFlags(
    process.argv.slice(2),
    { reps: { type: 'string' }, readers: { type: 'string' } },
    usage,
  );
  const reps = intFlag('--reps', flags.reps, 10, 1);
  const readers = intFlag('--readers', flags.readers, 4, 1);
  const start = benchStart(log);
  const results: RepResult[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    for (const mode of MODES) {
      const result = await runRep(mode, rep, readers);
      results.push(result);
      log(
        `${mode} #${rep}: ${result.reads} reads around the removal (${result.removalMs.toFixed(0)} ms), longest ${result.maxMs.toFixed(0)} ms`,
      );
    }
  }
  const summary = MODES.map((mode) => {
    const mine = results.filter((r) => r.mode === mode);
    return {
      mode,
      worstMs: Math.max(...mine.map((r) => r.maxMs)),
      stalled: mine.filter((r) => r.maxMs >= 400).length,
    };
  });
  const [held, notHeld] = summary as [(typeof summary)[0], (typeof summary)[0]];
  process.stdout.write(
    `longest read across the removal, ${reps} removals each: held ${held.worstMs.toFixed(0)} ms (${held.stalled} over 400 ms), ` +
      `not held ${notHeld.worstMs.toFixed(0)} ms (${notHeld.stalled} over 400 ms), ${(notHeld.worstMs / held.worstMs).toFixed(1)}×\n`,
  );
  if (flags.json) writeRawEtcdReport(flags.json, start, { values: 1, valueBytes: 0 }, results);
}

main().catch((err) => {
  log((err as Error).stack ?? String(err));
  process.exit(1);
});
