/**
 * Shoot workers across a migration: how long after the destination's API server starts serving
 * every machine is a Ready node again, its Lease renewed through the shoot's stable address, and
 * reachable by the API server through its VPN tunnel (`nodes/<name>/proxy/healthz` answered).
 *
 * One landscape (`transplant up --detach`, seed-a and seed-b); the example shoot with its worker
 * pool scaled to `--machines` (node agents started by the Worker extension, outside the seeds).
 * Then `--runs` migrations back and forth with the seed document's trigger command. For each: a
 * poller GETs the shoot API every 50 ms (`measureDowntime`); the API serves again at the end of
 * its longest gap; from then the Leases in kube-node-lease are polled every 50 ms until each was
 * renewed after that moment, and every node's `/proxy/healthz` until it answers `ok`. The figures
 * are the last node's delays; the same machine processes must carry on (same pids), none started
 * twice. Target: both ≤ 10 s.
 *
 *   node dist/bench/workers.js [--machines 3] [--runs 3] [--json out.json] [--keep] [--strict]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProcessesByArgument } from '../src/process/processes.js';
import { MACHINE_DIR_ARGUMENT } from '../src/seed/runtime/machine-runtime.js';
import { kubectl } from '../test/helpers/kubectl.js';
import { SHOOT_NAMESPACE as NAMESPACE, SHOOT, triggerMigration } from '../test/helpers/migration.js';
import { type ShootClient, shootClient } from '../test/helpers/shoot-client.js';
import { measureDowntime } from '../test/helpers/shoot-writer.js';
import { intFlag, parseBenchFlags } from './lib/flags.js';
import { Landscape } from './lib/landscape.js';
import { describeMachine, machineInfo, sourceRevision } from './lib/machine.js';
import { markdownTable } from './lib/table.js';

const TARGET_MS = 10_000;
const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const repoDir = fileURLToPath(new URL('../../', import.meta.url));

interface RunResult {
  from: string;
  to: string;
  apiDowntimeMs: number;
  /** From the API serving again to the last node's Lease renewed after it. */
  nodesBackMs: number;
  perNodeMs: Record<string, number>;
  /** From the API serving again to the last node answering through its tunnel. */
  tunnelsBackMs: number;
  samePids: boolean;
}

const usage = () =>
  'node dist/bench/workers.js [--machines 3] [--runs 3] [--json out.json] [--keep] [--strict]\n' +
  '  Time from the destination API server serving to every node Ready again after a migration.\n';

const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${what}`);
    await sleep(50);
  }
}

async function machinePids(infrastructure: string): Promise<number[]> {
  return (await findProcessesByArgument(MACHINE_DIR_ARGUMENT, (dir) => dir.startsWith(infrastructure))).sort();
}

async function leaseRenewals(client: ShootClient): Promise<Map<string, number>> {
  const { status, body } = await client.request(
    'GET',
    '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
  );
  if (status !== 200) throw new Error(`listing leases: HTTP ${status}`);
  const items = (body as { items?: Array<{ metadata: { name: string }; spec: { renewTime?: string } }> }).items ?? [];
  return new Map(items.map((l) => [l.metadata.name, Date.parse(l.spec.renewTime ?? '')]));
}

/** The node answers the API server through its VPN tunnel. */
async function reachable(client: ShootClient, node: string): Promise<boolean> {
  const { status, body } = await client.request('GET', `/api/v1/nodes/${node}/proxy/healthz`);
  return status === 200 && body === 'ok';
}

async function readyNodes(client: ShootClient): Promise<number> {
  const { body } = await client.request('GET', '/api/v1/nodes');
  const items = (body as { items?: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }> })
    .items;
  return (items ?? []).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .length;
}

async function main(): Promise<void> {
  const flags = parseBenchFlags(
    process.argv.slice(2),
    { machines: { type: 'string' }, runs: { type: 'string' } },
    usage,
  );
  const machines = intFlag('--machines', flags.machines, 3, 1);
  const runs = intFlag('--runs', flags.runs, 3, 1);
  const info = machineInfo();
  log(`machine: ${describeMachine(info)}`);
  const seeds = ['seed-a', 'seed-b'];
  const landscape = Landscape.create({ seeds, prefix: 'transplant-bench-workers-', keepDir: flags.keep });
  const cleanup = () => landscape.cleanupSync();
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  let client: ShootClient | undefined;
  const results: RunResult[] = [];
  try {
    await landscape.up({ seeds });
    const garden = join(landscape.dir, 'garden.kubeconfig');
    for (const file of ['10-project.yaml', '30-shoot.yaml']) {
      const applied = await kubectl(garden, ['apply', '-f', join(examplesDir, file)]);
      if (applied.code !== 0) throw new Error(`kubectl apply -f ${file}: ${applied.stderr}`);
    }
    const scale = JSON.stringify([
      { op: 'replace', path: '/spec/provider/workers/0/minimum', value: machines },
      { op: 'replace', path: '/spec/provider/workers/0/maximum', value: machines },
    ]);
    const patched = await kubectl(garden, ['patch', 'shoot', '-n', NAMESPACE, SHOOT, '--type', 'json', '-p', scale]);
    if (patched.code !== 0) throw new Error(`scaling the worker pool: ${patched.stderr}`);
    const kubeconfig = join(landscape.dir, 'shoot.kubeconfig');
    await until(
      async () => {
        await landscape.adminKubeconfig(NAMESPACE, SHOOT, kubeconfig);
        return true;
      },
      120_000,
      'an admin kubeconfig',
    );
    client = await shootClient(kubeconfig);
    const shootApi = client;
    await until(async () => ((await readyNodes(shootApi)) === machines ? true : undefined), 180_000, 'nodes Ready');
    const infrastructure = join(landscape.dir, 'infrastructure');
    const pidsBefore = await machinePids(infrastructure);
    log(`${machines} machines Ready (pids ${pidsBefore.join(', ')})`);

    for (let run = 0; run < runs; run++) {
      const [from, to] = run % 2 === 0 ? ['seed-a', 'seed-b'] : ['seed-b', 'seed-a'];
      const poller = measureDowntime(shootApi, { intervalMs: 50 });
      await triggerMigration(garden, to);
      const probe = async () => (await shootApi.request('GET', '/api/v1/namespaces/default')).status === 200;
      const downAt = await until(
        async () => ((await probe().catch(() => false)) ? undefined : Date.now()),
        120_000,
        'the API server on the source stops',
      );
      const servedAt = await until(
        async () => ((await probe()) ? Date.now() : undefined),
        120_000,
        'the API serves on the destination',
      );
      // A renewal stamped after the API went down can only have landed once it served again.
      const renewedBy = new Map<string, number>();
      const leasesRenewed = until(
        async () => {
          for (const [node, at] of await leaseRenewals(shootApi)) if (at > downAt) renewedBy.set(node, at);
          return renewedBy.size === machines ? true : undefined;
        },
        60_000,
        'every lease renewed after the migration',
      );
      const nodes = [...(await leaseRenewals(shootApi)).keys()];
      const tunnelsOpen = Promise.all(
        nodes.map((node) =>
          until(
            async () => ((await reachable(shootApi, node)) ? Date.now() : undefined),
            60_000,
            `${node} answers through its tunnel`,
          ),
        ),
      );
      const [, reachedAt] = await Promise.all([leasesRenewed, tunnelsOpen]);
      const report = await poller.stop();
      const perNodeMs = Object.fromEntries([...renewedBy].map(([node, at]) => [node, Math.max(0, at - servedAt)]));
      const samePids = (await machinePids(infrastructure)).join() === pidsBefore.join();
      const result: RunResult = {
        from,
        to,
        apiDowntimeMs: report.longest?.durationMs ?? 0,
        nodesBackMs: Math.max(...Object.values(perNodeMs)),
        perNodeMs,
        tunnelsBackMs: Math.max(0, ...reachedAt.map((at) => at - servedAt)),
        samePids,
      };
      results.push(result);
      log(
        `${from} → ${to}: API down ${(result.apiDowntimeMs / 1000).toFixed(2)} s; every node back ${(result.nodesBackMs / 1000).toFixed(2)} s after, reachable through its tunnel ${(result.tunnelsBackMs / 1000).toFixed(2)} s after; same pids ${samePids}`,
      );
      // Let the Restore finish before the next move.
      await until(
        async () => {
          const shoot = await kubectl(garden, ['get', 'shoot', '-n', NAMESPACE, SHOOT, '-o', 'json']);
          const op = JSON.parse(shoot.stdout).status?.lastOperation;
          return op?.type === 'Restore' && op.state === 'Succeeded' ? true : undefined;
        },
        120_000,
        'the Restore succeeded',
      );
    }
  } finally {
    client?.close();
    await landscape.down();
  }

  const passed = (r: RunResult) => r.nodesBackMs <= TARGET_MS && r.tunnelsBackMs <= TARGET_MS && r.samePids;
  const failed = results.filter((r) => !passed(r));
  const rows = results.map((r) => [
    `${r.from} → ${r.to}`,
    (r.apiDowntimeMs / 1000).toFixed(2),
    (r.nodesBackMs / 1000).toFixed(2),
    (r.tunnelsBackMs / 1000).toFixed(2),
    r.samePids ? 'yes' : 'NO',
    passed(r) ? 'PASS' : 'FAIL',
  ]);
  process.stdout.write(
    `\nTransplant shoot workers across migrations — ${new Date().toISOString()}, source ${sourceRevision(repoDir)}\n` +
      `machine: ${describeMachine(info)}\n${machines} machines, ${runs} migrations\n\n` +
      markdownTable(
        [
          'migration',
          'API downtime (s)',
          'every node back after (s)',
          'every tunnel back after (s)',
          'same machine pids',
          'target ≤ 10 s',
        ],
        rows,
        [1, 2, 3],
      ) +
      '\n',
  );
  if (flags.json) writeFileSync(flags.json, `${JSON.stringify({ machine: info, machines, results }, null, 2)}\n`);
  if (flags.strict && failed.length > 0) process.exit(1);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
