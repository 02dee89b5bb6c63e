/**
 * Latency of the garden API server on its SQLite store (and, with `--stores sqlite,etcd`, on a
 * 3-member TLS etcd cluster in the same run), seen by a client over HTTPS.
 *
 * Starts `transplant garden` as a separate process in a fresh directory, reads the operator
 * kubeconfig it writes, and drives it with one request at a time over keep-alive connections:
 * shoot create, status patch, get, full list (JSON and `kubectl get shoots -A` Tables) at each
 * size, and the `shoots/binding` subresource at the largest. Prints p50/p90/p99/max per operation
 * with the targets of issue 2. See bench/README.md.
 *
 *   node dist/bench/apiserver-latency.js [--sizes 1000,10000] [--gets 2000] [--bindings 1000]
 *     [--list-reps 20] [--warmup 50] [--no-status] [--stores sqlite,etcd] [--json out.json]
 *     [--encryption on,off] [--cpu-prof DIR] [--strict]
 *
 * With `--encryption on,off` each store is measured twice, with the garden's Secrets and
 * ShootStates encrypted at rest (aesgcm, its default) and without (identity only): `get secret`
 * shows what encryption costs a read of an encrypted object, the shoot rows that it costs the
 * others nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gardenEncryptedResources } from '../src/garden/encrypted-resources.js';
import { type EtcdCluster, etcdCluster } from '../src/landscape/etcd-cluster.js';
import {
  ENCRYPTION_CONFIG_API_VERSION,
  ENCRYPTION_CONFIG_KIND,
  newEncryptionConfig,
} from '../src/storage/encryption/encryption-config.js';
import { ApiClient } from './lib/client.js';
import {
  formatProfileSummary,
  readProfile,
  summarizeProfile,
  type Window,
  type WindowSummary,
} from './lib/cpuprofile.js';
import {
  healthySeedConditions,
  localSetup,
  type Obj,
  projectDev,
  reconciledShootStatus,
  secrets,
  seeds,
  shootFactory,
} from './lib/fixtures.js';
import { ascendingList, intFlag, parseBenchFlags } from './lib/flags.js';
import { GardenProcess } from './lib/garden-process.js';
import { benchStart, describeMachine, type MachineInfo, sourceRevision } from './lib/machine.js';
import { formatBytes, formatMs, type Summary, summarize } from './lib/stats.js';

const GROUP_PATH = '/apis/core.gardener.cloud/v1beta1';
const NAMESPACE = 'garden-dev';
const SHOOTS_NS = `${GROUP_PATH}/namespaces/${NAMESPACE}/shoots`;
const SHOOTS_ALL = `${GROUP_PATH}/shoots`;
/** What kubectl 1.31 sends for `kubectl get`. */
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
/** kubectl get's default --chunk-size. */
const KUBECTL_CHUNK = 500;
/** Seed heartbeats older than 60 s make the binding refuse the seed; refresh well before. */
const HEARTBEAT_REFRESH_MS = 20_000;
const SEED_NAMES = ['seed-a', 'seed-b'] as const;

type StoreKind = 'sqlite' | 'etcd';
type Encryption = 'on' | 'off';

interface Options {
  sizes: number[];
  /** The stores to measure, one after the other, each with a fresh garden. */
  stores: StoreKind[];
  /** Encryption at rest of Secrets and ShootStates, each measured with a fresh garden. */
  encryption: Encryption[];
  gets: number;
  bindings: number;
  listReps: number;
  warmup: number;
  status: boolean;
  json: string | undefined;
  cpuProf: string | undefined;
  maxSockets: number;
  keep: boolean;
  strict: boolean;
  samples: boolean;
}

interface Target {
  /** The statistic judged. */
  stat: 'p99';
  ms: number;
}

interface Row {
  /** The garden's store. */
  store: StoreKind;
  encryption: Encryption;
  operation: string;
  /** Shoots in the store while measuring (for creates: the range filled). */
  shoots: string;
  summary: Summary;
  /** Response size (lists). */
  bytes?: number;
  target?: Target;
  pass?: boolean;
  /** Every sample in ms, in order (with --samples). */
  samples?: number[];
}

interface Report {
  date: string;
  revision: string;
  machine: MachineInfo;
  options: Options;
  durationSeconds: number;
  /** 1-minute load average before and after: other work on the machine skews the numbers. */
  loadAverage: { start: number; end: number };
  rows: Row[];
  profile?: WindowSummary[];
}

const TARGETS = {
  get: { stat: 'p99', ms: 5 },
  create: { stat: 'p99', ms: 20 },
  binding: { stat: 'p99', ms: 20 },
  list10k: { stat: 'p99', ms: 500 },
} satisfies Record<string, Target>;

function usage(): string {
  return `usage: node dist/bench/apiserver-latency.js [options]

  --sizes N,M,...    shoot counts to measure at, ascending (default 1000,10000; env BENCH_SIZES)
  --gets N           get samples per size (default 2000; env BENCH_GETS)
  --bindings N       binding samples at the largest size (default 1000; env BENCH_BINDINGS)
  --list-reps N      full lists per kind and size (default 20; env BENCH_LIST_REPS)
  --warmup N         unrecorded requests before each latency series (default 50; env BENCH_WARMUP)
  --no-status        create shoots without a reconciled status (smaller objects; no status patches)
  --stores S,...     the garden's stores, measured one after the other: sqlite (its file in the
                     state dir) and/or etcd (a 3-member etcd cluster with TLS on 127.x.y.1-3)
                     (default sqlite; env BENCH_STORES)
  --encryption E,... encryption at rest of Secrets and ShootStates, measured one after the other:
                     on (aesgcm, the default) and/or off (identity) (default on; env BENCH_ENCRYPTION)
  --max-sockets N    keep-alive connections (default 4)
  --json FILE        also write the results as JSON (env BENCH_JSON)
  --cpu-prof DIR     run the garden under node --cpu-prof, write the profile to DIR and
                     print where the garden spent its time in each phase
  --keep             keep the garden's state directory
  --strict           exit 1 when a target fails
  --samples          put every sample (ms, in order) into the --json output
`;
}

function parseOptions(argv: string[]): Options {
  const values = parseBenchFlags(
    argv,
    {
      sizes: { type: 'string' },
      gets: { type: 'string' },
      bindings: { type: 'string' },
      'list-reps': { type: 'string' },
      warmup: { type: 'string' },
      'no-status': { type: 'boolean', default: false },
      stores: { type: 'string' },
      encryption: { type: 'string' },
      'max-sockets': { type: 'string' },
      'cpu-prof': { type: 'string' },
      samples: { type: 'boolean', default: false },
    },
    usage,
  );
  const env = process.env;
  const sizes = ascendingList('--sizes', values.sizes ?? env.BENCH_SIZES ?? '1000,10000');
  const stores = (values.stores ?? env.BENCH_STORES ?? 'sqlite').split(',').map((s) => s.trim());
  for (const store of stores) {
    if (store !== 'sqlite' && store !== 'etcd') throw new Error(`--stores: unknown store "${store}"\n${usage()}`);
  }
  const encryption = (values.encryption ?? env.BENCH_ENCRYPTION ?? 'on').split(',').map((s) => s.trim());
  for (const mode of encryption) {
    if (mode !== 'on' && mode !== 'off') throw new Error(`--encryption: "${mode}" is neither on nor off\n${usage()}`);
  }
  return {
    sizes,
    stores: stores as StoreKind[],
    encryption: encryption as Encryption[],
    gets: intFlag('--gets', values.gets ?? env.BENCH_GETS, 2000),
    bindings: intFlag('--bindings', values.bindings ?? env.BENCH_BINDINGS, 1000),
    listReps: intFlag('--list-reps', values['list-reps'] ?? env.BENCH_LIST_REPS, 20, 1),
    warmup: intFlag('--warmup', values.warmup ?? env.BENCH_WARMUP, 50),
    status: !values['no-status'],
    json: values.json ?? (env.BENCH_JSON || undefined),
    cpuProf: values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined,
    maxSockets: intFlag('--max-sockets', values['max-sockets'], 4, 1),
    keep: values.keep,
    strict: values.strict,
    samples: values.samples,
  };
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

class Bench {
  readonly rows: Row[] = [];
  readonly windows: Window[] = [];
  readonly #client: ApiClient;
  readonly #options: Options;
  readonly #store: StoreKind;
  readonly #encryption: Encryption;
  readonly #newShoot = shootFactory();
  /** Names of the shoots created so far, in order. */
  readonly #shoots: string[] = [];
  #lastHeartbeat = 0;

  constructor(client: ApiClient, options: Options, store: StoreKind, encryption: Encryption) {
    this.#client = client;
    this.#options = options;
    this.#store = store;
    this.#encryption = encryption;
  }

  /** Project dev (and its namespace), the secrets, both seeds with backup, healthy. */
  async setup(): Promise<void> {
    const c = this.#client;
    for (const secret of secrets()) {
      await c.call('POST', `/api/v1/namespaces/${secret.metadata.namespace}/secrets`, { body: secret });
    }
    // The garden bootstraps project dev; an older garden may not have it.
    const project = await c.raw('POST', `${GROUP_PATH}/projects`, { body: projectDev() });
    if (project.status !== 201 && project.status !== 409) {
      throw new Error(`creating project dev: HTTP ${project.status} ${project.body.toString('utf8')}`);
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await c.raw('GET', `/api/v1/namespaces/${NAMESPACE}`);
      if (res.status === 200) break;
      if (Date.now() > deadline) throw new Error(`namespace ${NAMESPACE} did not appear: HTTP ${res.status}`);
      await sleep(100);
    }
    for (const { path, body } of localSetup()) {
      const res = await c.raw('POST', path, { body });
      if (res.status !== 201 && res.status !== 409) throw new Error(`POST ${path}: HTTP ${res.status}`);
    }
    for (const seed of seeds()) {
      if (!(seed.spec as { backup?: unknown }).backup)
        throw new Error(`examples: seed ${seed.metadata.name} has no spec.backup`);
      await c.call('POST', `${GROUP_PATH}/seeds`, { body: seed });
    }
    await this.#heartbeat(true);
  }

  /** Fresh seed conditions (a gardenlet's heartbeat), at most every HEARTBEAT_REFRESH_MS. */
  async #heartbeat(force = false): Promise<void> {
    if (!force && Date.now() - this.#lastHeartbeat < HEARTBEAT_REFRESH_MS) return;
    for (const name of SEED_NAMES) {
      await this.#client.call('PATCH', `${GROUP_PATH}/seeds/${name}/status`, {
        contentType: 'application/merge-patch+json',
        body: { status: { conditions: healthySeedConditions() } },
      });
    }
    this.#lastHeartbeat = Date.now();
  }

  async #phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = nowUs();
    log(`${name} …`);
    try {
      return await fn();
    } finally {
      const endUs = nowUs();
      this.windows.push({ name, startUs: started, endUs });
      log(`${name}: ${((endUs - started) / 1e6).toFixed(1)} s`);
    }
  }

  #add(fields: Omit<Row, 'store' | 'encryption'>): void {
    const row: Row = { store: this.#store, encryption: this.#encryption, ...fields };
    if (row.target) row.pass = row.summary[row.target.stat] <= row.target.ms;
    if (!this.#options.samples) delete row.samples;
    this.rows.push(row);
  }

  /** Creates shoots (one at a time) until there are `size`; each also gets its reconciled status. */
  async grow(size: number): Promise<void> {
    const from = this.#shoots.length;
    const creates: number[] = [];
    const patches: number[] = [];
    const firstSeries = from === 0;
    await this.#phase(`create ${from}→${size}`, async () => {
      for (let i = from; i < size; i++) {
        const name = `bench-${String(i).padStart(5, '0')}`;
        const seedName = SEED_NAMES[i % 2]!;
        const res = await this.#client.call('POST', SHOOTS_NS, { body: this.#newShoot(name, seedName) });
        const recorded = !firstSeries || i - from >= this.#options.warmup;
        if (recorded) creates.push(res.ms);
        this.#shoots.push(name);
        if (this.#options.status) {
          const created = JSON.parse(res.body.toString('utf8')) as Obj;
          const status = reconciledShootStatus({ name, uid: String(created.metadata.uid), seedName });
          const patched = await this.#client.call('PATCH', `${SHOOTS_NS}/${name}/status`, {
            contentType: 'application/merge-patch+json',
            body: { status },
          });
          if (recorded) patches.push(patched.ms);
        }
        if ((i + 1) % 1000 === 0) log(`  ${i + 1} shoots`);
      }
    });
    const range = `${from}→${size}`;
    this.#add({
      operation: 'create shoot (POST)',
      shoots: range,
      summary: summarize(creates),
      samples: creates,
      target: TARGETS.create,
    });
    if (this.#options.status) {
      this.#add({
        operation: 'patch shoot status (merge)',
        shoots: range,
        summary: summarize(patches),
        samples: patches,
      });
    }
  }

  async gets(): Promise<void> {
    const n = this.#options.gets;
    if (n === 0) return;
    const size = this.#shoots.length;
    const samples: number[] = [];
    await this.#phase(`get ×${n} @${size}`, async () => {
      for (let i = 0; i < this.#options.warmup + n; i++) {
        const name = this.#shoots[Math.floor(Math.random() * size)]!;
        const res = await this.#client.call('GET', `${SHOOTS_NS}/${name}`);
        if (i >= this.#options.warmup) samples.push(res.ms);
      }
    });
    this.#add({
      operation: 'get shoot',
      shoots: String(size),
      summary: summarize(samples),
      samples: samples,
      target: TARGETS.get,
    });
    // What encryption at rest costs a read: the Secrets are encrypted (with --encryption on), shoots are not.
    const secretPaths = secrets().map((s) => `/api/v1/namespaces/${s.metadata.namespace}/secrets/${s.metadata.name}`);
    const secretSamples: number[] = [];
    await this.#phase(`get secret ×${n} @${size}`, async () => {
      for (let i = 0; i < this.#options.warmup + n; i++) {
        const res = await this.#client.call('GET', secretPaths[i % secretPaths.length]!);
        if (i >= this.#options.warmup) secretSamples.push(res.ms);
      }
    });
    this.#add({
      operation: 'get secret',
      shoots: String(size),
      summary: summarize(secretSamples),
      samples: secretSamples,
      target: TARGETS.get,
    });
  }

  /** Full lists across namespaces: JSON, one Table, and Tables in kubectl's chunks of 500. */
  async lists(): Promise<void> {
    const size = this.#shoots.length;
    const reps = this.#options.listReps;
    const listTarget = size === 10_000 ? TARGETS.list10k : undefined;

    const json: number[] = [];
    let jsonBytes = 0;
    await this.#phase(`list JSON ×${reps} @${size}`, async () => {
      for (let i = 0; i <= reps; i++) {
        const res = await this.#client.call('GET', SHOOTS_ALL);
        if (i === 0) {
          const items = (JSON.parse(res.body.toString('utf8')) as { items: unknown[] }).items.length;
          if (items !== size) throw new Error(`the list returned ${items} shoots, expected ${size}`);
          continue;
        }
        json.push(res.ms);
        jsonBytes = res.body.length;
      }
    });
    this.#add({
      operation: 'list all shoots (JSON)',
      shoots: String(size),
      summary: summarize(json),
      samples: json,
      bytes: jsonBytes,
      target: listTarget,
    });

    const table: number[] = [];
    let tableBytes = 0;
    await this.#phase(`list Table ×${reps} @${size}`, async () => {
      for (let i = 0; i <= reps; i++) {
        const res = await this.#client.call('GET', SHOOTS_ALL, { accept: TABLE_ACCEPT });
        if (i === 0) {
          const rows = (JSON.parse(res.body.toString('utf8')) as { rows: unknown[] }).rows.length;
          if (rows !== size) throw new Error(`the Table had ${rows} rows, expected ${size}`);
          continue;
        }
        table.push(res.ms);
        tableBytes = res.body.length;
      }
    });
    this.#add({
      operation: 'list all shoots (Table)',
      shoots: String(size),
      summary: summarize(table),
      samples: table,
      bytes: tableBytes,
    });

    const chunked: number[] = [];
    let chunkedBytes = 0;
    await this.#phase(`list Table chunks ×${reps} @${size}`, async () => {
      for (let i = 0; i <= reps; i++) {
        let total = 0;
        let bytes = 0;
        let rows = 0;
        let next: string | undefined;
        do {
          const query = `?limit=${KUBECTL_CHUNK}${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
          const res = await this.#client.call('GET', `${SHOOTS_ALL}${query}`, { accept: TABLE_ACCEPT });
          total += res.ms;
          bytes += res.body.length;
          const page = JSON.parse(res.body.toString('utf8')) as { rows: unknown[]; metadata?: { continue?: string } };
          rows += page.rows.length;
          next = page.metadata?.continue || undefined;
        } while (next);
        if (rows !== size) throw new Error(`the chunked Table had ${rows} rows, expected ${size}`);
        if (i === 0) continue;
        chunked.push(total);
        chunkedBytes = bytes;
      }
    });
    this.#add({
      operation: `list all shoots (Table, chunks of ${KUBECTL_CHUNK})`,
      shoots: String(size),
      summary: summarize(chunked),
      samples: chunked,
      bytes: chunkedBytes,
    });
  }

  /**
   * `shoots/binding` as the seed document does it: get the shoot, flip spec.seedName between
   * seed-a and seed-b, PUT the whole shoot to the binding. Only the PUT is timed; each shoot is
   * moved once (round-robin when there are more samples than shoots).
   */
  async bindings(): Promise<void> {
    const n = this.#options.bindings;
    if (n === 0) return;
    const size = this.#shoots.length;
    const order = shuffle([...this.#shoots]);
    const samples: number[] = [];
    const warmup = Math.min(this.#options.warmup, n);
    await this.#phase(`binding ×${n} @${size}`, async () => {
      for (let i = 0; i < warmup + n; i++) {
        await this.#heartbeat();
        const name = order[i % order.length]!;
        const shoot = await this.#client.json<Obj>('GET', `${SHOOTS_NS}/${name}`);
        const spec = shoot.spec as { seedName: string };
        const to = spec.seedName === 'seed-a' ? 'seed-b' : 'seed-a';
        spec.seedName = to;
        const res = await this.#client.call('PUT', `${SHOOTS_NS}/${name}/binding`, { body: shoot });
        const bound = JSON.parse(res.body.toString('utf8')) as Obj;
        if ((bound.spec as { seedName?: string }).seedName !== to)
          throw new Error(`binding of ${name} did not move it to ${to}`);
        if (i >= warmup) samples.push(res.ms);
      }
    });
    this.#add({
      operation: 'binding (PUT shoots/binding)',
      shoots: String(size),
      summary: summarize(samples),
      samples: samples,
      target: TARGETS.binding,
    });
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function formatTable(rows: readonly Row[]): string {
  const header = [
    'store',
    'encryption',
    'operation',
    'shoots',
    'n',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'max ms',
    'mean ms',
    'response',
    'target',
    'result',
  ];
  const body = rows.map((r) => [
    r.store,
    r.encryption,
    r.operation,
    r.shoots,
    String(r.summary.count),
    formatMs(r.summary.p50),
    formatMs(r.summary.p90),
    formatMs(r.summary.p99),
    formatMs(r.summary.max),
    formatMs(r.summary.mean),
    r.bytes !== undefined ? formatBytes(r.bytes) : '',
    r.target ? `${r.target.stat} ≤ ${r.target.ms} ms` : '',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(3, h.length, ...body.map((row) => row[i]!.length)));
  const numeric = new Set([4, 5, 6, 7, 8, 9, 10]);
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  // The Markdown style biome formats tables in, so the output can be pasted into bench/README.md.
  const rule = `| ${widths.map((w, i) => (numeric.has(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

/**
 * The ratio of p50 and p99 per operation and size between two values of `field` (`etcd / sqlite`,
 * `on / off`), for rows measured with both and alike otherwise (the first value is the denominator).
 */
function formatComparison(rows: readonly Row[], field: 'store' | 'encryption', values: readonly string[]): string {
  const [base, other] = values as [string, string];
  const lines = [
    `| operation | shoots | p50 ${base} ms | p50 ${other} ms | p50 ratio | p99 ${base} ms | p99 ${other} ms | p99 ratio |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const alike = (a: Row, b: Row) =>
    a.operation === b.operation &&
    a.shoots === b.shoots &&
    (field === 'store' ? a.encryption === b.encryption : a.store === b.store);
  for (const row of rows.filter((r) => r[field] === base)) {
    const match = rows.find((r) => r[field] === other && alike(r, row));
    if (!match) continue;
    const ratio = (a: number, b: number) => (a > 0 ? `${(b / a).toFixed(2)}×` : '');
    const label = field === 'store' ? `encryption ${row.encryption}` : row.store;
    lines.push(
      `| ${row.operation} (${label}) | ${row.shoots} | ${formatMs(row.summary.p50)} | ${formatMs(match.summary.p50)} | ` +
        `${ratio(row.summary.p50, match.summary.p50)} | ${formatMs(row.summary.p99)} | ${formatMs(match.summary.p99)} | ` +
        `${ratio(row.summary.p99, match.summary.p99)} |`,
    );
  }
  return lines.join('\n');
}

/** A 3-member etcd cluster with TLS on three addresses of a random 127.x.y.0/24, in a temp dir. */
async function startBenchEtcd(): Promise<{ cluster: EtcdCluster; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'transplant-bench-etcd-'));
  const net = `127.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
  const cluster = etcdCluster({
    dir,
    members: [1, 2, 3].map((i) => ({ name: `etcd-${i}`, host: `${net}.${i}` })),
  });
  await cluster.start();
  return { cluster, dir };
}

/**
 * The garden's `--encryption-provider-config` in a new temporary directory: aesgcm with a fresh
 * key (what a garden generates for itself), or identity only.
 */
function benchEncryptionConfig(encryption: Encryption): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'transplant-bench-encryption-'));
  const file = join(dir, 'encryption-config.yaml');
  const resources = gardenEncryptedResources.map((r) => `      - ${r}`).join('\n');
  const text =
    encryption === 'on'
      ? newEncryptionConfig(gardenEncryptedResources, randomBytes(32).toString('base64'))
      : `apiVersion: ${ENCRYPTION_CONFIG_API_VERSION}\nkind: ${ENCRYPTION_CONFIG_KIND}\nresources:\n  - resources:\n${resources}\n    providers:\n      - identity: {}\n`;
  writeFileSync(file, text, { mode: 0o600 });
  return { file, dir };
}

/** One full series (setup, sizes, bindings) against a fresh garden on `store`. */
async function measureOn(
  store: StoreKind,
  encryption: Encryption,
  options: Options,
): Promise<{ rows: Row[]; windows: Window[] }> {
  const etcd = store === 'etcd' ? await startBenchEtcd() : undefined;
  const config = benchEncryptionConfig(encryption);
  const stopEtcd = () => {
    if (!etcd) return;
    for (const name of ['etcd-1', 'etcd-2', 'etcd-3']) {
      void etcd.cluster.pidOf(name).then((pid) => pid && process.kill(pid, 'SIGKILL'));
    }
  };
  const gardenArgs = [
    '--encryption-provider-config',
    config.file,
    ...(etcd
      ? [
          '--store',
          'etcd',
          '--etcd-endpoints',
          etcd.cluster.endpoints.join(','),
          '--etcd-ca-file',
          etcd.cluster.clientFiles.ca,
          '--etcd-cert-file',
          etcd.cluster.clientFiles.cert,
          '--etcd-key-file',
          etcd.cluster.clientFiles.key,
        ]
      : []),
  ];
  if (etcd) log(`etcd: 3 members with TLS at ${etcd.cluster.endpoints.join(', ')}`);
  const garden = GardenProcess.start({
    keepDir: options.keep,
    nodeArgs: options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] : [],
    gardenArgs,
  });
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the garden (pid ${garden.pid}) and removing ${garden.dir}`);
    garden.cleanupSync();
    stopEtcd();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onExit = () => garden.cleanupSync();
  process.once('exit', onExit);

  let client: ApiClient | undefined;
  let bench: Bench | undefined;
  try {
    const connection = await garden.ready();
    log(`${store}, encryption ${encryption}: garden pid ${garden.pid} at ${connection.server}, state in ${garden.dir}`);
    client = new ApiClient({ ...connection, maxSockets: options.maxSockets });
    bench = new Bench(client, options, store, encryption);
    await bench.setup();
    for (const size of options.sizes) {
      await bench.grow(size);
      await bench.gets();
      await bench.lists();
    }
    await bench.bindings();
  } catch (err) {
    if (garden.stderr) log(`garden stderr:\n${garden.stderr}`);
    throw err;
  } finally {
    client?.close();
    await garden.stop();
    if (options.keep) log(`kept the garden's state in ${garden.dir}`);
    if (etcd) {
      await etcd.cluster.stop();
      if (!options.keep) rmSync(etcd.dir, { recursive: true, force: true });
    }
    rmSync(config.dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
  return { rows: bench.rows, windows: bench.windows };
}

function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { machine, started, loadStart } = benchStart(log);
  if (options.cpuProf) mkdirSync(options.cpuProf, { recursive: true });
  const rows: Row[] = [];
  const windows: Window[] = [];
  for (const store of options.stores) {
    for (const encryption of options.encryption) {
      const measured = await measureOn(store, encryption, options);
      rows.push(...measured.rows);
      windows.push(...measured.windows);
    }
  }

  const report: Report = {
    date: new Date().toISOString(),
    revision: sourceRevision(fileURLToPath(new URL('../..', import.meta.url))),
    machine,
    options,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    loadAverage: { start: loadStart, end: loadavg()[0]! },
    rows,
  };
  let profileText = '';
  if (options.cpuProf) {
    const file = newestProfile(options.cpuProf);
    if (file) {
      const profile = readProfile(file);
      report.profile = summarizeProfile(profile, windows);
      profileText = `\nWhere the garden spent its time (${file}):${formatProfileSummary(report.profile)}\n`;
    } else {
      log(`no .cpuprofile was written to ${options.cpuProf}`);
    }
  }

  const out = process.stdout;
  out.write(`\nTransplant garden API server latency — ${report.date}, source ${report.revision}\n`);
  out.write(`machine: ${describeMachine(machine)}\n`);
  out.write(
    `client: one request at a time over HTTPS keep-alive (${options.maxSockets} sockets); shoots in ${NAMESPACE}` +
      `${options.status ? ' with a reconciled status' : ''}; ${options.warmup} warm-up requests per series unrecorded; ` +
      `total ${report.durationSeconds} s; load average ${loadStart.toFixed(2)} before, ${report.loadAverage.end.toFixed(2)} after\n` +
      `targets (issue 2) are judged on p99; with ${options.listReps} lists per row, a list's p99 is its slowest\n\n`,
  );
  out.write(`${formatTable(report.rows)}\n`);
  if (options.stores.length > 1) out.write(`\n${formatComparison(report.rows, 'store', options.stores)}\n`);
  if (options.encryption.length > 1) {
    // off first: the ratio is what encryption costs ("off" < "on").
    out.write(`\n${formatComparison(report.rows, 'encryption', [...options.encryption].sort())}\n`);
  }
  out.write(profileText);
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${options.json}`);
  }
  const failed = report.rows.filter((r) => r.pass === false);
  if (failed.length > 0) log(`targets failed: ${failed.map((r) => `${r.operation} @${r.shoots}`).join(', ')}`);
  if (options.strict && failed.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
