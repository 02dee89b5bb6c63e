/**
 * Backup throughput next to the raw tools, on the same etcd data in the same run: a full snapshot
 * (`takeFullSnapshot` into a local store vs `etcdctl snapshot save`), a restore of it
 * (`restoreFromStore` vs `etcdctl snapshot restore`) and a copy of the store (`copyBackups`
 * local→local vs `cp -r`, and `rclone copy` when /usr/bin/rclone exists). Also, for information:
 * the snapshot gzip-compressed, a copy local→s3 (s3rver), and a restore that replays delta
 * snapshots on top of the full one.
 *
 * One etcd (Debian 3.4) in a fresh temp directory is filled with random (incompressible) values
 * up to each size in turn. Every measurement runs `--runs` times, ours and the raw tool
 * alternating, each after a `sync` (so no run pays for the previous run's dirty pages); the
 * median is reported. The page cache is not dropped (that needs root): the etcd data and the
 * stored snapshot are in memory for both sides alike. Everything (etcd, s3rver, temp directory)
 * is removed at the end, on errors, and on SIGINT/SIGTERM. See bench/README.md.
 *
 *   node dist/bench/backup.js [--sizes 100MB,1GB] [--runs 3] [--deltas 10000] [--only snapshot,restore,copy]
 *     [--no-s3] [--work-dir DIR] [--json out.json] [--keep] [--strict]
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { link, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { copyBackups } from '../src/backup/copier.js';
import { restoreFromStore } from '../src/backup/restorer/index.js';
import { type DeltaEvent, DeltaSnapshotWriter } from '../src/backup/snapshot-format.js';
import { EtcdEventWatch, saveDeltaSnapshot } from '../src/backup/snapshotter/delta-snapshots.js';
import { connectEtcd } from '../src/backup/snapshotter/etcd-connection.js';
import { takeFullSnapshot } from '../src/backup/snapshotter/full-snapshot.js';
import { LocalSnapstore } from '../src/backup/snapstore/local-snapstore.js';
import { S3Snapstore } from '../src/backup/snapstore/s3-snapstore.js';
import type { Snapshot, Snapstore } from '../src/backup/snapstore/snapstore.js';
import { type EtcdProcess, freePort, startEtcd } from '../src/process/etcd-process.js';
import { isProcessAlive } from '../src/process/processes.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, type S3rver, startS3rver } from '../test/helpers/s3rver.js';
import { intFlag, parseBenchFlags } from './lib/flags.js';
import { benchStart, describeMachine, type MachineInfo, sourceRevision } from './lib/machine.js';
import { markdownTable } from './lib/table.js';

const ETCD = '/usr/bin/etcd';
const ETCDCTL = '/usr/bin/etcdctl';
const RCLONE = '/usr/bin/rclone';
/** The ratio ours / raw tool each measured operation must reach (issue 4). */
const TARGET_RATIO = 0.8;
/** Room for 1 GB of data and its bolt overhead; etcd's default quota is 2 GiB. */
const QUOTA_BACKEND_BYTES = 8 * 1024 ** 3;
/** Puts in flight while filling etcd: enough for etcd to batch commits. */
const FILL_CONCURRENCY = 16;
/** Events per delta snapshot object when building the delta store. */
const EVENTS_PER_DELTA = 1000;
const STORE_PREFIX = 'bench';
const MEMBER = 'bench';
/** MB/s and sizes are decimal: 1 MB = 10^6 bytes. */
const MB = 1_000_000;

const execFileAsync = promisify(execFile);

type Operation = 'snapshot' | 'restore' | 'copy';
const OPERATIONS: readonly Operation[] = ['snapshot', 'restore', 'copy'];

interface Options {
  /** Target etcd database sizes, ascending, bytes. */
  sizes: number[];
  runs: number;
  valueBytes: number;
  deltaRevisions: number;
  operations: Operation[];
  s3: boolean;
  workDir: string;
  json: string | undefined;
  keep: boolean;
  strict: boolean;
}

function usage(): string {
  return `usage: node dist/bench/backup.js [options]

  --sizes S,T,...    etcd data sizes to measure at, ascending, with a unit: KB, MB, GB (decimal) or
                     KiB, MiB, GiB (default 100MB,1GB; env BENCH_SIZES)
  --runs N           runs per measurement, ours and the raw tool alternating; the median is
                     reported (default 3; env BENCH_RUNS)
  --value-size KIB   size of each random value written to etcd (default 100)
  --deltas N         single-key revisions in the delta snapshots of the restore-with-deltas line;
                     0 skips it (default 10000)
  --only OPS         operations to measure: snapshot, restore, copy, comma-separated (default all)
  --no-s3            skip the local→s3 copy (s3rver)
  --work-dir DIR     where the temp directory goes (default the OS temp dir)
  --json FILE        also write the report (machine, options, every sample) as JSON
  --keep             keep the temp directory (etcd data, stores)
  --strict           exit 1 when a ratio is below ${TARGET_RATIO}
`;
}

/** `100MB`, `1GB`, `64MiB`, or plain bytes. */
function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(|B|KB|MB|GB|KiB|MiB|GiB)$/i.exec(text.trim());
  if (!match) throw new Error(`--sizes: not a size: "${text}" (e.g. 100MB, 1GB)`);
  const units: Record<string, number> = {
    '': 1,
    b: 1,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
  };
  return Math.round(Number(match[1]) * units[match[2]!.toLowerCase()]!);
}

function parseOptions(argv: string[]): Options {
  const values = parseBenchFlags(
    argv,
    {
      sizes: { type: 'string' },
      runs: { type: 'string' },
      'value-size': { type: 'string' },
      deltas: { type: 'string' },
      only: { type: 'string' },
      'no-s3': { type: 'boolean', default: false },
      'work-dir': { type: 'string' },
    },
    usage,
  );
  const env = process.env;
  const sizes = (values.sizes ?? env.BENCH_SIZES ?? '100MB,1GB').split(',').filter(Boolean).map(parseSize);
  if (sizes.length === 0 || sizes.some((s, i) => s <= 0 || (i > 0 && s <= sizes[i - 1]!))) {
    throw new Error('--sizes must be a non-empty ascending list of sizes');
  }
  const operations = (values.only ?? OPERATIONS.join(',')).split(',').filter(Boolean);
  for (const op of operations) {
    if (!OPERATIONS.includes(op as Operation)) throw new Error(`--only: unknown operation "${op}"`);
  }
  return {
    sizes,
    runs: intFlag('--runs', values.runs ?? env.BENCH_RUNS, 3, 1),
    valueBytes: intFlag('--value-size', values['value-size'], 100, 1) * 1024,
    deltaRevisions: intFlag('--deltas', values.deltas, 10_000),
    operations: operations as Operation[],
    s3: !values['no-s3'],
    workDir: values['work-dir'] ?? tmpdir(),
    json: values.json ?? (env.BENCH_JSON || undefined),
    keep: values.keep,
    strict: values.strict,
  };
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** A size as given on the command line: `100 MB`, `1 GB`. */
function sizeLabel(bytes: number): string {
  const [unit, scale] = bytes >= 1e9 ? ['GB', 1e9] : bytes >= 1e6 ? ['MB', 1e6] : ['KB', 1e3];
  return `${Number((bytes / scale).toPrecision(3))} ${unit}`;
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(bytes < 10 * MB ? 2 : 1);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall time of `work` in ms, after a `sync`: dirty pages of earlier runs are not this run's cost. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  await execFileAsync('sync');
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Runs a command to its end; rejects with its stderr when it fails. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')}: exit ${code ?? signal}: ${stderr.trim().slice(-2000)}`));
    });
  });
}

const ETCDCTL_ENV = { ...process.env, ETCDCTL_API: '3' };

/** One side of a comparison: what ran, and each run's wall time. */
interface Side {
  tool: string;
  samplesMs: number[];
}

/** A row of the results: ours next to a raw tool (or alone, for information). */
interface Row {
  size: number;
  operation: string;
  /** Bytes the throughput is computed over. */
  bytes: number;
  ours: Side;
  raw?: Side;
  /** Whether the ratio is judged against the target. */
  judged: boolean;
}

function throughput(bytes: number, ms: number): number {
  return bytes / MB / (ms / 1000);
}

function ratio(row: Row): number | undefined {
  return row.raw ? median(row.raw.samplesMs) / median(row.ours.samplesMs) : undefined;
}

function passes(row: Row): boolean | undefined {
  const r = ratio(row);
  return row.judged && r !== undefined ? r >= TARGET_RATIO : undefined;
}

function resultsTable(rows: readonly Row[], runs: number): string {
  const header = [
    'data',
    'operation',
    `ours s (median of ${runs})`,
    'ours MB/s',
    'raw tool',
    'raw s',
    'raw MB/s',
    'ours / raw',
    'result',
  ];
  const body = rows.map((row) => {
    const ours = median(row.ours.samplesMs);
    const raw = row.raw ? median(row.raw.samplesMs) : undefined;
    const r = ratio(row);
    const pass = passes(row);
    return [
      sizeLabel(row.size),
      row.operation,
      (ours / 1000).toFixed(2),
      row.bytes > 0 ? throughput(row.bytes, ours).toFixed(0) : '',
      row.raw?.tool ?? '',
      raw === undefined ? '' : (raw / 1000).toFixed(2),
      raw === undefined || row.bytes === 0 ? '' : throughput(row.bytes, raw).toFixed(0),
      r === undefined ? '' : r.toFixed(2),
      pass === undefined ? '' : pass ? 'PASS' : 'FAIL',
    ];
  });
  return markdownTable(header, body, [2, 3, 5, 6, 7]);
}

/** What to tear down on any exit: the etcd, s3rver, the temp directory. */
const cleanup = {
  etcd: undefined as EtcdProcess | undefined,
  s3rver: undefined as S3rver | undefined,
  dir: undefined as string | undefined,
  keep: false,
  /** Synchronous, for 'exit' and signal handlers. */
  now(): void {
    const pid = this.etcd?.pid;
    if (pid && isProcessAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    this.etcd = undefined;
    // s3rver's own exit hook kills it; its directory is left to us.
    if (this.s3rver) rmSync(this.s3rver.directory, { recursive: true, force: true });
    this.s3rver = undefined;
    if (this.dir && !this.keep) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  },
};

/** Puts `count` keys with random values, `FILL_CONCURRENCY` at a time. */
async function putRandom(client: Etcd3, keyPrefix: string, first: number, count: number, valueBytes: number) {
  let next = first;
  const end = first + count;
  const worker = async () => {
    while (next < end) {
      const i = next++;
      await client.put(`${keyPrefix}${String(i).padStart(8, '0')}`).value(randomBytes(valueBytes));
    }
  };
  await Promise.all(Array.from({ length: FILL_CONCURRENCY }, worker));
}

async function dbSize(client: Etcd3): Promise<number> {
  return Number((await client.maintenance.status()).dbSize);
}

/** Fills etcd with random values until its database holds at least `target` bytes. */
class Filler {
  #keys = 0;
  constructor(
    readonly client: Etcd3,
    readonly valueBytes: number,
  ) {}

  async fillTo(target: number): Promise<void> {
    const started = Date.now();
    const before = this.#keys;
    for (let size = await dbSize(this.client); size < target; size = await dbSize(this.client)) {
      // Per value, bolt needs a little more than the value: aim a bit short, then top up.
      const count = Math.max(1, Math.ceil((target - size) / (this.valueBytes * 1.05)));
      await putRandom(this.client, 'bench/data/', this.#keys, count, this.valueBytes);
      this.#keys += count;
    }
    const written = (this.#keys - before) * this.valueBytes;
    log(
      `filled etcd to ${mb(await dbSize(this.client))} MB (db size): ${this.#keys - before} values of ` +
        `${this.valueBytes / 1024} KiB in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
        `(${throughput(written, Date.now() - started).toFixed(0)} MB/s)`,
    );
  }
}

/** The object file of `snapshot` in a local store. */
function objectPath(store: LocalSnapstore, snapshot: Snapshot): string {
  return path.join(store.directory, snapshot.name);
}

/** Measures `ours` and `raw` alternately, `runs` times each; `after` cleans up after every run (untimed). */
async function compare(
  runs: number,
  label: string,
  ours: { tool: string; run: (i: number) => Promise<unknown>; after?: (i: number) => Promise<void> },
  raws: { tool: string; run: (i: number) => Promise<unknown>; after?: (i: number) => Promise<void> }[],
): Promise<{ ours: Side; raws: Side[] }> {
  const oursSide: Side = { tool: ours.tool, samplesMs: [] };
  const rawSides: Side[] = raws.map((r) => ({ tool: r.tool, samplesMs: [] }));
  for (let i = 0; i < runs; i++) {
    // Alternate who goes first, so neither always inherits the other's page cache state.
    const order = i % 2 === 0 ? [-1, ...raws.keys()] : [...raws.keys(), -1];
    for (const which of order) {
      const side = which < 0 ? ours : raws[which]!;
      const ms = await timed(() => side.run(i));
      (which < 0 ? oursSide : rawSides[which]!).samplesMs.push(ms);
      await side.after?.(i);
      log(`  ${label} run ${i + 1}/${runs}: ${side.tool} ${(ms / 1000).toFixed(2)} s`);
    }
  }
  return { ours: oursSide, raws: rawSides };
}

interface SizeContext {
  size: number;
  work: string;
  client: Etcd3;
  etcd: EtcdProcess;
  options: Options;
  rows: Row[];
}

/** Full snapshots; returns a store holding one of ours (the source of the restore and copy measurements). */
async function measureSnapshots(
  ctx: SizeContext,
): Promise<{ store: LocalSnapstore; snapshot: Snapshot; bytes: number }> {
  const { work, client, options } = ctx;
  const dir = path.join(work, 'snapshots');
  await mkdir(dir, { recursive: true });
  const storeFor = (name: string) => new LocalSnapstore({ root: dir, container: name, prefix: STORE_PREFIX });
  const rawFile = (i: number) => path.join(dir, `etcdctl-${i}.db`);
  const store = storeFor('source');
  const snapshot = await takeFullSnapshot(client, store, { compression: 'none', tempDir: work });
  const source = { store, snapshot, bytes: (await stat(objectPath(store, snapshot))).size };
  if (!options.operations.includes('snapshot')) return source;
  let bytes = 0;
  const sides = await compare(
    options.runs,
    'full snapshot',
    {
      tool: 'takeFullSnapshot',
      run: (i) => takeFullSnapshot(client, storeFor(`ours-${i}`), { compression: 'none', tempDir: work }),
      after: (i) => rm(path.join(dir, `ours-${i}`), { recursive: true, force: true }),
    },
    [
      {
        tool: 'etcdctl snapshot save',
        run: (i) => run(ETCDCTL, [`--endpoints=${ctx.etcd.clientUrl}`, 'snapshot', 'save', rawFile(i)], ETCDCTL_ENV),
        after: async (i) => {
          bytes = (await stat(rawFile(i))).size;
          await rm(rawFile(i), { force: true });
        },
      },
    ],
  );
  ctx.rows.push({
    size: ctx.size,
    operation: 'full snapshot',
    bytes,
    ours: sides.ours,
    raw: sides.raws[0]!,
    judged: true,
  });
  // gzip: for information, next to the same etcdctl runs.
  const gzipSamples: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const ms = await timed(() =>
      takeFullSnapshot(client, storeFor(`gzip-${i}`), { compression: 'gzip', tempDir: work }),
    );
    gzipSamples.push(ms);
    await rm(path.join(dir, `gzip-${i}`), { recursive: true, force: true });
    log(`  full snapshot, gzip run ${i + 1}/${options.runs}: ${(ms / 1000).toFixed(2)} s`);
  }
  ctx.rows.push({
    size: ctx.size,
    operation: 'full snapshot, gzip (info)',
    bytes,
    ours: { tool: 'takeFullSnapshot gzip', samplesMs: gzipSamples },
    raw: sides.raws[0]!,
    judged: false,
  });
  return source;
}

async function measureRestore(ctx: SizeContext, source: { store: LocalSnapstore; snapshot: Snapshot; bytes: number }) {
  const { work, options } = ctx;
  const dir = path.join(work, 'restore');
  await mkdir(dir, { recursive: true });
  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  const dataDir = (who: string, i: number) => path.join(dir, `${who}-${i}`);
  const removeDataDir = (who: string) => (i: number) => rm(dataDir(who, i), { recursive: true, force: true });
  const sides = await compare(
    options.runs,
    'restore',
    {
      tool: 'restoreFromStore',
      run: (i) =>
        restoreFromStore({
          store: source.store,
          dataDir: dataDir('ours', i),
          memberName: MEMBER,
          peerUrl,
          tempDir: work,
          etcdctl: ETCDCTL,
          etcdBinary: ETCD,
        }),
      after: removeDataDir('ours'),
    },
    [
      {
        tool: 'etcdctl snapshot restore',
        run: (i) =>
          run(
            ETCDCTL,
            [
              'snapshot',
              'restore',
              objectPath(source.store, source.snapshot),
              `--data-dir=${dataDir('etcdctl', i)}`,
              `--name=${MEMBER}`,
              `--initial-cluster=${MEMBER}=${peerUrl}`,
              `--initial-advertise-peer-urls=${peerUrl}`,
            ],
            ETCDCTL_ENV,
          ),
        after: removeDataDir('etcdctl'),
      },
    ],
  );
  ctx.rows.push({
    size: ctx.size,
    operation: 'restore (full snapshot)',
    bytes: source.bytes,
    ours: sides.ours,
    raw: sides.raws[0]!,
    judged: true,
  });
}

async function measureCopy(ctx: SizeContext, source: { store: LocalSnapstore; bytes: number }) {
  const { work, options } = ctx;
  const dir = path.join(work, 'copies');
  await mkdir(dir, { recursive: true });
  const target = (who: string, i: number) => path.join(dir, `${who}-${i}`);
  const removeTarget = (who: string) => (i: number) => rm(target(who, i), { recursive: true, force: true });
  const objects = (await source.store.list()).map((o) => o.snapshot.name);
  const raws: {
    tool: string;
    judged: boolean;
    run: (i: number) => Promise<void>;
    after: (i: number) => Promise<void>;
  }[] = [
    {
      tool: 'cp -r',
      judged: true,
      run: (i) => run('cp', ['-r', source.store.location, target('cp', i)]),
      after: removeTarget('cp'),
    },
    {
      // Durable like our store's saves (fsync before they count as stored), for comparison.
      tool: 'cp -r, then sync of the copies',
      judged: false,
      run: async (i) => {
        await run('cp', ['-r', source.store.location, target('cp-sync', i)]);
        await run(
          'sync',
          objects.map((name) => path.join(target('cp-sync', i), 'v2', name)),
        );
      },
      after: removeTarget('cp-sync'),
    },
  ];
  if (
    await stat(RCLONE).then(
      () => true,
      () => false,
    )
  ) {
    raws.push({
      tool: 'rclone copy',
      judged: true,
      // No config file: local paths need none, and rclone would otherwise warn about it.
      run: (i) => run(RCLONE, ['copy', '--config', '', source.store.location, target('rclone', i)]),
      after: removeTarget('rclone'),
    });
  }
  const sides = await compare(
    options.runs,
    'copy local→local',
    {
      tool: 'copyBackups',
      run: (i) =>
        copyBackups({
          source: source.store,
          target: new LocalSnapstore({ root: dir, container: `ours-${i}`, prefix: STORE_PREFIX }),
        }),
      after: removeTarget('ours'),
    },
    raws,
  );
  sides.raws.forEach((raw, i) => {
    ctx.rows.push({
      size: ctx.size,
      operation: 'copy local→local',
      bytes: source.bytes,
      ours: sides.ours,
      raw,
      judged: raws[i]!.judged,
    });
  });
  if (options.s3) await measureS3Copy(ctx, source);
}

async function measureS3Copy(ctx: SizeContext, source: { store: LocalSnapstore; bytes: number }) {
  const { options } = ctx;
  cleanup.s3rver ??= await startS3rver();
  const s3rver = cleanup.s3rver;
  const samples: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const bucket = `bench-${Math.round(ctx.size / MB)}-${i}`;
    await s3rver.createBucket(bucket);
    const target: Snapstore = new S3Snapstore({
      bucket,
      prefix: STORE_PREFIX,
      credentials: {
        accessKeyId: S3RVER_ACCESS_KEY,
        secretAccessKey: S3RVER_SECRET_KEY,
        region: 'us-east-1',
        endpoint: s3rver.endpoint,
        forcePathStyle: true,
      },
    });
    const ms = await timed(() => copyBackups({ source: source.store, target }));
    samples.push(ms);
    await rm(path.join(s3rver.directory, bucket), { recursive: true, force: true });
    log(`  copy local→s3 run ${i + 1}/${options.runs}: ${(ms / 1000).toFixed(2)} s`);
  }
  ctx.rows.push({
    size: ctx.size,
    operation: 'copy local→s3 (s3rver, info)',
    bytes: source.bytes,
    ours: { tool: 'copyBackups', samplesMs: samples },
    judged: false,
  });
}

/**
 * A restore that replays `deltaRevisions` single-key revisions from delta snapshots on top of
 * `source`'s full snapshot. Writes to etcd (after every other measurement at this size).
 */
async function measureDeltaRestore(ctx: SizeContext, source: { store: LocalSnapstore; snapshot: Snapshot }) {
  const { work, client, options } = ctx;
  const count = options.deltaRevisions;
  const storeRoot = path.join(work, 'delta-store');
  const store = new LocalSnapstore({ root: storeRoot, container: 'store', prefix: STORE_PREFIX });
  await mkdir(store.directory, { recursive: true });
  await link(objectPath(source.store, source.snapshot), objectPath(store, source.snapshot));

  const events: DeltaEvent[] = [];
  let enough: () => void = () => {};
  const collected = new Promise<void>((resolve) => {
    enough = resolve;
  });
  const watch = new EtcdEventWatch(
    client,
    source.snapshot.lastRevision + 1,
    {
      onEvents: (batch) => {
        events.push(...batch);
        if (events.length >= count) enough();
      },
      onCompacted: () => {},
    },
    pino({ enabled: false }),
  );
  watch.start();
  const started = Date.now();
  await putRandom(client, `bench/delta-${Math.round(ctx.size / MB)}/`, 0, count, 256);
  await collected;
  watch.stop();
  log(`  wrote ${count} single-key revisions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  let previous = source.snapshot.lastRevision;
  for (let at = 0; at < count; at += EVENTS_PER_DELTA) {
    const writer = new DeltaSnapshotWriter();
    for (const event of events.slice(at, Math.min(count, at + EVENTS_PER_DELTA))) writer.append(event);
    const delta = await saveDeltaSnapshot(store, previous, writer);
    previous = delta.lastRevision;
  }

  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  const samples: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const dataDir = path.join(work, 'restore', `deltas-${i}`);
    let revision = 0;
    const ms = await timed(async () => {
      const result = await restoreFromStore({ store, dataDir, memberName: MEMBER, peerUrl, tempDir: work });
      if (result.restored) revision = result.revision;
    });
    if (revision !== previous)
      throw new Error(`restore with deltas reached revision ${revision}, expected ${previous}`);
    samples.push(ms);
    await rm(dataDir, { recursive: true, force: true });
    log(`  restore with ${count} delta revisions run ${i + 1}/${options.runs}: ${(ms / 1000).toFixed(2)} s`);
  }
  await rm(storeRoot, { recursive: true, force: true });
  ctx.rows.push({
    size: ctx.size,
    operation: `restore + ${count} delta revisions (info)`,
    bytes: 0,
    ours: { tool: 'restoreFromStore', samplesMs: samples },
    judged: false,
  });
}

interface Report {
  date: string;
  revision: string;
  machine: MachineInfo;
  options: Options;
  durationSeconds: number;
  loadAverage: { start: number; end: number };
  rows: Row[];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // The AWS SDK's notice about future Node versions is noise in the bench's output (as in the CLI's).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { machine, started, loadStart } = benchStart(log);
  process.once('exit', () => cleanup.now());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      cleanup.now();
      process.exit(130);
    });
  }

  const work = await mkdtemp(path.join(options.workDir, 'transplant-bench-backup-'));
  cleanup.dir = work;
  cleanup.keep = options.keep;
  const rows: Row[] = [];
  const etcd = await startEtcd({
    name: MEMBER,
    dataDir: path.join(work, 'etcd'),
    quotaBackendBytes: QUOTA_BACKEND_BYTES,
    binary: ETCD,
    extraArgs: ['--election-timeout=500'],
  });
  cleanup.etcd = etcd;
  const client = connectEtcd({ endpoint: etcd.clientUrl });
  try {
    log(`etcd ${etcd.clientUrl} (pid ${etcd.pid}) in ${work}`);
    const filler = new Filler(client, options.valueBytes);
    for (const size of options.sizes) {
      await filler.fillTo(size);
      const ctx: SizeContext = { size, work, client, etcd, options, rows };
      log(`${sizeLabel(size)}:`);
      const source = await measureSnapshots(ctx);
      log(`  stored snapshot: ${mb(source.bytes)} MB`);
      if (options.operations.includes('restore')) await measureRestore(ctx, source);
      if (options.operations.includes('copy')) await measureCopy(ctx, source);
      if (options.operations.includes('restore') && options.deltaRevisions > 0) await measureDeltaRestore(ctx, source);
      await rm(path.join(work, 'snapshots'), { recursive: true, force: true });
    }
  } finally {
    client.close();
    await etcd.stop();
    cleanup.etcd = undefined;
    await cleanup.s3rver?.stop();
    cleanup.s3rver = undefined;
    if (options.keep) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
    cleanup.dir = undefined;
  }

  const shown = rows;
  const report: Report = {
    date: new Date().toISOString(),
    revision: sourceRevision(fileURLToPath(new URL('../..', import.meta.url))),
    machine,
    options,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    loadAverage: { start: loadStart, end: loadavg()[0]! },
    rows: shown,
  };
  const out = process.stdout;
  out.write(`\nTransplant backups vs the raw tools — ${report.date}, source ${report.revision}\n`);
  out.write(`machine: ${describeMachine(machine)}\n`);
  out.write(
    `sizes ${options.sizes.map(sizeLabel).join(', ')}; ${options.runs} runs each (median, ours and raw alternating, ` +
      `sync before each); total ${report.durationSeconds} s; load average ${loadStart.toFixed(2)} before, ` +
      `${report.loadAverage.end.toFixed(2)} after\n\n`,
  );
  out.write(`${resultsTable(shown, options.runs)}\n`);
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${options.json}`);
  }
  const failed = shown.filter((r) => passes(r) === false);
  out.write(
    `\n${failed.length === 0 ? `every ratio ≥ ${TARGET_RATIO}` : `below ${TARGET_RATIO}: ${failed.map((r) => `${sizeLabel(r.size)} ${r.operation} vs ${r.raw?.tool}`).join(', ')}`}\n`,
  );
  if (options.strict && failed.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
