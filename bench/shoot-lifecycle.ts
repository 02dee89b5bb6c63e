/**
 * Shoot control planes on one seed: how long a new shoot takes until its API serves, and what a
 * hosted shoot costs in resident memory (its kube-apiserver, in the seed's process, and its etcd,
 * a process of its own).
 *
 * Starts a landscape with one seed (`transplant up --detach`) in a fresh directory per mode and
 * creates shoots (clones of examples/30-shoot.yaml on seed-a) in the garden until each level of
 * hosted shoots is reached:
 * - `sequential`: one shoot at a time, each awaited until its API serves (latency);
 * - `burst`: each level's additional shoots all at once (throughput: time until all serve).
 * Per shoot it records, from the POST's 201: `status.lastOperation` Create Succeeded (a watch on
 * the garden's shoots), `GET /readyz` answering 200 at `status.advertisedAddresses[0].url`, and
 * `GET /api` answering 200 with an admin kubeconfig from `shoots/adminkubeconfig`. After each
 * level it reads the resident memory of the seed, the garden and every shoot etcd from /proc,
 * and at the end the duration of every flow step from the seed's debug log. The landscape is
 * torn down at the end, on errors, and on SIGINT/SIGTERM. See bench/README.md.
 *
 *   node dist/bench/shoot-lifecycle.js [--levels 1,10,30] [--mode both|sequential|burst]
 *     [--log-level debug] [--timeout 180] [--settle 5] [--poll 50] [--json out.json] [--keep] [--strict]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient, ApiError, tcpReachable } from './lib/client.js';
import { localSetup, type Obj, projectDev, shootFactory } from './lib/fixtures.js';
import { ascendingList, intFlag, parseBenchFlags } from './lib/flags.js';
import { type GardenConnection, parseKubeconfig } from './lib/garden-process.js';
import { Landscape, tearDownOnExit } from './lib/landscape.js';
import { benchStart, describeMachine, type MachineInfo, sourceRevision } from './lib/machine.js';
import { MiB, processCpuSeconds, processesNaming, processMemory } from './lib/proc.js';
import { type Summary, summarize } from './lib/stats.js';
import { markdownTable } from './lib/table.js';
import { type Watch, watchEvents } from './lib/watch.js';

const GROUP_PATH = '/apis/core.gardener.cloud/v1beta1';
const NAMESPACE = 'garden-dev';
const SHOOTS_NS = `${GROUP_PATH}/namespaces/${NAMESPACE}/shoots`;
const SEED = 'seed-a';

/** Issue 3's targets. */
const TARGETS = {
  /** A shoot serves its API at most this long after its creation (judged on p99). */
  apiReadyMs: 10_000,
  /** Resident memory a shoot's API server may cost: seed RSS growth per hosted shoot. */
  apiServerBytesPerShoot: 60 * MiB,
};

type Mode = 'sequential' | 'burst';

interface Options {
  levels: number[];
  modes: Mode[];
  logLevel: string;
  timeoutSeconds: number;
  settleSeconds: number;
  pollMs: number;
  json: string | undefined;
  keep: boolean;
  strict: boolean;
}

function usage(): string {
  return `usage: node dist/bench/shoot-lifecycle.js [options]

  --levels N,M,...   hosted shoot counts to measure at, ascending (default 1,10,30; env BENCH_LEVELS)
  --mode MODE        sequential (one shoot at a time, each awaited), burst (each level's additional
                     shoots at once) or both, each on a fresh landscape (default both; env BENCH_MODE)
  --log-level L      log level of the landscape (default debug: the seed logs each flow step, which
                     the step table is read from; anything else skips it)
  --timeout S        seconds a shoot may take to serve before it counts as failed (default 180)
  --settle S         seconds to wait after a level before reading memory (default 5)
  --poll MS          interval of the /readyz and /api probes (default 50)
  --json FILE        also write the report (machine, options, rows, every shoot's timeline) as JSON
  --keep             keep the landscape directories (logs, state) after stopping them
  --strict           exit 1 when a target fails
`;
}

function parseOptions(argv: string[]): Options {
  const values = parseBenchFlags(
    argv,
    {
      levels: { type: 'string' },
      mode: { type: 'string' },
      'log-level': { type: 'string' },
      timeout: { type: 'string' },
      settle: { type: 'string' },
      poll: { type: 'string' },
    },
    usage,
  );
  const env = process.env;
  const levels = ascendingList('--levels', values.levels ?? env.BENCH_LEVELS ?? '1,10,30');
  const mode = values.mode ?? env.BENCH_MODE ?? 'both';
  if (!['both', 'sequential', 'burst'].includes(mode)) throw new Error(`--mode must be both, sequential or burst`);
  return {
    levels,
    modes: mode === 'both' ? ['sequential', 'burst'] : [mode as Mode],
    logLevel: values['log-level'] ?? 'debug',
    timeoutSeconds: intFlag('--timeout', values.timeout, 180, 1),
    settleSeconds: intFlag('--settle', values.settle, 5),
    pollMs: intFlag('--poll', values.poll, 50, 1),
    json: values.json ?? (env.BENCH_JSON || undefined),
    keep: values.keep,
    strict: values.strict,
  };
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface LastOperation {
  type?: string;
  state?: string;
  progress?: number;
  description?: string;
}

/** One shoot's life as the benchmark saw it; all times are `Date.now()` (ms since the epoch). */
interface ShootRecord {
  name: string;
  mode: Mode;
  /** Shoots hosted (created before this batch) and the size of the batch it was created in. */
  hostedBefore: number;
  batch: number;
  postSentMs: number;
  /** The POST's 201 arrived: the shoot exists. Every latency counts from here. */
  createdMs?: number;
  url?: string;
  succeededMs?: number;
  readyzMs?: number;
  kubeconfigMs?: number;
  usableMs?: number;
  /** Refusals of shoots/adminkubeconfig (409 until the ShootState holds the client CA). */
  kubeconfigConflicts: number;
  /** Every distinct lastOperation the watch delivered, with its arrival time. */
  timeline: { atMs: number; operation: LastOperation }[];
  error?: string;
  /** From the seed's debug log. */
  flowStartMs?: number;
  flowEndMs?: number;
  flowRuns: number;
  steps: Record<string, { startOffsetMs: number; durationMs: number }>;
  stepErrors: string[];
}

interface LatencyRow {
  mode: Mode;
  /** Hosted shoots before → after the batch, or `all`. */
  shoots: string;
  batch: string;
  measured: string;
  summary: Summary;
  failed: number;
  targetMs?: number;
  pass?: boolean;
}

interface MemoryRow {
  mode: Mode;
  shoots: number;
  seedPid: number | undefined;
  seedRss: number;
  seedAnon: number;
  /** Seed RSS growth over the 0-shoot baseline, total and per hosted shoot. */
  seedGrowth: number;
  perShoot: number | undefined;
  /** Seed RSS growth over the previous level, per shoot added since. */
  marginal: number | undefined;
  etcds: number;
  /** etcd processes found by command line (a cross-check of the etcd.json pids). */
  etcdProcesses: number;
  etcdMean: number;
  etcdMax: number;
  etcdTotal: number;
  /** Mean private (anonymous) part of an etcd's RSS. */
  etcdAnonMean: number;
  /** Sum of the etcds' Pss: their real joint cost, the shared etcd binary counted once. */
  etcdPssTotal: number;
  gardenRss: number;
  /** CPU use while idle at this level (after the settle time's first 2 s), % of one core. */
  idleCpuPct: { seed: number; garden: number; etcds: number };
  pass?: boolean;
  note?: string;
}

interface PhaseRow {
  mode: Mode;
  phase: string;
  shoots: number;
  /** From the first POST to the last shoot serving (and Succeeded). */
  wallMs: number;
  seedCpu: number;
  gardenCpu: number;
  etcdCpu: number;
  benchCpu: number;
}

interface CpuSnapshot {
  seed: number;
  garden: number;
  etcd: Map<number, number>;
  bench: number;
}

interface PassResult {
  mode: Mode;
  dir: string;
  shoots: ShootRecord[];
  latency: LatencyRow[];
  memory: MemoryRow[];
  phases: PhaseRow[];
  /** Warnings and errors the seed logged (level ≥ 40), by message. */
  seedWarnings: Record<string, number>;
  notes: string[];
}

const adminKubeconfigRequest = {
  apiVersion: 'authentication.gardener.cloud/v1alpha1',
  kind: 'AdminKubeconfigRequest',
  spec: { expirationSeconds: 3600 },
};

/** One mode on its own landscape. */
class ShootPass {
  readonly mode: Mode;
  readonly shoots: ShootRecord[] = [];
  readonly latency: LatencyRow[] = [];
  readonly memory: MemoryRow[] = [];
  readonly phases: PhaseRow[] = [];
  readonly notes: string[] = [];
  readonly #landscape: Landscape;
  readonly #connection: GardenConnection;
  readonly #client: ApiClient;
  readonly #options: Options;
  readonly #newShoot = shootFactory();
  readonly #byName = new Map<string, ShootRecord>();
  readonly #succeeded = new Map<string, () => void>();
  #watch: Watch | undefined;
  #watchEnded = false;
  #baseline: MemoryRow | undefined;

  constructor(mode: Mode, landscape: Landscape, connection: GardenConnection, options: Options) {
    this.mode = mode;
    this.#landscape = landscape;
    this.#connection = connection;
    // Enough connections that a burst's adminkubeconfig requests do not queue in the client.
    this.#client = new ApiClient({ ...connection, maxSockets: 16 });
    this.#options = options;
  }

  /** The project (its namespace exists from the garden's start; applied anyway) and the shoot watch. */
  async setup(): Promise<void> {
    const project = projectDev();
    const created = await this.#client.raw('POST', `${GROUP_PATH}/projects`, { body: project });
    if (created.status === 409) {
      await this.#client.call('PATCH', `${GROUP_PATH}/projects/${project.metadata.name}`, {
        contentType: 'application/merge-patch+json',
        body: { spec: project.spec },
      });
    } else if (created.status !== 201) {
      throw new ApiError('POST', `${GROUP_PATH}/projects`, created.status, created.body.toString('utf8'));
    }
    const deadline = Date.now() + 30_000;
    while ((await this.#client.raw('GET', `/api/v1/namespaces/${NAMESPACE}`)).status !== 200) {
      if (Date.now() > deadline) throw new Error(`namespace ${NAMESPACE} did not appear`);
      await sleep(100);
    }
    for (const { path, body } of localSetup()) {
      const res = await this.#client.raw('POST', path, { body });
      if (res.status !== 201 && res.status !== 409) throw new Error(`POST ${path}: HTTP ${res.status}`);
    }
    this.#watch = watchEvents<Obj>(this.#connection, `${SHOOTS_NS}?timeoutSeconds=7200`, (event, at) =>
      this.#onEvent(event.object, at),
    );
    void this.#watch.ended.then(() => {
      this.#watchEnded = true;
    });
    await this.#watch.started;
  }

  close(): void {
    this.#watch?.stop();
    this.#client.close();
  }

  #onEvent(shoot: Obj, at: number): void {
    const rec = this.#byName.get(shoot.metadata?.name);
    if (!rec) return;
    const status = (shoot.status ?? {}) as {
      advertisedAddresses?: { url?: string }[];
      lastOperation?: LastOperation;
    };
    const url = status.advertisedAddresses?.[0]?.url;
    if (url && !rec.url) rec.url = url;
    const op = status.lastOperation;
    if (!op) return;
    const last = rec.timeline.at(-1)?.operation;
    if (
      !last ||
      last.type !== op.type ||
      last.state !== op.state ||
      last.progress !== op.progress ||
      last.description !== op.description
    ) {
      rec.timeline.push({
        atMs: at,
        operation: { type: op.type, state: op.state, progress: op.progress, description: op.description },
      });
    }
    if (op.type === 'Create' && op.state === 'Succeeded' && rec.succeededMs === undefined) {
      rec.succeededMs = at;
      this.#succeeded.get(rec.name)?.();
    }
  }

  get hosted(): number {
    return this.shoots.length;
  }

  /** Creates shoots until `level` are hosted: one at a time (sequential) or all at once (burst). */
  async grow(level: number): Promise<void> {
    const from = this.hosted;
    const count = level - from;
    if (count <= 0) return;
    const names = Array.from({ length: count }, (_, i) => `bench-${String(from + i + 1).padStart(3, '0')}`);
    const phase = this.mode === 'sequential' ? `${from}→${level}, one at a time` : `${from}→${level}, ${count} at once`;
    log(`${this.mode}: ${phase} …`);
    const before = this.#cpuSnapshot();
    const started = Date.now();
    const batch: ShootRecord[] = [];
    const one = async (name: string) => {
      const rec = await this.#create(name, from, this.mode === 'sequential' ? 1 : count);
      batch.push(rec);
      await this.#awaitShoot(rec);
    };
    if (this.mode === 'sequential') {
      for (const name of names) {
        await one(name);
        const rec = batch.at(-1)!;
        log(
          `  ${name}: Succeeded ${seconds(since(rec, rec.succeededMs))}, /readyz ${seconds(since(rec, rec.readyzMs))}, ` +
            `admin GET /api ${seconds(since(rec, rec.usableMs))}${rec.error ? ` — ${rec.error}` : ''}`,
        );
      }
    } else {
      await Promise.all(names.map(one));
    }
    const ended = Math.max(
      ...batch.map((r) => Math.max(r.usableMs ?? Date.now(), r.succeededMs ?? Date.now(), r.readyzMs ?? 0)),
    );
    const after = this.#cpuSnapshot();
    const cpu = cpuBetween(before, after);
    this.phases.push({ mode: this.mode, phase, shoots: count, wallMs: ended - started, ...cpu });
    log(
      `${this.mode}: ${phase}: all serve after ${seconds(ended - started)}` +
        `${batch.some((r) => r.error) ? `, ${batch.filter((r) => r.error).length} failed` : ''}`,
    );
    const label = this.mode === 'sequential' ? 'one at a time' : `${count} at once`;
    this.#addLatencyRows(`${from}→${level}`, label, batch);
  }

  /** The latency rows of every shoot of this mode; the targets are judged on these. */
  addOverallRows(): void {
    const label = this.mode === 'sequential' ? 'one at a time' : 'bursts';
    this.#addLatencyRows(`all (${this.hosted})`, label, this.shoots);
  }

  #addLatencyRows(shoots: string, batch: string, recs: readonly ShootRecord[]): void {
    const series = (measured: string, pick: (r: ShootRecord) => number | undefined, targetMs?: number): LatencyRow => {
      const values = recs.map(pick);
      const failed = values.filter((v) => v === undefined).length;
      const summary = summarize(values.map((v) => v ?? Number.POSITIVE_INFINITY));
      const row: LatencyRow = { mode: this.mode, shoots, batch, measured, summary, failed };
      if (targetMs !== undefined) {
        row.targetMs = targetMs;
        row.pass = summary.p99 <= targetMs;
      }
      return row;
    };
    this.latency.push(
      series('POST → 201 (garden)', (r) => (r.createdMs === undefined ? undefined : r.createdMs - r.postSentMs)),
      series('201 → Create Succeeded', (r) => since(r, r.succeededMs)),
      series('201 → GET /readyz 200', (r) => since(r, r.readyzMs), TARGETS.apiReadyMs),
      series('201 → admin GET /api 200', (r) => since(r, r.usableMs), TARGETS.apiReadyMs),
    );
  }

  async #create(name: string, hostedBefore: number, batch: number): Promise<ShootRecord> {
    const rec: ShootRecord = {
      name,
      mode: this.mode,
      hostedBefore,
      batch,
      postSentMs: Date.now(),
      kubeconfigConflicts: 0,
      timeline: [],
      flowRuns: 0,
      steps: {},
      stepErrors: [],
    };
    // Registered before the POST: the watch may deliver the shoot before the 201 arrives.
    this.#byName.set(name, rec);
    this.shoots.push(rec);
    await this.#client.call('POST', SHOOTS_NS, { body: this.#newShoot(name, SEED) });
    rec.createdMs = Date.now();
    return rec;
  }

  /** Waits until the shoot's API serves (/readyz, then /api with an admin kubeconfig) and it is Create Succeeded. */
  async #awaitShoot(rec: ShootRecord): Promise<void> {
    const deadline = (rec.createdMs ?? rec.postSentMs) + this.#options.timeoutSeconds * 1000;
    const poll = this.#options.pollMs;
    const check = (what: string) => {
      if (Date.now() <= deadline) return;
      const op = rec.timeline.at(-1)?.operation;
      throw new Error(
        `${what} after ${this.#options.timeoutSeconds} s; lastOperation: ${op ? `${op.type} ${op.state} ${op.progress}% ${op.description}` : 'none'}`,
      );
    };
    const succeeded = new Promise<void>((resolve) => {
      if (rec.succeededMs !== undefined) resolve();
      this.#succeeded.set(rec.name, resolve);
    });
    try {
      while (!rec.url) {
        check('no advertised address');
        if (this.#watchEnded) await this.#refresh(rec);
        await sleep(poll);
      }
      // Unauthenticated, without verifying the certificate: the shoot's CA is not known yet.
      const probe = new ApiClient({ server: rec.url, insecure: true, maxSockets: 1 });
      try {
        for (;;) {
          // A TCP connect first: until the server listens, a TLS attempt per probe would cost the
          // benchmark (and so the machine) far more CPU.
          const listening = await tcpReachable(rec.url, 1000);
          const res = listening
            ? await probe.raw('GET', '/readyz', { timeoutMs: 5000 }).catch(() => undefined)
            : undefined;
          if (res?.status === 200) {
            rec.readyzMs = Date.now();
            break;
          }
          check('/readyz did not answer 200');
          await sleep(poll);
        }
      } finally {
        probe.close();
      }
      // The admin kubeconfig: Conflict until the ShootState holds the shoot's client CA.
      let kubeconfig: string | undefined;
      for (;;) {
        const res = await this.#client.raw('POST', `${SHOOTS_NS}/${rec.name}/adminkubeconfig`, {
          body: adminKubeconfigRequest,
        });
        if (res.status === 201 || res.status === 200) {
          const answer = JSON.parse(res.body.toString('utf8')) as { status: { kubeconfig: string } };
          kubeconfig = Buffer.from(answer.status.kubeconfig, 'base64').toString('utf8');
          break;
        }
        if (res.status !== 409) {
          throw new ApiError('POST', `shoots/${rec.name}/adminkubeconfig`, res.status, res.body.toString('utf8'));
        }
        rec.kubeconfigConflicts++;
        check('shoots/adminkubeconfig still answers Conflict');
        await sleep(Math.max(poll, 100));
      }
      rec.kubeconfigMs = Date.now();
      const credentials = parseKubeconfig(kubeconfig);
      if (!credentials?.caPem || !credentials.certPem || !credentials.keyPem) {
        throw new Error('the admin kubeconfig has no CA or client certificate');
      }
      if (new URL(credentials.server).origin !== new URL(rec.url).origin) {
        this.notes.push(`${rec.name}: admin kubeconfig points at ${credentials.server}, the status at ${rec.url}`);
      }
      const admin = new ApiClient({ ...credentials, token: undefined, maxSockets: 1 });
      try {
        let lastError = '';
        for (;;) {
          const res = await admin.raw('GET', '/api', { timeoutMs: 5000 }).catch((err: Error) => {
            lastError = err.message;
            return undefined;
          });
          if (res?.status === 200) {
            const kind = (JSON.parse(res.body.toString('utf8')) as { kind?: string }).kind;
            if (kind !== 'APIVersions') throw new Error(`GET /api answered a ${kind}, not APIVersions`);
            rec.usableMs = Date.now();
            break;
          }
          if (res) lastError = `HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`;
          check(`admin GET /api failed (${lastError})`);
          await sleep(poll);
        }
      } finally {
        admin.close();
      }
      while (rec.succeededMs === undefined) {
        check('lastOperation is not Create Succeeded');
        if (this.#watchEnded) {
          await this.#refresh(rec);
          await sleep(250);
        } else {
          await Promise.race([succeeded, sleep(1000)]);
        }
      }
    } catch (err) {
      rec.error = (err as Error).message;
      log(`  ${rec.name}: ${rec.error}`);
    } finally {
      this.#succeeded.delete(rec.name);
    }
  }

  /** Without the watch (it ended): the shoot from a GET. */
  async #refresh(rec: ShootRecord): Promise<void> {
    const res = await this.#client.raw('GET', `${SHOOTS_NS}/${rec.name}`);
    if (res.status === 200) this.#onEvent(JSON.parse(res.body.toString('utf8')) as Obj, Date.now());
  }

  #pids(): { seed: number | undefined; garden: number | undefined } {
    const file = this.#landscape.file();
    return { seed: file.seeds[SEED]?.pid, garden: file.garden.pid };
  }

  /** Every shoot etcd's pid, from `<seedDir>/controlplanes/<ns>/etcd-main/etcd.json`. */
  #etcdPids(): number[] {
    const root = join(this.#landscape.seedStateDir(SEED), 'controlplanes');
    let namespaces: string[];
    try {
      namespaces = readdirSync(root);
    } catch {
      return [];
    }
    const pids: number[] = [];
    for (const ns of namespaces) {
      try {
        const state = JSON.parse(readFileSync(join(root, ns, 'etcd-main', 'etcd.json'), 'utf8')) as { pid?: number };
        if (typeof state.pid === 'number') pids.push(state.pid);
      } catch {
        // not started yet, or being removed
      }
    }
    return pids;
  }

  #cpuSnapshot(): CpuSnapshot {
    const { seed, garden } = this.#pids();
    const usage = process.cpuUsage();
    return {
      seed: (seed && processCpuSeconds(seed)) || 0,
      garden: (garden && processCpuSeconds(garden)) || 0,
      etcd: new Map(
        processesNaming('etcd', this.#landscape.dir).map((pid) => [pid, processCpuSeconds(pid) ?? 0] as const),
      ),
      bench: (usage.user + usage.system) / 1e6,
    };
  }

  /** After `settle` seconds, three samples a second apart (the median by RSS is kept). */
  async measureMemory(level: number): Promise<MemoryRow> {
    // Idle CPU is measured over the rest of the settle time and the samples, after the flows' tail.
    const settleMs = this.#options.settleSeconds * 1000;
    await sleep(Math.min(2000, settleMs));
    const idleFrom = this.#cpuSnapshot();
    const idleFromMs = Date.now();
    await sleep(settleMs - Math.min(2000, settleMs));
    const samples: { seed: ReturnType<typeof processMemory>; garden: ReturnType<typeof processMemory> }[] = [];
    let seedPid: number | undefined;
    for (let i = 0; i < 3; i++) {
      if (i > 0) await sleep(1000);
      const pids = this.#pids();
      seedPid = pids.seed;
      samples.push({
        seed: pids.seed ? processMemory(pids.seed) : undefined,
        garden: pids.garden ? processMemory(pids.garden) : undefined,
      });
    }
    const median = <T>(values: T[], key: (v: T) => number): T =>
      [...values].sort((a, b) => key(a) - key(b))[Math.floor(values.length / 2)]!;
    const seed = median(samples, (s) => s.seed?.rss ?? 0).seed;
    const garden = median(samples, (s) => s.garden?.rss ?? 0).garden;
    const idle = cpuBetween(idleFrom, this.#cpuSnapshot());
    const idleMs = Date.now() - idleFromMs;
    const etcd = this.#etcdPids()
      .map((pid) => processMemory(pid))
      .filter((m) => m !== undefined);
    const etcdTotal = etcd.reduce((a, m) => a + m.rss, 0);
    const previous = this.memory.at(-1);
    const row: MemoryRow = {
      mode: this.mode,
      shoots: level,
      seedPid,
      seedRss: seed?.rss ?? 0,
      seedAnon: seed?.anon ?? 0,
      seedGrowth: 0,
      perShoot: undefined,
      marginal: undefined,
      etcds: etcd.length,
      etcdProcesses: processesNaming('etcd', this.#landscape.dir).length,
      etcdMean: etcd.length > 0 ? etcdTotal / etcd.length : 0,
      etcdMax: Math.max(0, ...etcd.map((m) => m.rss)),
      etcdTotal,
      etcdAnonMean: etcd.length > 0 ? etcd.reduce((a, m) => a + m.anon, 0) / etcd.length : 0,
      etcdPssTotal: etcd.reduce((a, m) => a + (m.pss ?? m.rss), 0),
      gardenRss: garden?.rss ?? 0,
      idleCpuPct: {
        seed: (100 * idle.seedCpu * 1000) / idleMs,
        garden: (100 * idle.gardenCpu * 1000) / idleMs,
        etcds: (100 * idle.etcdCpu * 1000) / idleMs,
      },
    };
    if (level === 0) {
      this.#baseline = row;
    } else if (this.#baseline) {
      row.seedGrowth = row.seedRss - this.#baseline.seedRss;
      row.perShoot = row.seedGrowth / level;
      row.pass = row.perShoot <= TARGETS.apiServerBytesPerShoot;
      if (previous && previous.shoots < level)
        row.marginal = (row.seedRss - previous.seedRss) / (level - previous.shoots);
      if (row.seedPid !== this.#baseline.seedPid) {
        row.note = `the seed restarted (pid ${this.#baseline.seedPid} → ${row.seedPid}): growth is not comparable`;
        this.notes.push(`${this.mode} @${level}: ${row.note}`);
      }
    }
    if (row.etcds !== level) this.notes.push(`${this.mode} @${level}: ${row.etcds} etcd pids for ${level} shoots`);
    this.memory.push(row);
    log(
      `${this.mode} @${level} shoots: seed ${mib(row.seedRss)} MiB` +
        `${row.perShoot !== undefined ? ` (+${mib(row.perShoot)} MiB/shoot)` : ''}, ` +
        `etcd mean ${mib(row.etcdMean)} MiB ×${row.etcds}, garden ${mib(row.gardenRss)} MiB`,
    );
    return row;
  }

  /** Flow runs and step durations from the seed's debug log; the seed's warnings by message. */
  readSeedLog(): Record<string, number> {
    const warnings: Record<string, number> = {};
    let text: string;
    try {
      text = readFileSync(this.#landscape.seedLog(SEED), 'utf8');
    } catch {
      return warnings;
    }
    const starts = new Map<string, Record<string, number>>();
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      let entry: {
        level?: number;
        time?: number;
        msg?: string;
        shoot?: string;
        operation?: string;
        task?: string;
        durationMs?: number;
        error?: string;
        err?: string;
      };
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      if ((entry.level ?? 0) >= 40) {
        const key = `${entry.msg ?? ''}${entry.err ? `: ${String(entry.err).slice(0, 120)}` : ''}`;
        warnings[key] = (warnings[key] ?? 0) + 1;
      }
      if (entry.operation !== 'Create' || !entry.shoot?.startsWith(`${NAMESPACE}/`) || entry.time === undefined)
        continue;
      const rec = this.#byName.get(entry.shoot.slice(NAMESPACE.length + 1));
      if (!rec) continue;
      if (!entry.task) {
        if (entry.msg === 'Starting') {
          rec.flowRuns++;
          rec.flowStartMs ??= entry.time;
        } else if (entry.msg === 'Succeeded') {
          rec.flowEndMs = entry.time;
        }
        continue;
      }
      const taskStarts = starts.get(rec.name) ?? {};
      starts.set(rec.name, taskStarts);
      if (entry.msg === 'Started') {
        taskStarts[entry.task] = entry.time;
      } else if (entry.msg === 'Succeeded') {
        const startedAt = taskStarts[entry.task] ?? entry.time - (entry.durationMs ?? 0);
        rec.steps[entry.task] = {
          startOffsetMs: startedAt - (rec.flowStartMs ?? startedAt),
          durationMs: entry.durationMs ?? entry.time - startedAt,
        };
      } else if (entry.msg === 'Error') {
        rec.stepErrors.push(`${entry.task}: ${entry.error ?? ''}`);
      }
    }
    return warnings;
  }
}

function since(rec: ShootRecord, at: number | undefined): number | undefined {
  return at === undefined || rec.createdMs === undefined ? undefined : at - rec.createdMs;
}

function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): Omit<PhaseRow, 'mode' | 'phase' | 'shoots' | 'wallMs'> {
  let etcd = 0;
  for (const [pid, cpu] of b.etcd) etcd += cpu - (a.etcd.get(pid) ?? 0);
  return { seedCpu: b.seed - a.seed, gardenCpu: b.garden - a.garden, etcdCpu: etcd, benchCpu: b.bench - a.bench };
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

/** Seconds with two decimals; '-' for a missing (failed) value. */
function seconds(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`;
}

const secs = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-');

function latencyTable(rows: readonly LatencyRow[]): string {
  const header = ['mode', 'shoots', 'batch', 'measured', 'n', 'failed', 'p50 s', 'p90 s', 'p99 s', 'max s', 'mean s'];
  header.push('target', 'result');
  const body = rows.map((r) => [
    r.mode,
    r.shoots,
    r.batch,
    r.measured,
    String(r.summary.count),
    String(r.failed),
    secs(r.summary.p50),
    secs(r.summary.p90),
    secs(r.summary.p99),
    secs(r.summary.max),
    secs(r.summary.mean),
    r.targetMs !== undefined ? `p99 ≤ ${r.targetMs / 1000} s` : '',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
  ]);
  return markdownTable(header, body, [4, 5, 6, 7, 8, 9, 10]);
}

function memoryTable(rows: readonly MemoryRow[]): string {
  const header = [
    'mode',
    'shoots',
    'seed RSS',
    'seed anon',
    'seed growth',
    'growth / shoot',
    'marginal / shoot',
    'target',
    'result',
    'etcds',
    'etcd RSS mean',
    'etcd RSS max',
    'etcd anon mean',
    'etcds RSS sum',
    'etcds PSS sum',
    'garden RSS',
  ];
  const body = rows.map((r) => [
    r.mode,
    String(r.shoots),
    mib(r.seedRss),
    mib(r.seedAnon),
    r.shoots === 0 ? '' : mib(r.seedGrowth),
    r.perShoot === undefined ? '' : mib(r.perShoot),
    r.marginal === undefined ? '' : mib(r.marginal),
    r.pass === undefined ? '' : `≤ ${TARGETS.apiServerBytesPerShoot / MiB} / shoot`,
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
    String(r.etcds),
    r.etcds ? mib(r.etcdMean) : '',
    r.etcds ? mib(r.etcdMax) : '',
    r.etcds ? mib(r.etcdAnonMean) : '',
    r.etcds ? mib(r.etcdTotal) : '',
    r.etcds ? mib(r.etcdPssTotal) : '',
    mib(r.gardenRss),
  ]);
  return markdownTable(header, body, [1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15]);
}

function idleTable(rows: readonly MemoryRow[]): string {
  const header = ['mode', 'shoots', 'seed CPU %', 'etcds CPU %', 'per etcd CPU %', 'garden CPU %'];
  const body = rows.map((r) => [
    r.mode,
    String(r.shoots),
    r.idleCpuPct.seed.toFixed(1),
    r.etcds ? r.idleCpuPct.etcds.toFixed(1) : '',
    r.etcds ? (r.idleCpuPct.etcds / r.etcds).toFixed(2) : '',
    r.idleCpuPct.garden.toFixed(1),
  ]);
  return markdownTable(header, body, [1, 2, 3, 4, 5]);
}

function phaseTable(rows: readonly PhaseRow[], nproc: number): string {
  const header = [
    'mode',
    'created',
    'first POST → all serve s',
    'shoots / min',
    'seed CPU s',
    'garden CPU s',
    'etcds CPU s',
    'bench CPU s',
    `CPU busy (${nproc} cores)`,
  ];
  const body = rows.map((r) => {
    const total = r.seedCpu + r.gardenCpu + r.etcdCpu + r.benchCpu;
    return [
      r.mode,
      r.phase,
      secs(r.wallMs),
      ((r.shoots * 60_000) / r.wallMs).toFixed(1),
      r.seedCpu.toFixed(2),
      r.gardenCpu.toFixed(2),
      r.etcdCpu.toFixed(2),
      r.benchCpu.toFixed(2),
      `${((100 * total * 1000) / (r.wallMs * nproc)).toFixed(0)} %`,
    ];
  });
  return markdownTable(header, body, [2, 3, 4, 5, 6, 7, 8]);
}

/** Step groups: one at a time, and each burst size. */
function stepGroups(shoots: readonly ShootRecord[]): { label: string; shoots: ShootRecord[] }[] {
  const groups = new Map<string, ShootRecord[]>();
  for (const s of shoots) {
    if (s.flowStartMs === undefined) continue;
    const label = s.mode === 'sequential' ? 'one at a time' : `${s.batch} at once`;
    groups.set(label, [...(groups.get(label) ?? []), s]);
  }
  return [...groups.entries()].map(([label, list]) => ({ label, shoots: list }));
}

function stepTable(shoots: readonly ShootRecord[]): string | undefined {
  const groups = stepGroups(shoots);
  if (groups.length === 0) return undefined;
  // Steps in the order they start (median offset from the flow's start over all shoots).
  const offsets = new Map<string, number[]>();
  for (const s of shoots) {
    for (const [step, v] of Object.entries(s.steps)) offsets.set(step, [...(offsets.get(step) ?? []), v.startOffsetMs]);
  }
  const steps = [...offsets.entries()].sort((a, b) => summarize(a[1]).p50 - summarize(b[1]).p50).map(([s]) => s);
  const measures: { name: string; pick: (s: ShootRecord) => number | undefined }[] = [
    {
      name: '201 → flow started (gardenlet picked the shoot up)',
      pick: (s) => (s.flowStartMs === undefined ? undefined : s.flowStartMs - s.createdMs!),
    },
    ...steps.map((step) => ({ name: step, pick: (s: ShootRecord) => s.steps[step]?.durationMs })),
    {
      name: 'whole flow (Starting → Succeeded)',
      pick: (s) => (s.flowEndMs === undefined || s.flowStartMs === undefined ? undefined : s.flowEndMs - s.flowStartMs),
    },
    {
      name: 'flow end → Create Succeeded in the watch',
      pick: (s) => (s.flowEndMs === undefined || s.succeededMs === undefined ? undefined : s.succeededMs - s.flowEndMs),
    },
    { name: '201 → GET /readyz 200', pick: (s) => since(s, s.readyzMs) },
    { name: '201 → admin GET /api 200', pick: (s) => since(s, s.usableMs) },
  ];
  const header = ['step (ms)'];
  for (const g of groups) header.push(`${g.label} p50`, `${g.label} max`);
  const body = measures.map((m) => {
    const cells = [m.name];
    for (const g of groups) {
      const values = g.shoots.map(m.pick).filter((v): v is number => v !== undefined);
      const s = summarize(values);
      cells.push(values.length ? s.p50.toFixed(0) : '', values.length ? s.max.toFixed(0) : '');
    }
    return cells;
  });
  return markdownTable(
    header,
    body,
    header.map((_, i) => i).filter((i) => i > 0),
  );
}

/** The landscape being measured, for the signal and exit handlers. */
let active: Landscape | undefined;

async function runPass(mode: Mode, options: Options): Promise<PassResult> {
  const landscape = Landscape.create({ seeds: [SEED], prefix: `transplant-bench-${mode}-`, keepDir: options.keep });
  active = landscape;
  log(`${mode}: transplant up --dir ${landscape.dir} --seeds ${SEED} --log-level ${options.logLevel}`);
  let pass: ShootPass | undefined;
  const notes: string[] = [];
  try {
    const upStarted = Date.now();
    await landscape.up({ seeds: [SEED], logLevel: options.logLevel });
    const file = landscape.file();
    log(
      `${mode}: landscape ready in ${seconds(Date.now() - upStarted)}: garden pid ${file.garden.pid}, ` +
        `${SEED} pid ${file.seeds[SEED]?.pid}`,
    );
    pass = new ShootPass(mode, landscape, await landscape.gardenConnection(), options);
    await pass.setup();
    await pass.measureMemory(0);
    for (const level of options.levels) {
      await pass.grow(level);
      await pass.measureMemory(level);
    }
    pass.addOverallRows();
    const seedWarnings = pass.readSeedLog();
    return {
      mode,
      dir: landscape.dir,
      shoots: pass.shoots,
      latency: pass.latency,
      memory: pass.memory,
      phases: pass.phases,
      seedWarnings,
      notes: [...pass.notes, ...notes],
    };
  } finally {
    pass?.close();
    const stopping = Date.now();
    const downNotes = await landscape.down();
    for (const note of downNotes) log(`${mode}: ${note}`);
    notes.push(...downNotes);
    log(`${mode}: landscape down in ${seconds(Date.now() - stopping)}${options.keep ? `, kept ${landscape.dir}` : ''}`);
    active = undefined;
  }
}

interface Report {
  date: string;
  revision: string;
  machine: MachineInfo;
  options: Options;
  durationSeconds: number;
  loadAverage: { start: number; end: number };
  passes: PassResult[];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { machine, started, loadStart } = benchStart(log);
  tearDownOnExit(() => active, log);

  const passes: PassResult[] = [];
  for (const mode of options.modes) passes.push(await runPass(mode, options));

  const report: Report = {
    date: new Date().toISOString(),
    revision: sourceRevision(fileURLToPath(new URL('../..', import.meta.url))),
    machine,
    options,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    loadAverage: { start: loadStart, end: loadavg()[0]! },
    passes,
  };

  const out = process.stdout;
  out.write(`\nTransplant shoot control planes on one seed — ${report.date}, source ${report.revision}\n`);
  out.write(`machine: ${describeMachine(machine)}\n`);
  out.write(
    `levels ${options.levels.join(', ')}; modes ${options.modes.join(', ')}; probes every ${options.pollMs} ms; ` +
      `total ${report.durationSeconds} s; load average ${loadStart.toFixed(2)} before, ${report.loadAverage.end.toFixed(2)} after\n`,
  );
  out.write(`\nTime from the POST's 201 (targets judged on p99; a failed shoot counts as infinitely slow):\n\n`);
  out.write(`${latencyTable(passes.flatMap((p) => p.latency))}\n`);
  out.write(`\nCreate phases (CPU from /proc/<pid>/stat, between the first POST and the last shoot serving):\n\n`);
  out.write(
    `${phaseTable(
      passes.flatMap((p) => p.phases),
      machine.nproc,
    )}\n`,
  );
  out.write(
    `\nResident memory in MiB after each level (${options.settleSeconds} s settle; seed and garden: median of 3 samples; ` +
      `growth is over the same seed process at 0 shoots, marginal over the previous level; the shoot API servers ` +
      `run inside the seed; etcd pids from etcd.json):\n\n`,
  );
  out.write(`${memoryTable(passes.flatMap((p) => p.memory))}\n`);
  out.write(
    `\nIdle CPU after each level, % of one core (over the last ${Math.max(0, options.settleSeconds - 2) + 2} s of the settle ` +
      `time and the samples):\n\n`,
  );
  out.write(`${idleTable(passes.flatMap((p) => p.memory))}\n`);
  const steps = stepTable(passes.flatMap((p) => p.shoots));
  if (steps) {
    out.write(
      `\nCreate flow steps from the seed's debug log (ms; a step's duration includes waiting for the CPU):\n\n`,
    );
    out.write(`${steps}\n`);
  } else {
    out.write(`\n(no flow steps: the seed logs them at --log-level debug)\n`);
  }
  for (const p of passes) {
    const retried = p.shoots.filter((s) => s.flowRuns > 1 || s.stepErrors.length > 0);
    if (retried.length > 0) {
      out.write(`\n${p.mode}: ${retried.length} shoot(s) needed more than one flow run:\n`);
      for (const s of retried.slice(0, 10)) out.write(`  ${s.name}: ${s.flowRuns} runs; ${s.stepErrors.join('; ')}\n`);
    }
    const warnings = Object.entries(p.seedWarnings);
    if (warnings.length > 0) {
      out.write(`\n${p.mode}: the seed logged warnings/errors:\n`);
      for (const [msg, n] of warnings.sort((a, b) => b[1] - a[1]).slice(0, 10)) out.write(`  ${n}× ${msg}\n`);
    }
    for (const note of p.notes) out.write(`${p.mode}: ${note}\n`);
  }
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${options.json}`);
  }
  const failedLatency = passes.flatMap((p) => p.latency).filter((r) => r.pass === false);
  const failedMemory = passes.flatMap((p) => p.memory).filter((r) => r.pass === false);
  const failures = [
    ...failedLatency.map((r) => `${r.mode} ${r.shoots} ${r.measured}`),
    ...failedMemory.map((r) => `${r.mode} memory @${r.shoots}`),
  ];
  out.write(`\n${failures.length === 0 ? 'every target passes' : `targets failed: ${failures.join(', ')}`}\n`);
  if (options.strict && failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
