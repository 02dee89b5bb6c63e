/**
 * Latency of a shoot's API server holding what clusters hold: about 10k mixed objects (Pods,
 * Deployments and the ReplicaSets and Pods their controller makes, Services, ConfigMaps, Secrets,
 * custom resources) next to the same operations on the same shoot while it was empty, as ratios.
 *
 * A landscape (`transplant up`, seeds seed-a and seed-b) with the example shoot; one client over
 * HTTPS with the admin kubeconfig's certificate, one request at a time over keep-alive
 * connections. Per phase (empty, then filled): get, create and status patch of Pods (what a
 * kubelet does), server-side apply of a Deployment (what GitOps tools do), get/create/list of
 * custom resources, and lists of one namespace's Pods (JSON) and of every Pod as kubectl asks
 * (`kubectl get pods -A`: Tables, 500 per page). See bench/README.md.
 *
 *   node dist/bench/shoot-api-latency.js [--objects 10000] [--samples 500] [--list-reps 20]
 *     [--json out.json] [--keep]
 */
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type ShootOnLandscape, startShootOnLandscape } from '../test/helpers/migration.js';
import {
  controllersSettled,
  countMixed,
  createMixed,
  installWidgetCrd,
  mixOf,
  UNSCHEDULED,
  WIDGET_GROUP,
} from '../test/helpers/mixed-objects.js';
import { ApiClient } from './lib/client.js';
import { intFlag, parseBenchFlags } from './lib/flags.js';
import { parseKubeconfig } from './lib/garden-process.js';
import { describeMachine, machineInfo, sourceRevision } from './lib/machine.js';
import { formatMs, type Summary, summarize } from './lib/stats.js';
import { markdownTable } from './lib/table.js';

/** Each phase measures in a namespace of its own (`probe-empty`, `probe-filled`), so its lists see the same number of objects. */
const probeNamespace = (phase: Phase) => `probe-${phase}`;
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const KUBECTL_CHUNK = 500;
const APPLY = 'application/apply-patch+yaml';

interface Options {
  objects: number;
  samples: number;
  listReps: number;
  json: string | undefined;
  keep: boolean;
}

function usage(): string {
  return `usage: node dist/bench/shoot-api-latency.js [options]
  --objects N     objects to fill the shoot with, in a busy cluster's mix (default 10000)
  --samples N     requests per single-object operation and phase (default 500)
  --list-reps N   repetitions of each list per phase (default 20)
  --json FILE     write the results as JSON
  --keep          keep the landscape's directory
`;
}

function parseOptions(argv: string[]): Options {
  const values = parseBenchFlags(
    argv,
    {
      objects: { type: 'string' },
      samples: { type: 'string' },
      'list-reps': { type: 'string' },
      json: { type: 'string' },
      keep: { type: 'boolean' },
    },
    usage,
  );
  return {
    objects: intFlag('--objects', values.objects, 10_000, 10),
    samples: intFlag('--samples', values.samples, 500, 1),
    listReps: intFlag('--list-reps', values['list-reps'], 20, 1),
    json: values.json,
    keep: values.keep ?? false,
  };
}

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** One operation's samples per phase. */
type Phase = 'empty' | 'filled';
type Results = Map<string, Partial<Record<Phase, Summary>>>;

async function ok(client: ApiClient, method: string, path: string, options = {}): Promise<number> {
  const res = await client.raw(method, path, options);
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.body.toString().slice(0, 300)}`);
  return res.ms;
}

async function sample(count: number, fn: (i: number) => Promise<number>): Promise<Summary> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) ms.push(await fn(i));
  return summarize(ms);
}

/** `kubectl get pods -A`: Table pages of 500 until the last; the time of all pages. */
async function tableListAll(client: ApiClient, path: string): Promise<number> {
  let total = 0;
  let token = '';
  do {
    const query = `limit=${KUBECTL_CHUNK}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
    const res = await client.raw('GET', `${path}?${query}`, { accept: TABLE_ACCEPT });
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
    total += res.ms;
    token = (JSON.parse(res.body.toString()) as { metadata?: { continue?: string } }).metadata?.continue ?? '';
  } while (token);
  return total;
}

const probePod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'probe' } },
  spec: { schedulerName: UNSCHEDULED, containers: [{ name: 'app', image: 'registry.example/probe:1' }] },
});

const probeDeployment = (namespace: string, image: string) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'applied', namespace },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'applied' } },
      template: {
        metadata: { labels: { app: 'applied' } },
        spec: { schedulerName: UNSCHEDULED, containers: [{ name: 'app', image }] },
      },
    },
  });

/** Every measured operation, on the probe namespace's objects (the filled phase adds the others around them). */
async function measurePhase(
  client: ApiClient,
  phase: Phase,
  results: Results,
  options: Options,
  customResources: boolean,
): Promise<void> {
  const record = (operation: string, summary: Summary) => {
    results.set(operation, { ...results.get(operation), [phase]: summary });
    log(`${phase}: ${operation}: p50 ${formatMs(summary.p50)} ms, p99 ${formatMs(summary.p99)} ms`);
  };
  const probe = probeNamespace(phase);
  await ok(client, 'POST', '/api/v1/namespaces', { body: { metadata: { name: probe } } });
  const pods = `/api/v1/namespaces/${probe}/pods`;
  const n = options.samples;
  record('create pod', await sample(n, (i) => ok(client, 'POST', pods, { body: probePod(`${phase}-${i}`) })));
  record('get pod', await sample(n, (i) => ok(client, 'GET', `${pods}/${phase}-${i % n}`)));
  record(
    'patch pod status (kubelet)',
    await sample(n, (i) =>
      ok(client, 'PATCH', `${pods}/${phase}-${i % n}/status`, {
        contentType: 'application/merge-patch+json',
        body: {
          status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: `r${i}` }] },
        },
      }),
    ),
  );
  record(
    'server-side apply deployment',
    await sample(n, (i) =>
      ok(client, 'PATCH', `/apis/apps/v1/namespaces/${probe}/deployments/applied?fieldManager=bench&force=true`, {
        contentType: APPLY,
        body: probeDeployment(probe, `registry.example/app:${i % 2}`),
      }),
    ),
  );
  record(`list pods, one namespace of ${n} (JSON)`, await sample(options.listReps, () => ok(client, 'GET', pods)));
  record(
    'list pods, all namespaces (kubectl get pods -A)',
    await sample(options.listReps, () => tableListAll(client, '/api/v1/pods')),
  );
  if (!customResources) return;
  const widgets = `/apis/${WIDGET_GROUP}/v1/namespaces/${probe}/widgets`;
  record(
    'create custom resource',
    await sample(n, (i) =>
      ok(client, 'POST', widgets, {
        body: {
          apiVersion: `${WIDGET_GROUP}/v1`,
          kind: 'Widget',
          metadata: { name: `${phase}-${i}` },
          spec: { size: 3 },
        },
      }),
    ),
  );
  record('get custom resource', await sample(n, (i) => ok(client, 'GET', `${widgets}/${phase}-${i % n}`)));
  record(
    'list custom resources, all namespaces (Table)',
    await sample(options.listReps, () => tableListAll(client, `/apis/${WIDGET_GROUP}/v1/widgets`)),
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const machine = machineInfo();
  log(`machine: ${describeMachine(machine)}`);
  let shoot: ShootOnLandscape | undefined;
  const cleanup = () => void shoot?.stop();
  process.once('SIGINT', cleanup);
  process.once('SIGTERM', cleanup);
  try {
    log('starting a landscape with the example shoot');
    shoot = await startShootOnLandscape();
    const credentials = parseKubeconfig(await readFile(shoot.kubeconfig, 'utf8'));
    if (!credentials?.certPem || !credentials.keyPem) throw new Error('the admin kubeconfig has no client certificate');
    const client = new ApiClient({
      server: credentials.server,
      ...(credentials.caPem ? { caPem: credentials.caPem } : {}),
      certPem: credentials.certPem,
      keyPem: credentials.keyPem,
    });
    const customResources = await installWidgetCrd(shoot.client);
    if (!customResources) log('this shoot serves no CustomResourceDefinitions: custom resources left out');

    const results: Results = new Map();
    await measurePhase(client, 'empty', results, options, customResources);

    const mix = mixOf(options.objects);
    log(`filling: ${JSON.stringify(mix)}`);
    const fillStarted = Date.now();
    const created = await createMixed(shoot.client, mix, { withoutCustomResources: !customResources });
    const fillMs = Date.now() - fillStarted;
    log(`created ${created.length} objects in ${(fillMs / 1000).toFixed(1)} s; waiting for the controllers`);
    if (!(await controllersSettled(shoot.client, mix)))
      log('the controllers had not settled in time; measuring anyway');
    const counts = await countMixed(shoot.client, customResources);
    log(`the shoot holds ${JSON.stringify(counts)}`);
    await measurePhase(client, 'filled', results, options, customResources);
    client.close();

    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const rows = [...results].map(([operation, phases]) => [
      operation,
      formatMs(phases.empty?.p50 ?? Number.NaN),
      formatMs(phases.empty?.p99 ?? Number.NaN),
      formatMs(phases.filled?.p50 ?? Number.NaN),
      formatMs(phases.filled?.p99 ?? Number.NaN),
      phases.empty && phases.filled ? `${(phases.filled.p99 / phases.empty.p99).toFixed(2)}×` : '-',
    ]);
    const header = ['operation', 'empty p50', 'empty p99', `${total} objects p50`, `${total} objects p99`, 'p99 ratio'];
    process.stdout.write(
      `\nShoot API latency (ms), ${describeMachine(machine)}, load ${loadavg()[0]!.toFixed(2)}, revision ${sourceRevision(fileURLToPath(new URL('../..', import.meta.url)))}\n` +
        `filled with ${created.length} objects in ${(fillMs / 1000).toFixed(1)} s (${Math.round(created.length / (fillMs / 1000))}/s, 16 in flight); held: ${JSON.stringify(counts)}\n\n` +
        `${markdownTable(header, rows, [1, 2, 3, 4, 5])}\n`,
    );
    if (options.json) {
      writeFileSync(
        options.json,
        JSON.stringify(
          { machine, counts, fillMs, created: created.length, results: Object.fromEntries(results) },
          null,
          2,
        ),
      );
    }
  } finally {
    if (!options.keep) await shoot?.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
