/**
 * Live control plane migration next to the classic one (issue 17): what the shoot's clients live
 * through while its control plane moves from seed-a to seed-b, at 10, 100 and 500 MB of etcd data.
 *
 * Per size and mode (`classic`, then `live`), on a fresh landscape (`transplant up --detach`,
 * seeds seed-a and seed-b, debug logs):
 * 1. The example project and shoot (with `--ha`, its control plane highly available); an admin
 *    kubeconfig from `shoots/adminkubeconfig`; ConfigMaps of `--value-size` KiB through the shoot
 *    API until the data written reaches the size.
 * 2. The continuity probe (test/helpers/continuity-probe.ts) through the kubeconfig issued before
 *    the move: a writer creating a ConfigMap every `--interval` ms, a reader doing a GET as often,
 *    and a watch on the writer's ConfigMaps opened before the move.
 * 3. live: the shoot annotated `migration.gardener.cloud/live-migrate=true`; both modes: the seed
 *    document's trigger command verbatim (bash, kubectl, jq). Total = from the trigger to
 *    `Restore Succeeded` (classic) or to the ShootState's live-migration record reaching
 *    `Completed` (live). A live run whose binding is refused, or that shows no live-migration record
 *    (but a classic Migrate), fails as "live migration not available: …".
 * 4. After the end, the probe runs until `--settle` more writes got through, then stops: the
 *    longest write pause, the longest read pause, the watch's re-opens, missed events and 410s;
 *    every acknowledged write of the probe and every data ConfigMap (at its resourceVersion) is
 *    read back through the same kubeconfig.
 *
 * The report (machine, cores, load average at the start, at each trigger and at the end; a row per
 * run; the ratios live / classic per size; the targets) is printed and written to `--out`
 * (default bench/results/) as Markdown and JSON.
 *
 *   node dist/bench/live-migration.js [--sizes 10,100,500] [--modes classic,live] [--ha node|zone]
 *     [--value-size 100] [--payload random|text] [--interval 20] [--settle 25] [--timeout 600]
 *     [--live-start-timeout 60] [--out DIR] [--json FILE] [--keep] [--strict]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  LIVE_MIGRATE_ANNOTATION,
  type LiveMigrationPhase,
  liveMigrationRecord,
} from '../src/api/core-gardener/live-migration.js';
import type { ShootState } from '../src/api/core-gardener/shoot-state.js';
import {
  type ContinuityReport,
  continuityProblems,
  describeContinuity,
  type Pause,
  probeWriterRecords,
  startContinuityProbe,
} from '../test/helpers/continuity-probe.js';
import { bash, kubectl } from '../test/helpers/kubectl.js';
import { SHOOT_NAMESPACE as NAMESPACE, SEED_DOCUMENT_TRIGGER, SHOOT } from '../test/helpers/migration.js';
import { type ShootClient, shootClient } from '../test/helpers/shoot-client.js';
import { checkWrites } from '../test/helpers/shoot-writer.js';
import { ascendingList, intFlag, parseBenchFlags } from './lib/flags.js';
import type { GardenConnection } from './lib/garden-process.js';
import { Landscape, tearDownOnExit } from './lib/landscape.js';
import { benchStart, describeMachine, type MachineInfo, sourceRevision } from './lib/machine.js';
import { type StepTiming, stepsFromLog } from './lib/seed-logs.js';
import { fillConfigMaps, type Payload, verifyConfigMaps } from './lib/shoot-data.js';
import {
  type OperationChange,
  type ShootOperations,
  watchShootOperations,
  withTimeout,
} from './lib/shoot-operations.js';
import { markdownTable } from './lib/table.js';
import { watchEvents } from './lib/watch.js';

const MB = 1e6;
const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const repoDir = fileURLToPath(new URL('../..', import.meta.url));
const PROBE_NAMESPACE = 'continuity';

type Mode = 'classic' | 'live';
const MODES: readonly Mode[] = ['classic', 'live'];

/**
 * Issue 17's targets for the live migration, on this 2-core machine: the longest write pause at
 * most 300 ms (QEMU's default downtime budget for live migration) and under 1 s at every size,
 * reads never paused more than 100 ms, the whole migration of 100 MB within 10 s.
 */
const TARGETS = { writePauseMs: 300, writePauseEverySizeMs: 1_000, readPauseMs: 100, totalMs: 10_000, totalAtMb: 100 };

interface Options {
  sizesMb: number[];
  modes: Mode[];
  ha: 'node' | 'zone' | undefined;
  valueBytes: number;
  payload: Payload;
  intervalMs: number;
  settleWrites: number;
  timeoutSeconds: number;
  liveStartTimeoutSeconds: number;
  out: string;
  json: string | undefined;
  keep: boolean;
  strict: boolean;
}

function usage(): string {
  return `usage: node dist/bench/live-migration.js [options]

  --sizes N,M,...          etcd data per shoot in MB (10^6 bytes), ascending; a landscape per size
                           and mode (default 10,100,500; env BENCH_SIZES)
  --modes M,...            classic (the seed document's migration) and/or live (the shoot annotated
                           ${LIVE_MIGRATE_ANNOTATION}=true first), in this order per size
                           (default classic,live; env BENCH_MODES)
  --ha T                   the shoot's control plane highly available: failureTolerance node or zone
                           (3 etcd members, 2 kube-apiservers); default a single member
  --value-size K           KiB of data per ConfigMap (default 100)
  --payload P              random (incompressible) or text (log-like, ~5x compressible) (default random)
  --interval MS            the probe's writer and reader: one request every MS (default 20)
  --settle N               after the migration ended, the probe runs until N more writes got
                           through (default 25)
  --timeout S              seconds a migration may take before the run counts as failed (default 600)
  --live-start-timeout S   seconds after the binding within which a live migration must show its
                           record in the ShootState (default 60)
  --out DIR                where the report goes as live-migration-<time>.md and .json
                           (default bench/results of the source tree; "" for none)
  --json FILE              also write the JSON report to FILE (env BENCH_JSON)
  --keep                   keep the landscape directories (logs, state, buckets)
  --strict                 exit 1 when a run fails or a target fails
`;
}

function parseOptions(argv: string[]): Options {
  const values = parseBenchFlags(
    argv,
    {
      sizes: { type: 'string' },
      modes: { type: 'string' },
      ha: { type: 'string' },
      'value-size': { type: 'string' },
      payload: { type: 'string' },
      interval: { type: 'string' },
      settle: { type: 'string' },
      timeout: { type: 'string' },
      'live-start-timeout': { type: 'string' },
      out: { type: 'string' },
    },
    usage,
  );
  const env = process.env;
  const payload = values.payload ?? 'random';
  if (payload !== 'random' && payload !== 'text') throw new Error('--payload must be random or text');
  const modes = (values.modes ?? env.BENCH_MODES ?? 'classic,live').split(',').map((m) => m.trim());
  if (modes.length === 0 || new Set(modes).size !== modes.length || modes.some((m) => !MODES.includes(m as Mode)))
    throw new Error(`--modes must list classic and/or live once each, got "${modes.join(',')}"`);
  if (values.ha !== undefined && values.ha !== 'node' && values.ha !== 'zone')
    throw new Error(`--ha must be node or zone, got "${values.ha}"`);
  return {
    sizesMb: ascendingList('--sizes', values.sizes ?? env.BENCH_SIZES ?? '10,100,500'),
    modes: MODES.filter((m) => modes.includes(m)),
    ha: values.ha,
    valueBytes: intFlag('--value-size', values['value-size'], 100, 1) * 1024,
    payload,
    intervalMs: intFlag('--interval', values.interval, 20, 1),
    settleWrites: intFlag('--settle', values.settle, 25, 1),
    timeoutSeconds: intFlag('--timeout', values.timeout, 600, 1),
    liveStartTimeoutSeconds: intFlag('--live-start-timeout', values['live-start-timeout'], 60, 1),
    out: values.out ?? join(repoDir, 'bench', 'results'),
    json: values.json ?? (env.BENCH_JSON || undefined),
    keep: values.keep,
    strict: values.strict,
  };
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const secs = (ms: number | undefined): string =>
  ms === undefined || !Number.isFinite(ms) ? '-' : (ms / 1000).toFixed(2);

/** A live-migration phase as the garden's ShootState watch delivered it. */
interface PhaseChange {
  atMs: number;
  phase: LiveMigrationPhase;
  step?: string;
  message?: string;
}

interface RunResult {
  sizeMb: number;
  mode: Mode;
  label: string;
  configMaps: number;
  fillMs: number;
  /** The 1-minute load average when the trigger ran. */
  loadAtTrigger?: number;
  triggerMs?: number;
  /** classic: Restore Succeeded; live: the record's Completed. */
  doneMs?: number;
  totalMs?: number;
  restoreSucceededMs?: number;
  operations: OperationChange[];
  phases: PhaseChange[];
  steps: StepTiming[];
  stepErrors: string[];
  continuity?: ContinuityReport;
  /** What `continuityProblems` found: events missed, out of order, 410s, watch errors. */
  problems: string[];
  /** Acknowledged writes of the probe not stored afterwards (or stored changed). */
  lostWrites?: number;
  verified?: { found: number; wrongVersion: number };
  error?: string;
}

/** The landscape being measured, for the signal and exit handlers. */
let active: Landscape | undefined;

/** The example shoot's manifest, with `--ha` its control plane highly available. */
function shootManifest(ha: Options['ha']): string {
  const text = readFileSync(join(examplesDir, '30-shoot.yaml'), 'utf8');
  if (!ha) return text;
  const shoot = parseYaml(text) as { spec: Record<string, unknown> };
  shoot.spec.controlPlane = { highAvailability: { failureTolerance: { type: ha } } };
  return stringifyYaml(shoot);
}

/** The live-migration record's phases as the ShootState changes, and when it reaches an end. */
function watchLivePhases(connection: GardenConnection, phases: PhaseChange[]) {
  let ended: (phase: LiveMigrationPhase) => void = () => {};
  let seen: () => void = () => {};
  const end = new Promise<LiveMigrationPhase>((resolve) => {
    ended = resolve;
  });
  const started = new Promise<void>((resolve) => {
    seen = resolve;
  });
  const watch = watchEvents<ShootState>(
    connection,
    `/apis/core.gardener.cloud/v1beta1/namespaces/${NAMESPACE}/shootstates?timeoutSeconds=7200`,
    (event, atMs) => {
      if (event.object.metadata?.name !== SHOOT) return;
      const record = liveMigrationRecord(event.object);
      if (!record) return;
      seen();
      const last = phases.at(-1);
      if (last?.phase === record.phase && last.step === record.destination?.step) return;
      phases.push({ atMs, phase: record.phase, step: record.destination?.step, message: record.message });
      if (record.phase === 'Completed' || record.phase === 'Aborted') ended(record.phase);
    },
  );
  return { watch, started, end };
}

async function runOne(sizeMb: number, mode: Mode, options: Options): Promise<RunResult> {
  const label = `${sizeMb} MB ${mode}${options.ha ? ` (HA ${options.ha})` : ''}`;
  const result: RunResult = {
    sizeMb,
    mode,
    label,
    configMaps: 0,
    fillMs: 0,
    operations: [],
    phases: [],
    steps: [],
    stepErrors: [],
    problems: [],
  };
  const seeds = ['seed-a', 'seed-b'];
  const landscape = Landscape.create({
    seeds,
    prefix: `transplant-bench-live-${sizeMb}mb-${mode}-`,
    keepDir: options.keep,
  });
  active = landscape;
  const stops: (() => void)[] = [];
  let client: ShootClient | undefined;
  let watched: ShootOperations | undefined;
  try {
    log(`${label}: transplant up --dir ${landscape.dir} --seeds ${seeds.join(',')} --log-level debug`);
    await landscape.up({ seeds, logLevel: 'debug', timeoutSeconds: 120 });
    const garden = join(landscape.dir, 'garden.kubeconfig');
    const applied = await kubectl(garden, ['apply', '-f', join(examplesDir, '10-project.yaml')]);
    if (applied.code !== 0) throw new Error(`kubectl apply -f 10-project.yaml: ${applied.stderr}`);
    const shoot = await kubectl(garden, ['apply', '-f', '-'], shootManifest(options.ha));
    if (shoot.code !== 0) throw new Error(`kubectl apply (the shoot): ${shoot.stderr}`);
    const connection = await landscape.gardenConnection();
    const operations = await watchShootOperations(connection, NAMESPACE, SHOOT);
    watched = operations;
    stops.push(() => operations.stop());
    await withTimeout(operations.succeeded('Create'), 300_000, 'the shoot was not created');
    const kubeconfig = join(landscape.dir, 'shoot-before-migration.kubeconfig');
    await landscape.adminKubeconfig(NAMESPACE, SHOOT, kubeconfig);
    client = await shootClient(kubeconfig);

    const fillStarted = Date.now();
    const versions = await fillConfigMaps(client, sizeMb * MB, options);
    result.fillMs = Date.now() - fillStarted;
    result.configMaps = versions.size;
    log(`${label}: ${versions.size} ConfigMaps written in ${secs(result.fillMs)} s`);
    const ns = await client.request('POST', '/api/v1/namespaces', { metadata: { name: PROBE_NAMESPACE } });
    if (ns.status !== 201) throw new Error(`creating namespace ${PROBE_NAMESPACE}: HTTP ${ns.status}`);
    // Let the shoot's regular backups catch up, as they would have on a shoot in service.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const live = watchLivePhases(connection, result.phases);
    stops.push(() => live.watch.stop());
    await live.watch.started;
    if (mode === 'live') {
      const annotated = await kubectl(garden, [
        'annotate',
        'shoot',
        '-n',
        NAMESPACE,
        SHOOT,
        `${LIVE_MIGRATE_ANNOTATION}=true`,
      ]);
      if (annotated.code !== 0)
        throw new Error(`live migration not available: annotating the shoot was refused: ${annotated.stderr.trim()}`);
    }

    const probe = await startContinuityProbe(kubeconfig, {
      namespace: PROBE_NAMESPACE,
      prefix: 'probe',
      intervalMs: options.intervalMs,
    });
    try {
      await probe.moreWrites(options.settleWrites);
      result.triggerMs = Date.now();
      result.loadAtTrigger = loadavg()[0];
      const triggered = await bash(SEED_DOCUMENT_TRIGGER, {
        KUBECONFIG: garden,
        NAMESPACE,
        SHOOT_NAME: SHOOT,
        DEST_SEED_NAME: 'seed-b',
      });
      if (triggered.code !== 0 || triggered.stdout.trim() !== 'seed-b') {
        const why = `${triggered.stderr}${triggered.stdout}`.trim();
        throw new Error(
          mode === 'live'
            ? `live migration not available: the binding was refused: ${why}`
            : `the trigger command failed: ${why}`,
        );
      }
      log(`${label}: triggered (the binding answered after ${Date.now() - result.triggerMs} ms)`);
      const timeoutMs = options.timeoutSeconds * 1000;
      if (mode === 'classic') {
        result.doneMs = await withTimeout(operations.succeeded('Restore'), timeoutMs, 'Restore did not succeed');
      } else {
        await liveStarted(live.started, operations.succeeded('Migrate'), options.liveStartTimeoutSeconds);
        const phase = await withTimeout(live.end, timeoutMs, 'the live migration did not complete');
        if (phase !== 'Completed')
          throw new Error(`the live migration ended ${phase}: ${result.phases.at(-1)?.message ?? ''}`);
        result.doneMs = result.phases.at(-1)?.atMs;
      }
      result.totalMs = (result.doneMs ?? Number.NaN) - result.triggerMs;
      log(`${label}: done after ${secs(result.totalMs)} s`);
      // Pauses still open at the end close with the next writes.
      await probe.moreWrites(options.settleWrites, 60_000);
    } finally {
      result.continuity = await probe.stop();
      log(`${label}: ${describeContinuity(result.continuity)}`);
    }
    result.problems = continuityProblems(result.continuity);

    const stored = await client.listConfigMaps(PROBE_NAMESPACE);
    const check = checkWrites(probeWriterRecords(result.continuity), stored.items);
    result.lostWrites = check.missing.length + check.changed.length + check.presentThoughRefused.length;
    result.verified = await verifyConfigMaps(client, versions, log);
    log(
      `${label}: ${result.verified.found}/${versions.size} data ConfigMaps read back, ${result.lostWrites} probe writes lost`,
    );
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`${label}: failed: ${result.error}`);
  } finally {
    const origin = result.triggerMs;
    result.restoreSucceededMs = watched?.succeededAt('Restore');
    if (watched && origin !== undefined) result.operations = watched.since(origin);
    if (origin !== undefined)
      for (const seed of seeds) {
        const { steps, errors } = stepsFromLog(
          landscape.seedLog(seed),
          seed,
          `${NAMESPACE}/${SHOOT}`,
          undefined,
          origin,
        );
        result.steps.push(...steps);
        result.stepErrors.push(...errors);
      }
    for (const stop of stops) stop();
    client?.close();
    for (const note of await landscape.down()) log(`${label}: ${note}`);
    if (options.keep) log(`${label}: kept ${landscape.dir}`);
    active = undefined;
  }
  return result;
}

/**
 * Resolves once the ShootState shows a live-migration record; fails as "not available" when a
 * classic Migrate succeeds first or nothing shows within the timeout.
 */
async function liveStarted(recordSeen: Promise<void>, migrateSucceeded: Promise<number>, timeoutSeconds: number) {
  const classic = migrateSucceeded.then(() => {
    throw new Error(
      'live migration not available: the binding of a shoot annotated for live migration ran a classic migration ' +
        '(Migrate Succeeded with no live-migration record in the ShootState): this build has no gardenlet live flow (branch live-flow)',
    );
  });
  classic.catch(() => undefined);
  await withTimeout(
    Promise.race([recordSeen, classic]),
    timeoutSeconds * 1000,
    `live migration not available: no live-migration record in ShootState ${NAMESPACE}/${SHOOT} after the binding`,
  );
}

interface SizeRatio {
  sizeMb: number;
  writePause: number;
  readPause: number;
  total: number;
}

function ratios(results: readonly RunResult[]): SizeRatio[] {
  const out: SizeRatio[] = [];
  for (const sizeMb of new Set(results.map((r) => r.sizeMb))) {
    const of = (mode: Mode) => results.find((r) => r.sizeMb === sizeMb && r.mode === mode && !r.error);
    const [classic, live] = [of('classic'), of('live')];
    if (!classic || !live) continue;
    const ratio = (pick: (r: RunResult) => number | undefined) =>
      (pick(live) ?? Number.NaN) / (pick(classic) ?? Number.NaN);
    out.push({
      sizeMb,
      writePause: ratio(writePause),
      readPause: ratio(readPause),
      total: ratio((r) => r.totalMs),
    });
  }
  return out;
}

const writePause = (r: RunResult) => r.continuity?.writes.longestPause?.durationMs;
const readPause = (r: RunResult) => r.continuity?.reads.longestPause?.durationMs;

/** The targets a live run is judged by; classic runs have none. */
function targetsOf(r: RunResult): { name: string; pass: boolean }[] {
  if (r.mode !== 'live' || r.error) return [];
  const w = writePause(r) ?? Number.POSITIVE_INFINITY;
  const targets = [
    { name: `write pause ≤ ${TARGETS.writePauseMs} ms`, pass: w <= TARGETS.writePauseMs },
    { name: `write pause < ${TARGETS.writePauseEverySizeMs} ms`, pass: w < TARGETS.writePauseEverySizeMs },
    {
      name: `read pause ≤ ${TARGETS.readPauseMs} ms`,
      pass: (readPause(r) ?? Number.POSITIVE_INFINITY) <= TARGETS.readPauseMs,
    },
    { name: 'no event missed, no 410', pass: r.problems.length === 0 },
    { name: 'no write lost', pass: r.lostWrites === 0 && r.verified?.wrongVersion === 0 },
  ];
  if (r.sizeMb === TARGETS.totalAtMb)
    targets.push({ name: `total ≤ ${TARGETS.totalMs / 1000} s`, pass: (r.totalMs ?? Infinity) <= TARGETS.totalMs });
  return targets;
}

function summaryTable(results: readonly RunResult[]): string {
  const header = [
    'run',
    'total (s)',
    'longest write pause (ms)',
    'longest read pause (ms)',
    'watch re-opens',
    'watch: missed / 410',
    'probe writes (ok / failed)',
    'lost',
    'data read back',
    'load',
    'targets',
  ];
  const rows = results.map((r) => {
    const c = r.continuity;
    const failed = targetsOf(r).filter((t) => !t.pass);
    return [
      r.label,
      r.error ? 'failed' : secs(r.totalMs),
      pauseCell(c?.writes.longestPause),
      pauseCell(c?.reads.longestPause),
      c ? String(c.watch.reopens.length) : '-',
      c ? `${c.watch.missed.length} / ${c.watch.gone.length}` : '-',
      c ? `${c.writes.succeeded} / ${c.writes.failed}` : '-',
      r.lostWrites === undefined ? '-' : String(r.lostWrites),
      r.verified
        ? `${r.verified.found}/${r.configMaps}${r.verified.wrongVersion ? ` (${r.verified.wrongVersion} changed)` : ''}`
        : '-',
      r.loadAtTrigger === undefined ? '-' : r.loadAtTrigger.toFixed(1),
      r.mode !== 'live' || r.error
        ? ''
        : failed.length === 0
          ? 'PASS'
          : `FAIL: ${failed.map((t) => t.name).join(', ')}`,
    ];
  });
  return markdownTable(header, rows, [1, 2, 3, 4, 6, 7, 9]);
}

/** A pause in ms, marked when it was still open as the probe stopped (the API never came back). */
const pauseCell = (pause: Pause | undefined) => (pause ? `${pause.durationMs}${pause.open ? ' (open)' : ''}` : '-');

function ratioTable(list: readonly SizeRatio[]): string {
  const x = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '-');
  return markdownTable(
    ['data', 'write pause live/classic', 'read pause live/classic', 'total live/classic'],
    list.map((r) => [`${r.sizeMb} MB`, x(r.writePause), x(r.readPause), x(r.total)]),
    [1, 2, 3],
  );
}

/** Per run: lastOperation, live phases and pauses over 100 ms, in seconds after the trigger. */
function timelines(results: readonly RunResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const since = (ms: number) => secs(ms - (r.triggerMs ?? ms)).padStart(7);
    const entries: [number, string][] = [
      ...r.operations.map((t): [number, string] => [
        t.atMs,
        `${t.operation.type} ${t.operation.state} ${t.operation.progress}% ${t.operation.description ?? ''}`,
      ]),
      ...r.phases.map((p): [number, string] => [p.atMs, `live: ${p.phase}${p.step ? ` (${p.step})` : ''}`]),
      ...(r.continuity?.writes.pauses ?? []).map((p): [number, string] => [
        p.from,
        `write pause ${p.durationMs} ms until ${since(p.to).trim()} s (${p.failures} failed, first: ${p.firstFailure ?? '-'})`,
      ]),
      ...(r.continuity?.reads.pauses ?? []).map((p): [number, string] => [
        p.from,
        `read pause ${p.durationMs} ms until ${since(p.to).trim()} s (${p.failures} failed, first: ${p.firstFailure ?? '-'})`,
      ]),
      // Live flows name their steps on both seeds: where a pause falls among them is the point.
      ...(r.mode === 'live' ? r.steps : []).map((st): [number, string] => [
        (r.triggerMs ?? 0) + st.startMs,
        `${st.seed} ${st.operation}: ${st.step} (${st.durationMs} ms)`,
      ]),
      ...(r.continuity?.watch.reopens ?? []).map((o): [number, string] => [
        o.at,
        `watch re-opened from ${o.resourceVersion} (${o.reason}) after ${o.reopenedAt === undefined ? '-' : o.reopenedAt - o.at} ms`,
      ]),
    ];
    entries.sort((a, b) => a[0] - b[0]);
    lines.push(`${r.label} (s after the trigger):`);
    for (const [at, text] of entries) lines.push(`  ${since(at)}  ${text}`);
    for (const p of r.problems) lines.push(`  continuity: ${p}`);
    for (const e of r.stepErrors) lines.push(`  step error: ${e}`);
    if (r.error) lines.push(`  FAILED: ${r.error}`);
    lines.push('');
  }
  return lines.join('\n');
}

interface Report {
  date: string;
  revision: string;
  machine: MachineInfo;
  options: Options;
  durationSeconds: number;
  loadAverage: { start: number; end: number };
  results: RunResult[];
  ratios: SizeRatio[];
}

function render(report: Report): string {
  const { options, machine } = report;
  const parts = [
    `# Live control plane migration vs classic (seed-a → seed-b) — ${report.date}, source ${report.revision}`,
    '',
    `machine: ${describeMachine(machine)}`,
    `sizes ${options.sizesMb.join(', ')} MB; ${options.valueBytes / 1024} KiB ${options.payload} values; ` +
      `probe every ${options.intervalMs} ms; ${options.ha ? `HA ${options.ha}` : 'single-member etcd'}; ` +
      `total ${report.durationSeconds} s; load average ${report.loadAverage.start.toFixed(2)} before, ${report.loadAverage.end.toFixed(2)} after`,
    '',
    summaryTable(report.results),
  ];
  if (report.ratios.length > 0) parts.push('', 'Live / classic:', '', ratioTable(report.ratios));
  parts.push('', '```', timelines(report.results), '```');
  return `${parts.join('\n')}\n`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { machine, started, loadStart } = benchStart(log);
  tearDownOnExit(() => active, log);

  const results: RunResult[] = [];
  for (const size of options.sizesMb) for (const mode of options.modes) results.push(await runOne(size, mode, options));

  const report: Report = {
    date: new Date().toISOString(),
    revision: sourceRevision(repoDir),
    machine,
    options,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    loadAverage: { start: loadStart, end: loadavg()[0]! },
    results,
    ratios: ratios(results),
  };
  const text = render(report);
  process.stdout.write(`\n${text}`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (options.out) {
    mkdirSync(options.out, { recursive: true });
    const base = join(options.out, `live-migration-${report.date.replace(/[:.]/g, '-')}`);
    writeFileSync(`${base}.md`, text);
    writeFileSync(`${base}.json`, json);
    log(`wrote ${base}.md and .json`);
  }
  if (options.json) writeFileSync(options.json, json);
  const failures = [
    ...results.filter((r) => r.error).map((r) => `${r.label} failed`),
    ...results.flatMap((r) =>
      targetsOf(r)
        .filter((t) => !t.pass)
        .map((t) => `${r.label}: ${t.name}`),
    ),
  ];
  process.stdout.write(`\n${failures.length === 0 ? 'every target passes' : `failed: ${failures.join('; ')}`}\n`);
  if (options.strict && failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
