/**
 * Control plane migration: how long moving a shoot from seed-a to seed-b takes, and how long its
 * API is down meanwhile, for shoots holding 10, 100 and 500 MB of etcd data — next to the floor
 * the raw tools set for the same data.
 *
 * Per size, on a fresh landscape (`transplant up --detach`, seeds seed-a and seed-b, local
 * buckets, debug logs):
 * 1. The example project and shoot (examples/10-project.yaml, 30-shoot.yaml) with kubectl; an admin
 *    kubeconfig from `shoots/adminkubeconfig`; ConfigMaps of `--value-size` KiB through the shoot
 *    API until the data written reaches the size.
 * 2. A watch on the garden's shoots records every `status.lastOperation` with its arrival time; a
 *    poller GETs the shoot API every `--poll` ms (`measureDowntime`); then the seed document's
 *    trigger command runs verbatim through bash with the real kubectl and jq.
 * 3. Total = from running the trigger to `Restore Succeeded` in the watch; downtime = the poller's
 *    longest run of failed GETs; each step's duration from the seeds' debug logs (the flow logs
 *    every task's start and end with its duration), Migrate on seed-a, Restore on seed-b.
 * 4. Every ConfigMap is read back through the kubeconfig issued before the move, at its
 *    resourceVersion.
 * 5. The floor: the final full snapshot seed-a uploaded, restored (untimed) into an etcd of its
 *    own; then, timed, what an operator would do by hand with the raw tools: `etcdctl snapshot
 *    save`, `cp`, `etcdctl snapshot restore`, and starting etcd on the restored data dir until it
 *    reports healthy.
 *
 * With `--modes loopback,hosts`, each size is measured on both landscapes in one run: the loopback
 * one above, and the multi-host one (`transplant up --hosts`: garden on a 3-member etcd cluster
 * with 2 replicas behind haproxy, each seed, store and machine on a host of its own, the shoot's
 * API a DNS name in the landscape's Knot), each repetition (`--repeat`) interleaving the modes;
 * then the ratios multi-host / loopback of API downtime and total. On the multi-host landscape the
 * bench still runs on this machine: the garden (the load balancer) and the seeds' shoot addresses
 * are reached over the bridge's root end, and the shoot's name is asked of the landscape's DNS
 * server for every new connection (test/helpers/dns-lookup.ts) — the floor is measured on loopback
 * only.
 *
 *   node dist/bench/migration.js [--sizes 10,100,500] [--value-size 100] [--payload random|text]
 *     [--poll 50] [--timeout 600] [--no-floor] [--modes loopback,hosts] [--repeat 1]
 *     [--json out.json] [--keep] [--strict]
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { startEtcd } from '../src/process/etcd-process.js';
import { bash, kubectl } from '../test/helpers/kubectl.js';
import { SHOOT_NAMESPACE as NAMESPACE, SEED_DOCUMENT_TRIGGER, SHOOT } from '../test/helpers/migration.js';
import {
  compareWith,
  controllersSettled,
  countMixed,
  createMixed,
  installWidgetCrd,
  mixOf,
  readObjects,
} from '../test/helpers/mixed-objects.js';
import { hostsLandscapeUnavailable } from '../test/helpers/netns.js';
import { type ShootClient, shootClient } from '../test/helpers/shoot-client.js';
import { type DowntimeReport, measureDowntime } from '../test/helpers/shoot-writer.js';
import { ascendingList, intFlag, parseBenchFlags } from './lib/flags.js';
import { Landscape, tearDownOnExit } from './lib/landscape.js';
import { benchStart, describeMachine, type MachineInfo, sourceRevision } from './lib/machine.js';
import { type StepTiming, stepsFromLog } from './lib/seed-logs.js';
import { fillConfigMaps, type Payload, verifyConfigMaps } from './lib/shoot-data.js';
import { type OperationChange, watchShootOperations, withTimeout } from './lib/shoot-operations.js';
import { markdownTable } from './lib/table.js';

const exec = promisify(execFile);
const MB = 1e6;
const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

/** Issue 5's targets, for the 100 MB shoot. */
const TARGET_SIZE_MB = 100;
const TARGETS = { downtimeMs: 5_000, totalMs: 30_000 };

/** Where the landscape's parts run: all on loopback, or each on a host of its own (`up --hosts`). */
type Mode = 'loopback' | 'hosts';
const MODES: readonly Mode[] = ['loopback', 'hosts'];
/** Machine hosts of the multi-host landscape: the example shoot has one machine. */
const HOSTS_MACHINES = 1;

interface Options {
  sizesMb: number[];
  valueBytes: number;
  payload: Payload;
  pollMs: number;
  timeoutSeconds: number;
  floor: boolean;
  json: string | undefined;
  keep: boolean;
  strict: boolean;
  /** After the sizes, one shoot holding this many mixed objects instead of ConfigMap data. */
  mixed: number | undefined;
  /** Landscapes each size is measured on, in this order within a repetition. */
  modes: Mode[];
  repeat: number;
}

function usage(): string {
  return `usage: node dist/bench/migration.js [options]

  --sizes N,M,...    etcd data per shoot in MB (10^6 bytes), ascending; one landscape each
                     (default 10,100,500; env BENCH_SIZES)
  --value-size K     KiB of data per ConfigMap (default 100)
  --payload P        random (base64 of random bytes: what gzip cannot shrink, the worst case) or
                     text (log-like lines, ~5x compressible like real objects) (default random)
  --poll MS          interval of the downtime poller's GETs (default 50)
  --timeout S        seconds the migration may take before the size counts as failed (default 600)
  --no-floor         skip the raw tools' floor
  --modes M,...      landscapes to measure each size on: loopback (everything on this host's
                     loopback) and/or hosts (transplant up --hosts: network namespaces, the shoot's
                     API a DNS name; needs root); with both, the ratios hosts / loopback
                     (default loopback; env BENCH_MODES)
  --repeat N         measure every size and mode N times, the modes interleaved (default 1)
  --mixed N          after the sizes, one more shoot holding N objects in a busy cluster's mix
                     (Pods, Deployments with their ReplicaSets and Pods, Services, ConfigMaps,
                     Secrets, custom resources) instead of ConfigMap data; compare it with the
                     ConfigMap-only size nearest its final snapshot
  --json FILE        also write the report (machine, options, timelines, steps) as JSON
  --keep             keep the landscape directories (logs, state, buckets)
  --strict           exit 1 when a target fails
`;
}

function parseOptions(argv: string[]): Options {
  const values = parseBenchFlags(
    argv,
    {
      sizes: { type: 'string' },
      'value-size': { type: 'string' },
      payload: { type: 'string' },
      poll: { type: 'string' },
      timeout: { type: 'string' },
      'no-floor': { type: 'boolean', default: false },
      mixed: { type: 'string' },
      modes: { type: 'string' },
      repeat: { type: 'string' },
    },
    usage,
  );
  const env = process.env;
  const payload = values.payload ?? 'random';
  if (payload !== 'random' && payload !== 'text') throw new Error('--payload must be random or text');
  const modes = (values.modes ?? env.BENCH_MODES ?? 'loopback').split(',').map((m) => m.trim());
  const unknown = modes.filter((m) => !MODES.includes(m as Mode));
  if (unknown.length > 0 || modes.length === 0 || new Set(modes).size !== modes.length)
    throw new Error(`--modes must list loopback and/or hosts once each, got "${modes.join(',')}"`);
  const hostsUnavailable = modes.includes('hosts') ? hostsLandscapeUnavailable() : undefined;
  if (hostsUnavailable) throw new Error(`--modes hosts (transplant up --hosts) ${hostsUnavailable}`);
  return {
    modes: modes as Mode[],
    repeat: intFlag('--repeat', values.repeat, 1, 1),
    sizesMb: ascendingList('--sizes', values.sizes ?? env.BENCH_SIZES ?? '10,100,500'),
    valueBytes: intFlag('--value-size', values['value-size'], 100, 1) * 1024,
    payload,
    pollMs: intFlag('--poll', values.poll, 50, 1),
    timeoutSeconds: intFlag('--timeout', values.timeout, 600, 1),
    floor: !values['no-floor'],
    mixed: values.mixed === undefined ? undefined : intFlag('--mixed', values.mixed, 10_000, 1),
    json: values.json ?? (env.BENCH_JSON || undefined),
    keep: values.keep,
    strict: values.strict,
  };
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const secs = (ms: number | undefined): string =>
  ms === undefined || !Number.isFinite(ms) ? '-' : (ms / 1000).toFixed(2);

interface FloorTimings {
  snapshotSaveMs: number;
  copyMs: number;
  snapshotRestoreMs: number;
  etcdStartMs: number;
  totalMs: number;
  snapshotBytes: number;
}

interface SizeResult {
  /** `10 MB` (ConfigMap data) or `10000 mixed objects`. */
  data: string;
  /** `data`, then the mode and the repetition when there are several. */
  label: string;
  sizeMb: number;
  mode: Mode;
  /** 1-based. */
  repetition: number;
  /** Objects written: ConfigMaps, or the mix's objects. */
  configMaps: number;
  bytesWritten: number;
  fillMs: number;
  /** The final full snapshot seed-a uploaded (as stored: gzip when the shoot's backups compress). */
  finalSnapshot?: { name: string; bytes: number };
  triggerMs?: number;
  migrateSucceededMs?: number;
  restoreSucceededMs?: number;
  totalMs?: number;
  downtime?: DowntimeReport;
  /**
   * With hosts: the landscape DNS server's answers for the shoot's name whenever they changed
   * (asked for each new connection), and the host each address belongs to.
   */
  dnsAnswers?: { atMs: number; addresses: string[]; host: string }[];
  /** The API server's stop (Migrate) to its start (Restore), from the seeds' logs. */
  apiServerDownMs?: number;
  timeline: OperationChange[];
  steps: StepTiming[];
  stepErrors: string[];
  verified?: { found: number; wrongVersion: number };
  floor?: FloorTimings;
  error?: string;
}

/** The landscape being measured, for the signal and exit handlers. */
let active: Landscape | undefined;

/** What s3rver appends to an object's key for the file holding its data. */
const S3RVER_OBJECT = '._S3rver_object';

/**
 * seed-a's final full snapshot: the newest `Full-…final` object of its bucket (a local bucket's
 * directory, or an S3 store's data directory).
 */
function findFinalSnapshot(backupRoot: string): { path: string; name: string; bytes: number } | undefined {
  const found: { path: string; name: string; bytes: number }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const name = entry.name.endsWith(S3RVER_OBJECT) ? entry.name.slice(0, -S3RVER_OBJECT.length) : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (name.startsWith('Full-') && name.endsWith('.final'))
        found.push({ path, name, bytes: statSync(path).size });
    }
  };
  walk(backupRoot);
  return found.sort((a, b) => a.name.localeCompare(b.name)).at(-1);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

const etcdctlEnv = { ...process.env, ETCDCTL_API: '3' };

async function etcdctlRestore(snapshot: string, dataDir: string): Promise<void> {
  await exec(
    'etcdctl',
    [
      'snapshot',
      'restore',
      snapshot,
      '--data-dir',
      dataDir,
      '--name',
      'floor',
      '--initial-cluster',
      'floor=http://127.0.0.1:2380',
      '--initial-advertise-peer-urls',
      'http://127.0.0.1:2380',
    ],
    { env: etcdctlEnv },
  );
}

/**
 * The raw tools on the same data: the final snapshot (decompressed, untimed) restored into an etcd
 * of its own, then snapshot save → cp → snapshot restore → etcd start, each timed.
 */
async function measureFloor(finalSnapshot: string, workDir: string): Promise<FloorTimings> {
  mkdirSync(workDir, { recursive: true });
  const source = join(workDir, 'source.db');
  if (finalSnapshot.includes('.gz')) {
    await pipeline(createReadStream(finalSnapshot), createGunzip(), createWriteStream(source));
  } else {
    await pipeline(createReadStream(finalSnapshot), createWriteStream(source));
  }
  await etcdctlRestore(source, join(workDir, 'source-data'));
  const sourceEtcd = await startEtcd({
    name: 'floor',
    dataDir: join(workDir, 'source-data'),
    quotaBackendBytes: 8 * 1024 ** 3,
  });
  try {
    const saved = join(workDir, 'saved.db');
    const copied = join(workDir, 'copied.db');
    const save = await timed(() =>
      exec('etcdctl', ['--endpoints', sourceEtcd.clientUrl, 'snapshot', 'save', saved], { env: etcdctlEnv }),
    );
    await sourceEtcd.stop();
    const copy = await timed(() => exec('cp', [saved, copied]));
    const restore = await timed(() => etcdctlRestore(copied, join(workDir, 'restored')));
    const start = await timed(() =>
      startEtcd({ name: 'floor', dataDir: join(workDir, 'restored'), quotaBackendBytes: 8 * 1024 ** 3 }),
    );
    await start.value.stop();
    return {
      snapshotSaveMs: save.ms,
      copyMs: copy.ms,
      snapshotRestoreMs: restore.ms,
      etcdStartMs: start.ms,
      totalMs: save.ms + copy.ms + restore.ms + start.ms,
      snapshotBytes: statSync(saved).size,
    };
  } finally {
    await sourceEtcd.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Fills the shoot: ConfigMaps up to `sizeMb`, or `mixed` objects; what to read back after the move. */
async function fillShoot(
  client: ShootClient,
  sizeMb: number,
  mixed: number | undefined,
  options: Options,
): Promise<{ objects: number; bytes: number; readBack: () => Promise<{ found: number; wrongVersion: number }> }> {
  if (mixed === undefined) {
    const versions = await fillConfigMaps(client, sizeMb * MB, options);
    return {
      objects: versions.size,
      bytes: versions.size * options.valueBytes,
      readBack: () => verifyConfigMaps(client, versions, log),
    };
  }
  const withCustomResources = await installWidgetCrd(client);
  if (!withCustomResources) log('this shoot serves no CustomResourceDefinitions: custom resources left out');
  const mix = mixOf(mixed);
  const created = await createMixed(client, mix, { withoutCustomResources: !withCustomResources });
  if (!(await controllersSettled(client, mix))) log('the controllers had not settled in time');
  log(`the shoot holds ${JSON.stringify(await countMixed(client, withCustomResources))}`);
  // What the controllers made of the objects is what must come back: their versions now.
  const reference = await readObjects(client, created);
  return {
    objects: created.length,
    bytes: 0,
    readBack: async () => {
      const compared = await compareWith(client, reference);
      return { found: compared.same + compared.changed.length, wrongVersion: compared.changed.length };
    },
  };
}

interface Run {
  mode: Mode;
  repetition: number;
}

async function runSize(sizeMb: number, options: Options, run: Run, mixed?: number): Promise<SizeResult> {
  const { mode, repetition } = run;
  const data = mixed === undefined ? `${sizeMb} MB` : `${mixed} mixed objects`;
  const label = [
    data,
    ...(options.modes.length > 1 || mode !== 'loopback' ? [mode] : []),
    ...(options.repeat > 1 ? [`#${repetition}`] : []),
  ].join(' ');
  const result: SizeResult = {
    data,
    label,
    sizeMb,
    mode,
    repetition,
    configMaps: 0,
    bytesWritten: 0,
    fillMs: 0,
    timeline: [],
    steps: [],
    stepErrors: [],
  };
  const seeds = ['seed-a', 'seed-b'];
  const hosts = mode === 'hosts' ? { machines: HOSTS_MACHINES } : undefined;
  const landscape = Landscape.create({
    seeds,
    prefix: `transplant-bench-migration-${sizeMb}mb-${mode}-`,
    keepDir: options.keep,
  });
  active = landscape;
  let client: ShootClient | undefined;
  let stopWatch: (() => void) | undefined;
  try {
    const hostsFlags = hosts ? ` --hosts --machines ${hosts.machines}` : '';
    log(`${label}: transplant up --dir ${landscape.dir} --seeds ${seeds.join(',')}${hostsFlags} --log-level debug`);
    const upStarted = Date.now();
    // The multi-host landscape starts 3 etcd members, 2 replicas, haproxy and knotd first.
    await landscape.up({ seeds, logLevel: 'debug', timeoutSeconds: hosts ? 300 : 120, ...(hosts ? { hosts } : {}) });
    log(`${label}: up after ${secs(Date.now() - upStarted)} s`);
    const garden = join(landscape.dir, 'garden.kubeconfig');
    for (const file of ['10-project.yaml', '30-shoot.yaml']) {
      const applied = await kubectl(garden, ['apply', '-f', join(examplesDir, file)]);
      if (applied.code !== 0) throw new Error(`kubectl apply -f ${file}: ${applied.stderr}`);
    }
    const operations = await watchShootOperations(await landscape.gardenConnection(), NAMESPACE, SHOOT);
    stopWatch = () => operations.stop();
    await withTimeout(operations.succeeded('Create'), 180_000, 'the shoot was not created within 180 s');
    const kubeconfig = join(landscape.dir, 'shoot-before-migration.kubeconfig');
    await landscape.adminKubeconfig(NAMESPACE, SHOOT, kubeconfig);
    const hostOf = (address: string) =>
      Object.entries(landscape.file().hosts ?? {}).find(
        ([, h]) => h.address === address || h.extraAddresses.includes(address),
      )?.[0] ?? '?';
    const lookup = landscape.shootLookup((_name, addresses, atMs) => {
      const last = result.dnsAnswers?.at(-1);
      if (last && last.addresses.join() === addresses.join()) return;
      result.dnsAnswers = [...(result.dnsAnswers ?? []), { atMs, addresses, host: hostOf(addresses[0] ?? '') }];
    });
    client = await shootClient(kubeconfig, lookup ? { lookup } : {});
    if (lookup) log(`${label}: the shoot's API ${client.server}, resolved at the landscape's DNS server`);

    const fillStarted = Date.now();
    const filled = await fillShoot(client, sizeMb, mixed, options);
    result.fillMs = Date.now() - fillStarted;
    result.configMaps = filled.objects;
    result.bytesWritten = filled.bytes;
    log(`${label}: ${filled.objects} objects written in ${secs(result.fillMs)} s`);
    // Let the shoot's regular backups catch up, as they would have on a shoot in service.
    await sleep(3_000);
    const timelineFrom = Date.now();

    const poller = measureDowntime(client, { intervalMs: options.pollMs });
    await sleep(500);
    result.triggerMs = Date.now();
    const triggered = await bash(SEED_DOCUMENT_TRIGGER, {
      KUBECONFIG: garden,
      NAMESPACE,
      SHOOT_NAME: SHOOT,
      DEST_SEED_NAME: 'seed-b',
    });
    if (triggered.code !== 0 || triggered.stdout.trim() !== 'seed-b')
      throw new Error(`the trigger command failed: ${triggered.stderr}${triggered.stdout}`);
    log(`${label}: triggered (the binding answered after ${Date.now() - result.triggerMs} ms)`);
    try {
      result.migrateSucceededMs = await withTimeout(
        operations.succeeded('Migrate'),
        options.timeoutSeconds * 1000,
        'Migrate did not succeed',
      );
      log(`${label}: Migrate Succeeded after ${secs(result.migrateSucceededMs - result.triggerMs)} s`);
      result.restoreSucceededMs = await withTimeout(
        operations.succeeded('Restore'),
        options.timeoutSeconds * 1000,
        'Restore did not succeed',
      );
    } finally {
      result.timeline = operations.since(timelineFrom);
      // Once more after the end: a gap still open when Restore succeeded ends with the first 200.
      if (result.restoreSucceededMs !== undefined) {
        const deadline = Date.now() + 10_000;
        while (
          Date.now() < deadline &&
          (await client.request('GET', '/readyz', undefined, 1_000).catch(() => undefined))?.status !== 200
        )
          await sleep(50);
        await sleep(2 * options.pollMs);
      }
      result.downtime = await poller.stop();
    }
    result.totalMs = result.restoreSucceededMs! - result.triggerMs;
    log(
      `${label}: Restore Succeeded after ${secs(result.totalMs)} s; longest API gap ${secs(result.downtime.longest?.durationMs)} s`,
    );

    const origin = result.triggerMs;
    for (const [seed, operation] of [
      ['seed-a', 'Migrate'],
      ['seed-b', 'Restore'],
    ] as const) {
      const logFile = landscape.seedLog(seed);
      const { steps, errors } = stepsFromLog(logFile, seed, `${NAMESPACE}/${SHOOT}`, operation, origin);
      result.steps.push(...steps);
      result.stepErrors.push(...errors);
    }
    const apiStopped = result.steps.find(
      (s) => s.operation === 'Migrate' && s.step === 'Deleting kube-apiserver deployment',
    );
    const apiStarted = result.steps.find(
      (s) => s.operation === 'Restore' && s.step === 'Deploying Kubernetes API server',
    );
    if (apiStopped && apiStarted)
      result.apiServerDownMs = apiStarted.startMs + apiStarted.durationMs - apiStopped.startMs;

    result.verified = await filled.readBack();
    log(
      `${label}: ${result.verified.found} objects read back, ${result.verified.wrongVersion} at another resourceVersion`,
    );

    const final = findFinalSnapshot(landscape.backupDir('seed-a'));
    if (final) result.finalSnapshot = { name: final.name, bytes: final.bytes };
    // The raw tools on the same data do not depend on where the landscape's parts run.
    if (options.floor && mode === 'loopback') {
      if (!final) throw new Error("no final full snapshot in seed-a's bucket");
      result.floor = await measureFloor(final.path, join(landscape.dir, 'floor'));
      log(`${label}: raw tools' floor ${secs(result.floor.totalMs)} s`);
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`${label}: failed: ${result.error}`);
  } finally {
    stopWatch?.();
    client?.close();
    for (const note of await landscape.down()) log(`${label}: ${note}`);
    if (options.keep) log(`${label}: kept ${landscape.dir}`);
    active = undefined;
  }
  return result;
}

function summaryTable(results: readonly SizeResult[]): string {
  const header = [
    'data',
    'objects',
    'final snapshot',
    'total (s)',
    'Migrate (s)',
    'API downtime (s)',
    'API server stop→start (s)',
    'floor (s)',
    'read back',
    'target',
  ];
  const rows = results.map((r) => {
    const target =
      r.sizeMb === TARGET_SIZE_MB && r.bytesWritten > 0
        ? `downtime ≤ ${TARGETS.downtimeMs / 1000} s ${pass(r.downtime?.longest?.durationMs, TARGETS.downtimeMs)}, total ≤ ${TARGETS.totalMs / 1000} s ${pass(r.totalMs, TARGETS.totalMs)}`
        : '';
    return [
      r.label,
      String(r.configMaps),
      r.finalSnapshot ? `${(r.finalSnapshot.bytes / MB).toFixed(1)} MB` : '-',
      r.totalMs !== undefined ? secs(r.totalMs) : 'failed',
      secs(
        r.migrateSucceededMs !== undefined && r.triggerMs !== undefined
          ? r.migrateSucceededMs - r.triggerMs
          : undefined,
      ),
      secs(r.downtime?.longest?.durationMs),
      secs(r.apiServerDownMs),
      secs(r.floor?.totalMs),
      r.verified
        ? `${r.verified.found}/${r.configMaps}${r.verified.wrongVersion ? ` (${r.verified.wrongVersion} changed)` : ''}`
        : r.error
          ? 'failed'
          : '-',
      target,
    ];
  });
  return markdownTable(header, rows, [1, 2, 3, 4, 5, 6, 7]);
}

function pass(value: number | undefined, limit: number): string {
  return value !== undefined && value <= limit ? 'PASS' : 'FAIL';
}

function floorTable(results: readonly SizeResult[]): string | undefined {
  const measured = results.filter((r) => r.floor);
  if (measured.length === 0) return undefined;
  const header = ['raw tool (s)', ...measured.map((r) => r.label)];
  const rows: [string, (f: FloorTimings) => number][] = [
    ['etcdctl snapshot save', (f) => f.snapshotSaveMs],
    ['cp', (f) => f.copyMs],
    ['etcdctl snapshot restore', (f) => f.snapshotRestoreMs],
    ['etcd start until healthy', (f) => f.etcdStartMs],
    ['sum (the floor)', (f) => f.totalMs],
  ];
  const body = rows.map(([name, pick]) => [name, ...measured.map((r) => secs(pick(r.floor!)))]);
  body.push(['snapshot size (MB)', ...measured.map((r) => (r.floor!.snapshotBytes / MB).toFixed(1))]);
  return markdownTable(
    header,
    body,
    measured.map((_, i) => i + 1),
  );
}

/** Steps in the order they started at the largest size; cells `start + duration` in seconds from the trigger. */
function stepTable(results: readonly SizeResult[]): string | undefined {
  const withSteps = results.filter((r) => r.steps.length > 0);
  if (withSteps.length === 0) return undefined;
  const key = (s: StepTiming) => `${s.operation}: ${s.step}`;
  const order = new Map<string, number>();
  for (const r of withSteps)
    for (const s of r.steps) order.set(key(s), Math.max(order.get(key(s)) ?? -Infinity, s.startMs));
  const keys = [...order.keys()].sort((a, b) => {
    const largest = withSteps.at(-1)!;
    const at = (k: string) => largest.steps.find((s) => key(s) === k)?.startMs ?? order.get(k)!;
    return at(a) - at(b);
  });
  const header = ['step (s: start after the trigger + duration)', ...withSteps.map((r) => r.label)];
  const body = keys.map((k) => [
    k,
    ...withSteps.map((r) => {
      const s = r.steps.find((step) => key(step) === k);
      return s ? `${secs(s.startMs)} + ${secs(s.durationMs)}` : '';
    }),
  ]);
  return markdownTable(
    header,
    body,
    withSteps.map((_, i) => i + 1),
  );
}

interface ModeRatio {
  /** `100 MB` or `10000 mixed objects`. */
  data: string;
  /** Successful runs per mode. */
  runs: { loopback: number; hosts: number };
  /** Means over the successful runs, ms. */
  loopback: { downtimeMs: number; totalMs: number };
  hosts: { downtimeMs: number; totalMs: number };
  downtime: number;
  total: number;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Per size (or mix) measured in both modes: the means of each mode over the runs whose migration
 * finished (a failed read-back afterwards is reported in the summary, not dropped here), and their
 * ratios.
 */
function modeRatios(results: readonly SizeResult[]): ModeRatio[] {
  const ratios: ModeRatio[] = [];
  for (const key of new Set(results.map((r) => r.data))) {
    const of = (mode: Mode) =>
      results.filter((r) => r.data === key && r.mode === mode && r.totalMs !== undefined && r.downtime?.longest);
    const [loopback, hosts] = [of('loopback'), of('hosts')];
    if (loopback.length === 0 || hosts.length === 0) continue;
    const means = (runs: SizeResult[]) => ({
      downtimeMs: mean(runs.map((r) => r.downtime!.longest!.durationMs)),
      totalMs: mean(runs.map((r) => r.totalMs!)),
    });
    const [l, h] = [means(loopback), means(hosts)];
    ratios.push({
      data: key,
      runs: { loopback: loopback.length, hosts: hosts.length },
      loopback: l,
      hosts: h,
      downtime: h.downtimeMs / l.downtimeMs,
      total: h.totalMs / l.totalMs,
    });
  }
  return ratios;
}

function ratioTable(ratios: readonly ModeRatio[]): string {
  const header = [
    'data',
    'runs (loopback, hosts)',
    'downtime loopback (s)',
    'downtime hosts (s)',
    'downtime ratio',
    'total loopback (s)',
    'total hosts (s)',
    'total ratio',
  ];
  const rows = ratios.map((r) => [
    r.data,
    `${r.runs.loopback}, ${r.runs.hosts}`,
    secs(r.loopback.downtimeMs),
    secs(r.hosts.downtimeMs),
    r.downtime.toFixed(2),
    secs(r.loopback.totalMs),
    secs(r.hosts.totalMs),
    r.total.toFixed(2),
  ]);
  return markdownTable(header, rows, [2, 3, 4, 5, 6, 7]);
}

interface Report {
  date: string;
  revision: string;
  machine: MachineInfo;
  options: Options;
  durationSeconds: number;
  loadAverage: { start: number; end: number };
  results: SizeResult[];
  /** With both modes: hosts / loopback per size (or mix). */
  ratios: ModeRatio[];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { machine, started, loadStart } = benchStart(log);
  tearDownOnExit(() => active, log);

  const results: SizeResult[] = [];
  for (let repetition = 1; repetition <= options.repeat; repetition++) {
    for (const size of options.sizesMb)
      for (const mode of options.modes) results.push(await runSize(size, options, { mode, repetition }));
    if (options.mixed !== undefined)
      for (const mode of options.modes) results.push(await runSize(0, options, { mode, repetition }, options.mixed));
  }
  const ratios = modeRatios(results);

  const report: Report = {
    date: new Date().toISOString(),
    revision: sourceRevision(fileURLToPath(new URL('../..', import.meta.url))),
    machine,
    options,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    loadAverage: { start: loadStart, end: loadavg()[0]! },
    results,
    ratios,
  };
  const out = process.stdout;
  out.write(`\nTransplant control plane migration seed-a → seed-b — ${report.date}, source ${report.revision}\n`);
  out.write(`machine: ${describeMachine(machine)}\n`);
  out.write(
    `sizes ${options.sizesMb.join(', ')} MB; ${options.valueBytes / 1024} KiB ${options.payload} values; poll every ${options.pollMs} ms; ` +
      `total ${report.durationSeconds} s; load average ${loadStart.toFixed(2)} before, ${report.loadAverage.end.toFixed(2)} after\n\n`,
  );
  out.write(`${summaryTable(results)}\n`);
  if (ratios.length > 0) out.write(`\nMulti-host / loopback (means over the repetitions):\n\n${ratioTable(ratios)}\n`);
  const floor = floorTable(results);
  if (floor) out.write(`\nThe raw tools on the same data (the final snapshot, uncompressed):\n\n${floor}\n`);
  const steps = stepTable(results);
  if (steps) out.write(`\nSteps from the seeds' debug logs (Migrate on seed-a, Restore on seed-b):\n\n${steps}\n`);
  for (const r of results) {
    out.write(`\n${r.label}: lastOperation as the garden watch delivered it (s after the trigger):\n`);
    for (const t of r.timeline) {
      const op = t.operation;
      out.write(
        `  ${secs(t.atMs - (r.triggerMs ?? t.atMs)).padStart(7)}  ${op.type} ${op.state} ${op.progress}% ${op.description ?? ''}\n`,
      );
    }
    const since = (ms: number) => secs(ms - (r.triggerMs ?? ms));
    for (const answer of r.dnsAnswers ?? [])
      out.write(
        `  ${since(answer.atMs).padStart(7)}  DNS: the shoot's name answers ${answer.addresses.join(', ') || 'nothing'} (${answer.host})\n`,
      );
    const gap = r.downtime?.longest;
    if (gap)
      out.write(
        `  longest API gap: ${secs(gap.start - (r.triggerMs ?? gap.start))} → ${secs(gap.end - (r.triggerMs ?? gap.end))} s ` +
          `(${gap.failedProbes} failed GETs, first: ${gap.firstFailure})${gap.open ? ', still open at the end' : ''}; ` +
          `${r.downtime!.gaps.length} gap(s), ${r.downtime!.failures}/${r.downtime!.probes} GETs failed\n`,
      );
    for (const e of r.stepErrors) out.write(`  step error: ${e}\n`);
    if (r.error) out.write(`  FAILED: ${r.error}\n`);
  }
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${options.json}`);
  }
  const target = results.find((r) => r.sizeMb === TARGET_SIZE_MB && r.bytesWritten > 0);
  const failures = [
    ...results.filter((r) => r.error).map((r) => `${r.label} failed`),
    ...results
      .filter((r) => r.verified && (r.verified.found !== r.configMaps || r.verified.wrongVersion > 0))
      .map((r) => `${r.label} lost data`),
  ];
  if (target && !target.error) {
    if (pass(target.downtime?.longest?.durationMs, TARGETS.downtimeMs) === 'FAIL') failures.push('100 MB downtime');
    if (pass(target.totalMs, TARGETS.totalMs) === 'FAIL') failures.push('100 MB total');
  }
  out.write(`\n${failures.length === 0 ? 'every target passes' : `targets failed: ${failures.join(', ')}`}\n`);
  if (options.strict && failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
