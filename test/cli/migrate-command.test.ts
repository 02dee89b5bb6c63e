/**
 * `transplant migrate` against a small fake garden (HTTPS, in this process): it serves the few
 * requests the command makes — MigrationPreflights (create, get, watch, delete), one Shoot
 * (get, watch, PUT shoots/binding with resourceVersion conflicts) and its BackupEntry (get, watch;
 * or 403) — and plays a scripted sequence of shoot states and restore progress after the binding,
 * as the seeds would write them. Each test checks what the garden
 * holds afterwards, the exit code and the output. Also: flag parsing, the exit-code logic, the
 * kubeconfig search, and the help when started as the kubectl plugin.
 *
 * One file over 500 lines: every case runs against the same fake garden, defined once here.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LastError, LastOperation } from '../../src/api/core-gardener/common.js';
import {
  formatRestoreProgress,
  RESTORE_PROGRESS_ANNOTATION,
  type RestoreProgressReport,
} from '../../src/api/core-gardener/restore-progress.js';
import { gone, serviceUnavailable } from '../../src/api/errors.js';
import type { KubeObject, WatchEvent } from '../../src/api/meta.js';
import type { PreflightCheck } from '../../src/api/migration-transplant/migration-preflight.js';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { type MigrateRequest, runMigrate } from '../../src/cli/migrate-command.js';
import { migrateCommand, positiveDuration, shootRef } from '../../src/cli/migrate-flags.js';
import { kubeconfigSource, loadKubeconfigs } from '../../src/cli/migrate-kubeconfig.js';
import { programName } from '../../src/cli/migrate-kubectl-plugin.js';
import { EXIT_CODES, judgeMove, type ShootProgress } from '../../src/cli/migrate-outcome.js';
import { watchObject } from '../../src/cli/migrate-watch.js';
import type { ObjectWatch, ResourceClient } from '../../src/client/client.js';

const NS = 'garden-dev';
const SHOOT = 'web';
const PREFLIGHTS = `/apis/migration.transplant.gardener.cloud/v1alpha1/namespaces/${NS}/migrationpreflights`;
const SHOOTS = `/apis/core.gardener.cloud/v1beta1/namespaces/${NS}/shoots`;
const ENTRIES = `/apis/core.gardener.cloud/v1beta1/namespaces/${NS}/backupentries`;
/** The shoot's own BackupEntry: `<technical id>--<uid>`. */
const ENTRY = 'shoot--dev--web--u-1';

/**
 * A status the seeds write after the binding, `afterMs` after the one before; or the restore
 * progress the destination writes on the shoot's BackupEntry, stamped with the time it is written.
 */
type ScriptStep =
  | {
      afterMs: number;
      specSeedName?: string;
      seedName: string | null;
      lastOperation: LastOperation;
      lastErrors?: LastError[];
    }
  | { afterMs: number; restoreProgress: Omit<RestoreProgressReport, 'updated'> };

interface Watcher {
  plural: string;
  name: string;
  res: ServerResponse;
}

/** The garden: a few objects, their resourceVersions, watches, and a log of the requests. */
class FakeGarden {
  readonly objects = new Map<string, KubeObject>();
  readonly requests: string[] = [];
  watchers: Watcher[] = [];
  rv = 100;
  /** What the preflight's status becomes `preflightAfterMs` after its creation; undefined: never. */
  preflightStatus: Record<string, unknown> | undefined;
  preflightAfterMs = 30;
  /** The shoot states after a binding. */
  script: ScriptStep[] = [];
  /** How many binding PUTs are answered 409 (the shoot "changed" meanwhile). */
  conflicts = 0;
  /** Whether BackupEntries are refused (403), as to a user who may not read them. */
  forbidEntries = false;
  #timers: ReturnType<typeof setTimeout>[] = [];

  reset(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    for (const w of this.watchers) w.res.end();
    this.watchers = [];
    this.objects.clear();
    this.requests.length = 0;
    this.conflicts = 0;
    this.forbidEntries = false;
    this.script = [];
    this.preflightAfterMs = 30;
    this.preflightStatus = passedPreflight();
    this.write('shoots', {
      apiVersion: 'core.gardener.cloud/v1beta1',
      kind: 'Shoot',
      metadata: { name: SHOOT, namespace: NS, uid: 'u-1', generation: 3 },
      spec: { seedName: 'seed-a', region: 'local' },
      status: { seedName: 'seed-a', lastOperation: op('Reconcile', 'Succeeded', 100, 'Reconciled') },
    });
    // What the shoot's last move left on its entry.
    this.write('backupentries', {
      apiVersion: 'core.gardener.cloud/v1beta1',
      kind: 'BackupEntry',
      metadata: {
        name: ENTRY,
        namespace: NS,
        annotations: {
          [RESTORE_PROGRESS_ANNOTATION]: formatRestoreProgress({
            phase: 'Restore',
            done: true,
            fetchedBytes: 7,
            fetchTotalBytes: 7,
            restoredKeys: 7,
            updated: '2020-01-01T00:00:00.000Z',
          }),
        },
      },
      spec: { bucketName: 'bucket-a', seedName: 'seed-a' },
    });
  }

  shoot(): KubeObject & { spec: { seedName?: string } } {
    return this.objects.get(`shoots/${SHOOT}`) as KubeObject & { spec: { seedName?: string } };
  }

  preflights(): KubeObject[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith('migrationpreflights/')).map(([, v]) => v);
  }

  later(ms: number, fn: () => void): void {
    this.#timers.push(setTimeout(fn, ms));
  }

  write(plural: string, obj: KubeObject, type: 'ADDED' | 'MODIFIED' = 'MODIFIED'): KubeObject {
    this.rv++;
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } };
    this.objects.set(`${plural}/${obj.metadata.name}`, stored);
    this.notify(plural, type, stored);
    return stored;
  }

  remove(plural: string, name: string): void {
    const obj = this.objects.get(`${plural}/${name}`);
    if (!obj) return;
    this.objects.delete(`${plural}/${name}`);
    this.rv++;
    this.notify(plural, 'DELETED', { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } });
  }

  notify(plural: string, type: string, obj: KubeObject): void {
    for (const w of this.watchers) {
      if (w.plural === plural && w.name === obj.metadata.name)
        w.res.write(`${JSON.stringify({ type, object: obj })}\n`);
    }
  }

  handle(req: IncomingMessage, body: string, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'https://garden');
    this.requests.push(`${req.method} ${url.pathname}${url.searchParams.get('watch') ? '?watch' : ''}`);
    const send = (code: number, obj: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const status = (code: number, reason: string, message: string) =>
      send(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, message, code });
    const [plural, name, sub] = url.pathname.startsWith(PREFLIGHTS)
      ? ['migrationpreflights', ...url.pathname.slice(PREFLIGHTS.length + 1).split('/')]
      : url.pathname.startsWith(SHOOTS)
        ? ['shoots', ...url.pathname.slice(SHOOTS.length + 1).split('/')]
        : url.pathname.startsWith(ENTRIES)
          ? ['backupentries', ...url.pathname.slice(ENTRIES.length + 1).split('/')]
          : [];
    if (!plural) return status(404, 'NotFound', 'the server could not find the requested resource');
    if (plural === 'backupentries' && this.forbidEntries) {
      return status(403, 'Forbidden', `backupentries.core.gardener.cloud "${name ?? ''}" is forbidden`);
    }
    if (req.method === 'GET' && url.searchParams.get('watch') === 'true') {
      const wanted = (url.searchParams.get('fieldSelector') ?? '').replace('metadata.name=', '');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      const watcher = { plural, name: wanted, res };
      this.watchers.push(watcher);
      res.on('close', () => {
        this.watchers = this.watchers.filter((w) => w !== watcher);
      });
      // Whatever changed after the resourceVersion the watch starts at.
      const current = this.objects.get(`${plural}/${wanted}`);
      const from = Number(url.searchParams.get('resourceVersion') ?? 0);
      if (current && Number(current.metadata.resourceVersion) > from) {
        res.write(`${JSON.stringify({ type: 'MODIFIED', object: current })}\n`);
      }
      return;
    }
    if (plural === 'migrationpreflights' && req.method === 'POST') {
      const obj = JSON.parse(body) as KubeObject;
      const created = this.write(
        plural,
        {
          ...obj,
          metadata: { ...obj.metadata, name: `${obj.metadata.generateName}x7k2q`, namespace: NS },
          spec: { ...(obj.spec as object), username: 'operator' },
          status: { phase: 'Pending', checks: [] },
        },
        'ADDED',
      );
      const settled = this.preflightStatus;
      if (settled) {
        this.later(this.preflightAfterMs, () => {
          const now = this.objects.get(`${plural}/${created.metadata.name}`);
          if (now) this.write(plural, { ...now, status: settled });
        });
      }
      return send(201, created);
    }
    const key = `${plural}/${name}`;
    const obj = this.objects.get(key);
    if (req.method === 'GET' && !sub) {
      return obj ? send(200, obj) : status(404, 'NotFound', `${plural} "${name}" not found`);
    }
    if (req.method === 'DELETE' && plural === 'migrationpreflights') {
      if (!obj) return status(404, 'NotFound', `${plural} "${name}" not found`);
      this.remove(plural, name!);
      return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 });
    }
    if (req.method === 'PUT' && plural === 'shoots' && sub === 'binding' && obj) {
      const sent = JSON.parse(body) as KubeObject & { spec: { seedName: string } };
      if (this.conflicts > 0) {
        this.conflicts--;
        // Someone else's write (a health condition) got in between the read and the binding.
        this.write('shoots', { ...obj });
      }
      const stored = this.objects.get(key)!;
      if (sent.metadata.resourceVersion !== stored.metadata.resourceVersion) {
        return status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on shoots.core.gardener.cloud "${SHOOT}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      const bound = this.write('shoots', {
        ...stored,
        spec: { ...(stored.spec as object), seedName: sent.spec.seedName },
      });
      this.play();
      return send(200, bound);
    }
    return status(405, 'MethodNotAllowed', `${req.method} ${url.pathname}`);
  }

  /** The seeds' writes after the binding. */
  play(): void {
    let at = 0;
    for (const step of this.script) {
      at += step.afterMs;
      this.later(at, () => {
        if ('restoreProgress' in step) {
          const entry = this.objects.get(`backupentries/${ENTRY}`)!;
          const report = { ...step.restoreProgress, updated: new Date().toISOString() };
          this.write('backupentries', {
            ...entry,
            metadata: {
              ...entry.metadata,
              annotations: { [RESTORE_PROGRESS_ANNOTATION]: formatRestoreProgress(report) },
            },
          });
          return;
        }
        const shoot = this.shoot();
        this.write('shoots', {
          ...shoot,
          spec: { ...shoot.spec, ...(step.specSeedName ? { seedName: step.specSeedName } : {}) },
          status: {
            seedName: step.seedName,
            lastOperation: step.lastOperation,
            ...(step.lastErrors ? { lastErrors: step.lastErrors } : {}),
          },
        });
      });
    }
  }
}

function op(type: LastOperation['type'], state: LastOperation['state'], progress: number, description = '') {
  return { type, state, progress, description } as LastOperation;
}

function passedPreflight(mode: 'classic' | 'live' = 'classic'): Record<string, unknown> {
  return {
    phase: 'Succeeded',
    sourceSeedName: 'seed-a',
    checks: [
      check('ShootMovable', 'Passed', 'garden', `shoot ${NS}/${SHOOT} runs on seed "seed-a" and can be moved`),
      check('TargetSeedReady', 'Passed', 'garden', 'seed "seed-b" is ready'),
      check('MachinesReachTargetSeed', 'Passed', 'seed/seed-a', 'every machine reaches seed "seed-b"'),
    ],
    plan: { mode },
    completionTime: '2025-03-01T10:00:01Z',
  };
}

function check(name: string, status: PreflightCheck['status'], origin: string, message: string): PreflightCheck {
  return { name, status, origin, message };
}

/** A classic move: the source's Migrate, then the destination's Restore. */
const CLASSIC: ScriptStep[] = [
  { afterMs: 20, seedName: 'seed-a', lastOperation: op('Migrate', 'Processing', 0, 'Starting migration') },
  {
    afterMs: 20,
    seedName: 'seed-a',
    lastOperation: op('Migrate', 'Processing', 40, 'Waiting until kube-apiserver has been deleted'),
  },
  { afterMs: 20, seedName: null, lastOperation: op('Migrate', 'Succeeded', 100, 'Migrated') },
  { afterMs: 20, seedName: null, lastOperation: op('Restore', 'Processing', 60, 'Deploying etcd') },
  { afterMs: 20, seedName: 'seed-b', lastOperation: op('Restore', 'Succeeded', 100, 'Restored') },
];

function recorder() {
  return {
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

describe('transplant migrate against a fake garden', () => {
  const garden = new FakeGarden();
  let server: Server;
  let dir = '';
  let kubeconfig = '';
  let port = 0;

  before(async () => {
    const ca = await generateCertificateAuthority('fake-garden');
    const serving = await issueCertificate(ca, { commonName: 'garden', ipAddresses: ['127.0.0.1'], usage: 'server' });
    server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => garden.handle(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    dir = await mkdtemp(join(tmpdir(), 'migrate-command-'));
    kubeconfig = join(dir, 'garden.kubeconfig');
    await writeFile(kubeconfig, gardenKubeconfig(`https://127.0.0.1:${port}`, ca.certPem));
  });

  after(async () => {
    garden.reset();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => garden.reset());

  /** Runs the command in this process; `onStdout` sees what it wrote so far after each write. */
  async function migrate(
    flags: Partial<MigrateRequest> = {},
    options: { interrupt?: AbortController; onStdout?: (text: string) => void } = {},
  ) {
    const stdout = recorder();
    const stderr = recorder();
    const interrupt = options.interrupt ?? new AbortController();
    const write = stdout.write.bind(stdout);
    stdout.write = (chunk: string) => {
      const r = write(chunk);
      options.onStdout?.(stdout.text);
      return r;
    };
    const code = await runMigrate(
      {
        namespace: NS,
        shoot: SHOOT,
        target: 'seed-b',
        dryRun: false,
        force: false,
        json: false,
        timeoutMs: 10_000,
        preflightTimeoutMs: 5_000,
        kubeconfig,
        ...flags,
      },
      { stdout, stderr, now: Date.now, env: {}, home: dir, interrupt: interrupt.signal, tickMs: 0 },
    );
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('binds (again after a conflict) and follows a classic move to its end', async () => {
    garden.script = CLASSIC;
    garden.conflicts = 1;
    const { code, stdout, stderr } = await migrate();
    assert.equal(stderr, '');
    assert.equal(code, 0, stdout);
    assert.equal(garden.shoot().spec.seedName, 'seed-b');
    assert.deepEqual(garden.preflights(), [], 'the preflight is deleted');
    assert.deepEqual(
      garden.requests.filter((r) => !r.includes('?watch') && !r.startsWith(`GET ${ENTRIES}/`)),
      [
        `POST ${PREFLIGHTS}`,
        `DELETE ${PREFLIGHTS}/web-x7k2q`,
        `GET ${SHOOTS}/web`,
        `PUT ${SHOOTS}/web/binding`,
        `GET ${SHOOTS}/web`,
        `PUT ${SHOOTS}/web/binding`,
        `GET ${SHOOTS}/web`,
      ],
    );
    const lines = stdout.trimEnd().split('\n');
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    assert.match(stdout, /✓ TargetSeedReady \(garden\): seed "seed-b" is ready/);
    assert.match(stdout, /Plan: seed "seed-a" → seed "seed-b", classic migration/);
    assert.match(stdout, /Bound garden-dev\/web to seed "seed-b" \(from seed "seed-a"\)/);
    assert.match(stdout, /Migrate Processing 40% \(overall 20%.*\): Waiting until kube-apiserver has been deleted/);
    assert.match(stdout, /Restore Processing 60% \(overall 80%/);
    assert.match(lines.at(-1)!, /shoot garden-dev\/web runs on seed "seed-b" \(Restore Succeeded\)$/);
  });

  it('--json: one JSON object per event on stdout, nothing else, and a live move ends with the Restore', async () => {
    garden.preflightStatus = passedPreflight('live');
    // A live move's Migrate waits for the destination's phases; the Restore then adopts.
    garden.script = [
      {
        afterMs: 20,
        seedName: 'seed-a',
        lastOperation: op('Migrate', 'Processing', 30, 'Waiting until the destination seed switches the endpoint'),
      },
      { afterMs: 20, seedName: null, lastOperation: op('Migrate', 'Succeeded', 100) },
      { afterMs: 20, seedName: 'seed-b', lastOperation: op('Restore', 'Succeeded', 100) },
    ];
    const { code, stdout, stderr } = await migrate({ json: true });
    assert.equal(code, 0, stderr);
    const events = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      [...new Set(events.map((e) => e.event))],
      ['preflight', 'bound', 'status', 'end'],
      'every line is an event',
    );
    const settled = events.find((e) => e.event === 'preflight' && e.phase === 'Succeeded');
    assert.equal(settled.mode, 'live');
    assert.equal(settled.source, 'seed-a');
    assert.deepEqual(
      events.filter((e) => e.event === 'status').map((e) => [e.phase, e.percent]),
      [
        ['waiting', 0],
        ['migrate', 15],
        ['migrate', 50],
        ['done', 100],
      ],
    );
    assert.deepEqual(events.at(-1), {
      ...events.at(-1),
      event: 'end',
      outcome: 'succeeded',
      exitCode: 0,
    });
  });

  it('a failed preflight binds nothing, names the failed checks and exits 1', async () => {
    garden.preflightStatus = {
      phase: 'Failed',
      sourceSeedName: 'seed-a',
      checks: [
        check('ShootMovable', 'Passed', 'garden', 'can be moved'),
        check('TargetSeedReady', 'Failed', 'garden', 'seed "seed-x" does not exist'),
      ],
      plan: { mode: 'classic' },
    };
    const { code, stdout, stderr } = await migrate({ target: 'seed-x' });
    assert.equal(code, 1);
    assert.match(stdout, /✗ TargetSeedReady \(garden\): seed "seed-x" does not exist/);
    assert.match(stderr, /^error: the preflight Failed \(TargetSeedReady\); nothing was changed\n/);
    assert.match(stderr, /--force/);
    assert.equal(garden.shoot().spec.seedName, 'seed-a');
    assert.ok(!garden.requests.some((r) => r.includes('/binding')));
    assert.deepEqual(garden.preflights(), []);
  });

  it('--force binds although the preflight failed, and says so', async () => {
    garden.preflightStatus = {
      phase: 'Failed',
      checks: [check('MachinesReachTargetSeed', 'Failed', 'seed/seed-a', 'machine-0 cannot reach seed "seed-b"')],
    };
    garden.script = CLASSIC;
    const { code, stdout } = await migrate({ force: true });
    assert.equal(code, 0);
    assert.match(stdout, /Preflight Failed \(MachinesReachTargetSeed\): binding anyway, as --force asks/);
    assert.equal(garden.shoot().spec.seedName, 'seed-b');
  });

  it('--dry-run prints the plan and changes nothing: 0 when the preflight succeeded, else 1', async () => {
    const passed = await migrate({ dryRun: true });
    assert.equal(passed.code, 0);
    assert.match(passed.stdout, /Plan: seed "seed-a" → seed "seed-b", classic migration/);
    assert.match(passed.stdout, /dry run: the preflight Succeeded; nothing was changed/);
    garden.preflightStatus = { phase: 'Failed', checks: [check('ShootMovable', 'Failed', 'garden', 'gone')] };
    const failed = await migrate({ dryRun: true, force: true });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /dry run: the preflight Failed \(ShootMovable\)/);
    assert.ok(!garden.requests.some((r) => r.startsWith('PUT')));
    assert.equal(garden.shoot().spec.seedName, 'seed-a');
    assert.deepEqual(garden.preflights(), []);
  });

  it('gives up on a preflight that does not settle, deletes it and exits 1', async () => {
    garden.preflightStatus = undefined;
    const { code, stderr } = await migrate({ preflightTimeoutMs: 300 });
    assert.equal(code, 1);
    assert.match(stderr, /^error: the preflight did not settle within 300ms; the garden did not answer it\n/);
    assert.deepEqual(garden.preflights(), []);
  });

  it('Ctrl-C during the preflight deletes it and exits 130, nothing changed', async () => {
    garden.preflightStatus = undefined;
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 100);
    const { code, stderr } = await migrate({}, { interrupt });
    assert.equal(code, 130);
    assert.match(stderr, /interrupted during the preflight: nothing was changed/);
    assert.deepEqual(garden.preflights(), []);
    assert.equal(garden.shoot().spec.seedName, 'seed-a');
  });

  it('Ctrl-C while following stops the following only, names how to go on, exits 130', async () => {
    garden.script = CLASSIC.slice(0, 2);
    const interrupt = new AbortController();
    const { code, stderr } = await migrate(
      {},
      {
        interrupt,
        onStdout: (text) => {
          if (text.includes('Migrate Processing 40%')) interrupt.abort();
        },
      },
    );
    assert.equal(code, 130);
    assert.match(stderr, /stopped following garden-dev\/web; the move goes on on the seeds/);
    assert.ok(stderr.includes(`Follow it with: kubectl get shoot -n garden-dev web -w --kubeconfig ${kubeconfig}`));
    assert.equal(garden.shoot().spec.seedName, 'seed-b', 'the binding stands');
  });

  /** A classic move whose Restore copies 100 MiB of backups and restores 5,000 keys, as the destination reports them. */
  const MiB = 1024 * 1024;
  const WITH_NUMBERS: ScriptStep[] = [
    ...CLASSIC.slice(0, 3),
    {
      afterMs: 20,
      seedName: null,
      lastOperation: op('Restore', 'Processing', 20, 'Waiting until etcd backups are copied'),
    },
    { afterMs: 150, restoreProgress: { phase: 'Copy', copiedBytes: 50 * MiB, copyTotalBytes: 100 * MiB } },
    { afterMs: 150, restoreProgress: { phase: 'Copy', done: true, copiedBytes: 100 * MiB, copyTotalBytes: 100 * MiB } },
    {
      afterMs: 150,
      restoreProgress: {
        phase: 'Restore',
        done: true,
        copiedBytes: 100 * MiB,
        copyTotalBytes: 100 * MiB,
        fetchedBytes: 20 * MiB,
        fetchTotalBytes: 20 * MiB,
        restoredKeys: 5000,
        totalKeys: 5000,
      },
    },
    { afterMs: 150, seedName: 'seed-b', lastOperation: op('Restore', 'Succeeded', 100, 'Restored') },
  ];

  it("shows the bytes copied and the keys restored that the destination writes on the shoot's BackupEntry", async () => {
    garden.script = WITH_NUMBERS;
    const { code, stdout, stderr } = await migrate();
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.ok(garden.requests.includes(`GET ${ENTRIES}/${ENTRY}`), garden.requests.join('\n'));
    assert.match(stdout, / copied 50\.0 MiB of 100\.0 MiB\n/);
    assert.match(
      stdout,
      / copied 100\.0 MiB of 100\.0 MiB; fetched 20\.0 MiB of 20\.0 MiB, restored 5,000 of 5,000 keys\n/,
    );
    assert.doesNotMatch(stdout, /restored 7 keys/, "the last move's numbers are not this one's");
    assert.match(stdout.trimEnd().split('\n').at(-1)!, /runs on seed "seed-b"/);

    garden.reset();
    garden.script = WITH_NUMBERS;
    const json = await migrate({ json: true });
    assert.equal(json.code, 0, json.stderr);
    const events = json.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const reports = events.filter((e) => e.event === 'restore-progress');
    assert.deepEqual(
      reports.map((e) => [e.report.phase, e.report.done ?? false, e.report.copiedBytes, e.report.restoredKeys]),
      [
        ['Copy', false, 50 * MiB, undefined],
        ['Copy', true, 100 * MiB, undefined],
        ['Restore', true, 100 * MiB, 5000],
      ],
    );
    assert.deepEqual(Object.keys(reports[0].rates), [
      'copiedBytesPerSecond',
      'fetchedBytesPerSecond',
      'restoredKeysPerSecond',
    ]);
    assert.equal(events.at(-1).event, 'end', 'no numbers after the end');
  });

  it('follows a move without numbers when the BackupEntry may not be read', async () => {
    garden.script = WITH_NUMBERS;
    garden.forbidEntries = true;
    const { code, stdout, stderr } = await migrate();
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '', 'a 403 is no warning');
    assert.ok(garden.requests.includes(`GET ${ENTRIES}/${ENTRY}`), garden.requests.join('\n'));
    assert.doesNotMatch(stdout, /copied [\d.]+ |restored [\d,]+ /);
    assert.match(stdout, /runs on seed "seed-b"/);
  });

  it('exits 1 when the Restore Failed', async () => {
    garden.script = [
      ...CLASSIC.slice(0, 3),
      {
        afterMs: 20,
        seedName: null,
        lastOperation: op('Restore', 'Failed', 70, 'Shoot cluster restoration failed: etcd data corrupt'),
        lastErrors: [{ taskID: 'Waiting until main and event etcd report readiness', description: 'corrupt' }],
      },
    ];
    const { code, stdout, stderr } = await migrate();
    assert.equal(code, 1);
    assert.match(stdout, /error Waiting until main and event etcd report readiness: corrupt/);
    assert.match(stderr, /^error: Restore Failed: Shoot cluster restoration failed: etcd data corrupt\n$/);
  });

  it('exits 1 when the shoot is bound back to its source (an aborted live move)', async () => {
    garden.preflightStatus = passedPreflight('live');
    garden.script = [
      { afterMs: 20, seedName: 'seed-a', lastOperation: op('Migrate', 'Processing', 30) },
      { afterMs: 20, specSeedName: 'seed-a', seedName: 'seed-a', lastOperation: op('Migrate', 'Processing', 30) },
    ];
    const { code, stderr } = await migrate();
    assert.equal(code, 1);
    assert.match(stderr, /the move was given up: shoot garden-dev\/web is bound back to its source seed "seed-a"/);
  });

  it('exits 1 once --timeout passed; the move goes on', async () => {
    garden.script = CLASSIC.slice(0, 2);
    const { code, stderr } = await migrate({ timeoutMs: 500 });
    assert.equal(code, 1);
    assert.match(stderr, /^error: the move did not end within 500ms \(it goes on\): Migrate Processing 40%/);
    assert.match(stderr, /Follow it with: kubectl get shoot -n garden-dev web -w/);
  });

  it('names a garden it cannot reach in one line and exits 1', async () => {
    const closed = join(dir, 'closed.kubeconfig');
    await writeFile(closed, gardenKubeconfig('https://127.0.0.1:1', 'unused'));
    const { code, stdout, stderr } = await migrate({ kubeconfig: closed });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /^error: cannot reach the garden at https:\/\/127\.0\.0\.1:1: connect ECONNREFUSED[^\n]*\n$/);
  });

  it('names a missing kubeconfig', async () => {
    const { code, stderr } = await migrate({ kubeconfig: join(dir, 'nope') });
    assert.equal(code, 1);
    assert.match(stderr, /^error: cannot read kubeconfig .*nope \(from --kubeconfig\): ENOENT/);
  });
});

describe('transplant migrate: flags, exit codes, kubeconfig, plugin name', () => {
  it('takes NAMESPACE/SHOOT and refuses anything else', () => {
    assert.deepEqual(shootRef('garden-dev/web'), { namespace: 'garden-dev', shoot: 'web' });
    for (const bad of ['web', 'a/b/c', '/web', 'garden-dev/', 'Garden/web']) {
      assert.throws(() => shootRef(bad), { code: 'commander.invalidArgument' }, bad);
    }
    assert.equal(positiveDuration('90s'), 90_000);
    assert.equal(positiveDuration('1h'), 3_600_000);
    for (const bad of ['0', 'ten', '-5m', '30']) assert.throws(() => positiveDuration(bad), bad);
  });

  it('refuses bad input before any request, with one line and exit code 1', async () => {
    const cases: [string[], RegExp][] = [
      [['web', '--to', 'seed-b'], /give the shoot as NAMESPACE\/SHOOT/],
      [['garden-dev/web'], /required option '--to <seed>' not specified/],
      [['garden-dev/web', '--to', 'Seed_B'], /seed "Seed_B" is not a valid name/],
      [['garden-dev/web', '--to', 'seed-b', '--timeout', 'soon'], /argument 'soon' is invalid. must be a duration/],
    ];
    for (const [args, message] of cases) {
      let stderr = '';
      const command = migrateCommand()
        .exitOverride()
        .configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
      await assert.rejects(command.parseAsync(args, { from: 'user' }), { exitCode: 1 });
      assert.match(stderr, message);
      assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
    }
  });

  it('judges a move from the shoot alone', () => {
    const names = { shoot: 'ns/s', source: 'seed-a', target: 'seed-b' };
    const p = (fields: Partial<ShootProgress>): ShootProgress => ({
      specSeedName: 'seed-b',
      statusSeedName: 'seed-a',
      lastErrors: [],
      ...fields,
    });
    const outcome = (progress: ShootProgress | null) => judgeMove(progress, names).outcome;
    assert.equal(outcome(p({ lastOperation: op('Reconcile', 'Failed', 10) })), 'running', 'before the Migrate');
    assert.equal(outcome(p({ lastOperation: op('Migrate', 'Error', 10) })), 'running', 'Error is retried');
    assert.equal(outcome(p({ lastOperation: op('Migrate', 'Failed', 10) })), 'failed');
    assert.equal(outcome(p({ statusSeedName: undefined, lastOperation: op('Restore', 'Failed', 10) })), 'failed');
    assert.equal(outcome(p({ statusSeedName: 'seed-b', lastOperation: op('Restore', 'Succeeded', 100) })), 'succeeded');
    assert.equal(
      outcome(p({ statusSeedName: 'seed-b', lastOperation: op('Reconcile', 'Processing', 10) })),
      'succeeded',
      'a Reconcile after the Restore (the Restore hidden by a watch gap)',
    );
    assert.equal(outcome(p({ specSeedName: 'seed-a', lastOperation: op('Migrate', 'Processing', 10) })), 'aborted');
    assert.equal(outcome(null), 'failed');
    assert.deepEqual(
      Object.entries(EXIT_CODES)
        .filter(([, code]) => code === 0)
        .map(([o]) => o),
      ['succeeded', 'dry-run'],
    );
    assert.equal(EXIT_CODES.interrupted, 130);
  });

  it('finds the kubeconfig as kubectl does: --kubeconfig, else the merged KUBECONFIG list, else ~/.kube/config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrate-kubeconfig-'));
    try {
      assert.deepEqual(kubeconfigSource('/x', { KUBECONFIG: '/y' }, '/home/op'), {
        paths: ['/x'],
        from: '--kubeconfig',
      });
      assert.deepEqual(kubeconfigSource(undefined, { KUBECONFIG: '/y:/z' }, '/home/op'), {
        paths: ['/y', '/z'],
        from: 'KUBECONFIG',
      });
      assert.deepEqual(kubeconfigSource(undefined, {}, '/home/op'), {
        paths: ['/home/op/.kube/config'],
        from: 'default',
      });
      // The first file sets the current context; the second holds it; a missing one is skipped.
      await writeFile(join(dir, 'a'), 'current-context: garden\n');
      await writeFile(join(dir, 'ca.crt'), 'CA PEM');
      await writeFile(
        join(dir, 'b'),
        [
          'clusters:',
          '- name: g',
          '  cluster: {server: "https://garden:443", certificate-authority: ca.crt}',
          'users:',
          '- name: op',
          '  user: {token: abc}',
          'contexts:',
          '- name: garden',
          '  context: {cluster: g, user: op, namespace: garden-dev}',
          '- name: other',
          '  context: {cluster: g, user: sso}',
          '',
        ].join('\n'),
      );
      const source = kubeconfigSource(
        undefined,
        { KUBECONFIG: [join(dir, 'a'), join(dir, 'missing'), join(dir, 'b')].join(':') },
        dir,
      );
      assert.deepEqual(loadKubeconfigs(source), {
        server: 'https://garden:443',
        caPem: 'CA PEM',
        token: 'abc',
        clientCertPem: undefined,
        clientKeyPem: undefined,
        namespace: 'garden-dev',
        insecureSkipTlsVerify: false,
      });
      await writeFile(join(dir, 'c'), 'users:\n- name: sso\n  user: {exec: {command: kubectl-oidc_login}}\n');
      const withExec = kubeconfigSource(undefined, { KUBECONFIG: [join(dir, 'c'), join(dir, 'b')].join(':') }, dir);
      assert.throws(() => loadKubeconfigs(withExec, 'other'), /gets its credentials from an exec plugin/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('calls itself `kubectl transplant` when started as kubectl-transplant', async () => {
    assert.equal(programName('/usr/local/bin/kubectl-transplant'), 'kubectl transplant');
    assert.equal(programName('/opt/transplant/dist/src/cli/main.js'), 'transplant');
    const dir = await mkdtemp(join(tmpdir(), 'migrate-plugin-'));
    try {
      const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
      await symlink(main, join(dir, 'kubectl-transplant'));
      const help = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [join(dir, 'kubectl-transplant'), 'migrate', '--help'], (err, stdout) =>
          err ? reject(err) : resolve(stdout),
        ),
      );
      assert.match(help, /^Usage: kubectl transplant migrate \[options\] <namespace\/shoot>\n/);
      assert.match(help, /--kubeconfig <file>/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('watchObject: one object followed across watch ends, 410s and outages', () => {
  const version = (rv: number): KubeObject => ({ metadata: { name: 'web', resourceVersion: String(rv) } });
  /** A watch that yields `events`, then ends (or throws `end` when it is an error). */
  const watchOf = (events: WatchEvent[], end?: Error): ObjectWatch => ({
    stop: () => undefined,
    async *[Symbol.asyncIterator]() {
      yield* events;
      if (end) throw end;
    },
  });

  it('reads again after a 410 and after a failure (reported), and ends with null when it is deleted', async () => {
    const calls: string[] = [];
    const finds = [() => Promise.reject(serviceUnavailable('connect ECONNREFUSED')), async () => version(5)];
    const watches = [
      async () => watchOf([{ type: 'MODIFIED', object: version(2) }], gone('too old resource version: 1 (5)')),
      async () => watchOf([{ type: 'DELETED', object: version(6) }]),
    ];
    const resources = {
      find: (_ns: string, _name: string) => {
        calls.push('find');
        return finds.shift()!();
      },
      watch: (_ns: string, options: { resourceVersion?: string }) => {
        calls.push(`watch@${options.resourceVersion}`);
        return watches.shift()!();
      },
    } as unknown as ResourceClient;
    const retried: string[] = [];
    const seen: (string | null)[] = [];
    for await (const obj of watchObject(resources, 'ns', 'web', {
      signal: new AbortController().signal,
      from: version(1),
      retryMs: 10,
      onRetry: (err) => retried.push((err as Error).message),
    })) {
      seen.push(obj ? obj.metadata.resourceVersion! : null);
    }
    // From the created version 1: watched; 410 → read (503: retried) → read → watched from 5.
    assert.deepEqual(calls, ['watch@1', 'find', 'find', 'watch@5']);
    assert.deepEqual(seen, ['2', '5', null]);
    assert.deepEqual(retried, ['connect ECONNREFUSED']);
  });

  it('returns at once on abort, also while the garden does not answer', async () => {
    const abort = new AbortController();
    const resources = {
      find: () => new Promise(() => undefined),
      watch: () => new Promise(() => undefined),
    } as unknown as ResourceClient;
    setTimeout(() => abort.abort(), 20);
    const seen: unknown[] = [];
    for await (const obj of watchObject(resources, 'ns', 'web', { signal: abort.signal })) seen.push(obj);
    assert.deepEqual(seen, []);
  });
});

function gardenKubeconfig(server: string, caPem: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'current-context: garden',
    'clusters:',
    '- name: garden',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`,
    'users:',
    '- name: operator',
    '  user:',
    '    token: operator-token',
    'contexts:',
    '- name: garden',
    '  context: {cluster: garden, user: operator}',
    '',
  ].join('\n');
}
