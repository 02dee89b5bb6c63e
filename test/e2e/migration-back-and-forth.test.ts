/**
 * The seed document's second failure mode and its way out, then migrations in a row:
 *
 * - Asked before anything moves, a migration preflight names the machine that cannot reach
 *   seed-b (its node agent's probe) and changes nothing; a project member's preflight is told it
 *   may not bind. Before the last move, with nothing cut, every check passes.
 * - The shoot's machine cannot reach the new control plane (a firewall: its egress deny list names
 *   seed-b), so a Restore would wait at "Waiting until the Kubernetes API server can connect to
 *   the Shoot workers". With `shoot.gardener.cloud/skip-readiness` the move to seed-b finishes
 *   anyway, and the annotation is gone afterwards.
 * - Migrating back to seed-a without the annotation, the firewall now in front of seed-a, waits
 *   at exactly that step until the firewall opens, then succeeds: `transplant migrate --force` on
 *   a terminal (a pty), whose preflight names the cut and whose display follows the wait.
 * - A second migration to seed-b right after works (`transplant migrate`, plain lines): no source
 *   BackupEntry of an earlier move is left in the garden or on a seed to get in its way.
 * After every move the kubeconfig issued at the start sees every ConfigMap at its resourceVersion.
 * Afterwards the garden's audit log shows each binding with the operator who requested it, and no
 * audit log of the landscape holds a secret: a Secret's value, ShootState keys, a kubeconfig's.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { PreflightCheckName } from '../../src/api/migration-transplant/migration-preflight.js';
import { projectMemberUser } from '../../src/garden/bootstrap-rbac.js';
import { type Json, rawRequest } from '../helpers/api-client.js';
import { auditLogsUnder, readAuditEvents, secretNeedles } from '../helpers/audit-logs.js';
import { kubectl } from '../helpers/kubectl.js';
import type { TestLandscape } from '../helpers/landscape.js';
import { cli } from '../helpers/landscape.js';
import {
  annotateSkipReadiness,
  CONTROL_PLANE,
  denyMachineEgress,
  MACHINE,
  migrationPreflight,
  preflightChecks,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  SKIP_READINESS,
  startShootOnLandscape,
  triggerMigration,
  WORKERS_STEP,
} from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';
import type { ShootClient } from '../helpers/shoot-client.js';

const PREFLIGHT_CHECK_NAMES = Object.values(PreflightCheckName);

/** Drops a terminal's escape sequences, so the text a terminal shows can be matched. */
function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what is removed
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/**
 * `transplant migrate garden-dev/my-shoot ARGS` with the garden kubeconfig; with `terminal` in a
 * pseudo-terminal (util-linux `script`), so the command draws its terminal display; its exit
 * code and everything it printed.
 */
function transplantMigrate(kubeconfig: string, args: string[], options: { terminal?: boolean } = {}) {
  const argv = [cli, 'migrate', `${SHOOT_NAMESPACE}/${SHOOT}`, ...args];
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const child = options.terminal
    ? spawn('script', ['-qefc', [process.execPath, ...argv].join(' '), '/dev/null'], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const done = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, output })),
  );
  return { done };
}

describe('skip-readiness, migrating back, and migrating again', () => {
  let shoot: ShootOnLandscape;
  let l: TestLandscape;
  let client: ShootClient;
  let versions: Map<string, string>;

  /** Runs the trigger; returns every distinct lastOperation line seen until `until` says stop. */
  async function migrate(destination: string, until: (shoot: Json) => boolean, timeoutMs = 120_000) {
    await triggerMigration(l.garden, destination);
    const seen: string[] = [];
    const errors = new Set<string>();
    const shoot = await eventually(
      async () => {
        const s = await l.shoot(SHOOT_NAMESPACE, SHOOT);
        const op = s.status?.lastOperation;
        const line = `${op?.type} ${op?.state} ${op?.description}`;
        if (seen.at(-1) !== line) seen.push(line);
        for (const error of s.status?.lastErrors ?? []) errors.add(String(error.description));
        return until(s) ? s : undefined;
      },
      timeoutMs,
      `the migration to ${destination} gets where the test expects it`,
    );
    return { shoot, seen, errors: [...errors] };
  }

  /** The Restore onto `destination` succeeded (not the last move's, still there until the Migrate starts). */
  const restoreSucceededOn = (destination: string) => (s: Json) =>
    s.status?.lastOperation?.type === 'Restore' &&
    s.status.lastOperation.state === 'Succeeded' &&
    s.status.seedName === destination;

  /** No source BackupEntry of the shoot in the garden, nor as an extension resource on either seed. */
  async function assertNoSourceBackupEntry(): Promise<void> {
    const garden = await kubectl(l.garden, ['get', 'backupentries', '-n', SHOOT_NAMESPACE, '-o', 'name']);
    assert.equal(garden.code, 0, garden.stderr);
    assert.doesNotMatch(garden.stdout, /source-/, 'no source BackupEntry in the garden');
    for (const seed of ['seed-a', 'seed-b']) {
      const onSeed = await kubectl(l.seedKubeconfig(seed), [
        'get',
        'backupentries.extensions.gardener.cloud',
        '-o',
        'name',
      ]);
      assert.equal(onSeed.code, 0, onSeed.stderr);
      assert.doesNotMatch(onSeed.stdout, /source-/, `no source BackupEntry on ${seed}`);
    }
  }

  async function assertAllData(): Promise<void> {
    const { items } = await eventually(
      async () => client.listConfigMaps('data').catch(() => undefined),
      30_000,
      'the shoot API serves',
    );
    assert.equal(items.length, versions.size);
    for (const item of items) assert.equal(item.metadata.resourceVersion, versions.get(item.metadata.name));
  }

  before(async () => {
    shoot = await startShootOnLandscape();
    l = shoot.landscape;
    client = shoot.client;
    const ns = await client.request('POST', '/api/v1/namespaces', { metadata: { name: 'data' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
    versions = await client.createConfigMaps('data', 'cm', 500);
    await denyMachineEgress(l, ['seed-b']);
  });

  after(async () => {
    await shoot?.stop();
  });

  it("a preflight to seed-b names the machine that cannot reach it; a project member's names the binding", async (t) => {
    const operator = await migrationPreflight(l.garden, 'seed-b');
    const checks = preflightChecks(operator);
    for (const [name, line] of Object.entries(checks)) t.diagnostic(`${name}: ${line}`);
    assert.equal(operator.status.phase, 'Failed');
    assert.equal(operator.status.sourceSeedName, 'seed-a');
    assert.match(
      checks.MachinesReachTargetSeed ?? '',
      new RegExp(
        `^Failed \\(seed/seed-a\\): node ${MACHINE} cannot reach seed "seed-b" at .*egress to seed seed-b is denied`,
      ),
    );
    const others = Object.entries(checks).filter(([name]) => name !== 'MachinesReachTargetSeed');
    assert.deepEqual(
      others.filter(([, line]) => !line.startsWith('Passed')),
      [],
      "every other check passes: the garden's, and seed-b reading seed-a's store",
    );
    assert.match(checks.TargetSeedReachesSourceBackupStore ?? '', /^Passed \(seed\/seed-b\)/);

    // A project member may ask, and is told it may not bind; the garden names who asked, whatever the request said.
    const member = await migrationPreflight(join(l.dir, 'project-member.kubeconfig'), 'seed-b', { username: 'admin' });
    assert.equal(member.spec.username, projectMemberUser);
    assert.match(
      preflightChecks(member).RequesterMayBind ?? '',
      /^Failed \(garden\): user "dev-member" may not update shoots\/binding/,
    );
    // Nothing changed: the shoot is where it was, not being moved.
    const unchanged = await l.shoot(SHOOT_NAMESPACE, SHOOT);
    assert.deepEqual([unchanged.spec.seedName, unchanged.status.seedName], ['seed-a', 'seed-a']);
  });

  it('with skip-readiness the move to seed-b finishes although a worker cannot reach it; the annotation goes', async (t) => {
    await annotateSkipReadiness(l.garden);
    const { shoot, seen, errors } = await migrate('seed-b', restoreSucceededOn('seed-b'));
    for (const line of seen) t.diagnostic(line);
    assert.deepEqual(errors, [], 'skipping the waits causes no errors on the way');
    assert.equal(shoot.status.seedName, 'seed-b');
    const waited = seen.filter((s) => s.startsWith('Restore') && /Waiting until/.test(s));
    assert.deepEqual(
      waited.filter((s) => !/Waiting until etcd backups are copied/.test(s)),
      [],
      'no waiting step but the backup copy ran in the Restore',
    );
    const after = await eventually(
      async () => {
        const s = await l.shoot(SHOOT_NAMESPACE, SHOOT);
        return s.metadata.annotations?.[SKIP_READINESS] === undefined ? s : undefined;
      },
      30_000,
      'the skip-readiness annotation is removed',
    );
    assert.equal(after.status.lastOperation.state, 'Succeeded');
    await assertAllData();
    await assertNoSourceBackupEntry();
  });

  it('migrating back to seed-a with `transplant migrate --force` on a terminal waits for the workers, and succeeds once they are reachable', async (t) => {
    await denyMachineEgress(l, ['seed-a']);
    // The preflight names the cut; --force binds anyway; the display is the terminal's (a pty).
    const move = transplantMigrate(l.garden, ['--to', 'seed-a', '--force'], { terminal: true });
    await eventually(
      async () => {
        const s = await l.shoot(SHOOT_NAMESPACE, SHOOT);
        return s.status?.lastOperation?.type === 'Restore' && s.status.lastOperation.description === WORKERS_STEP
          ? s
          : undefined;
      },
      120_000,
      'the Restore on seed-a waits for the workers',
    );
    // Still waiting a few seconds later: the step really waits for the worker.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const waiting = await l.shoot(SHOOT_NAMESPACE, SHOOT);
    assert.equal(waiting.status.lastOperation.type, 'Restore');
    assert.equal(waiting.status.lastOperation.state, 'Processing');
    assert.equal(waiting.status.lastOperation.description, WORKERS_STEP);
    await denyMachineEgress(l, []);
    const { code, output } = await move.done;
    const text = stripAnsi(output);
    t.diagnostic(text.slice(-1500));
    assert.equal(code, 0, text.slice(-3000));
    // Each redraw moves the cursor up over the block (CSI n F) and clears below it (CSI J).
    assert.ok(output.includes('\u001b[J') && /\[\d+F/.test(output), 'the terminal display redraws its block in place');
    assert.match(text, /MachinesReachTargetSeed/);
    assert.match(text, /--force/);
    assert.match(text, new RegExp(WORKERS_STEP));
    assert.match(text, /runs on seed "seed-a"/);
    const done = await l.shoot(SHOOT_NAMESPACE, SHOOT);
    assert.equal(done.status.seedName, 'seed-a');
    await assertAllData();
    await assertNoSourceBackupEntry();
    const onB = await kubectl(l.seedKubeconfig('seed-b'), ['get', 'namespace', CONTROL_PLANE]);
    assert.match(onB.stderr, /NotFound/, "nothing of the shoot's control plane is left on seed-b");
  });

  it('a second migration to seed-b right after works: `transplant migrate`, plain lines, every preflight check passing', async (t) => {
    const { code, output } = await transplantMigrate(l.garden, ['--to', 'seed-b']).done;
    t.diagnostic(output.slice(-2500));
    assert.equal(code, 0, output.slice(-3000));
    assert.ok(!output.includes('\u001b'), 'no escape codes when stdout is not a terminal');
    for (const check of PREFLIGHT_CHECK_NAMES) assert.match(output, new RegExp(`✓ ${check}\\b`), check);
    assert.match(output, /Bound garden-dev\/my-shoot to seed "seed-b" \(from seed "seed-a"\)/);
    assert.match(output, /Migrate/);
    assert.match(output, /Restore/);
    assert.match(output, /runs on seed "seed-b" \(Restore Succeeded\)/);
    // The numbers seed-b wrote on the shoot's BackupEntry while it copied and restored.
    assert.match(output, /copied \d[\d.]* (B|KiB|MiB) of \d[\d.]* (B|KiB|MiB)/);
    assert.match(output, /restored \d[\d,]* of \d[\d,]* keys/);
    const shoot = await l.shoot(SHOOT_NAMESPACE, SHOOT);
    assert.equal(shoot.status.seedName, 'seed-b');
    assert.deepEqual(shoot.status.lastErrors ?? [], []);
    await assertAllData();
    await assertNoSourceBackupEntry();
    const onA = await kubectl(l.seedKubeconfig('seed-a'), ['get', 'namespace', CONTROL_PLANE]);
    assert.match(onA.stderr, /NotFound/);
  });

  it("the garden's audit log shows every binding with its user; no audit log holds a secret", async () => {
    const secretValue = `audit-${randomBytes(16).toString('hex')}`;
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'audited' },
      stringData: { value: secretValue },
    };
    const inGarden = await rawRequest(l.garden, 'POST', `/api/v1/namespaces/${SHOOT_NAMESPACE}/secrets`, secret);
    assert.equal(inGarden.status, 201, inGarden.text);
    const inShoot = await client.request('POST', '/api/v1/namespaces/data/secrets', secret);
    assert.equal(inShoot.status, 201, JSON.stringify(inShoot.body));
    assert.equal((await client.request('GET', '/api/v1/namespaces/data/secrets/audited')).status, 200);
    const shootState = await rawRequest(
      l.garden,
      'GET',
      `/apis/core.gardener.cloud/v1beta1/namespaces/${SHOOT_NAMESPACE}/shootstates/${SHOOT}`,
    );
    assert.equal(shootState.status, 200, shootState.text);
    const needles = [
      secretValue,
      Buffer.from(secretValue).toString('base64'),
      // The persisted secrets (the shoot's CA keys, …) and the admin kubeconfig's credentials.
      ...secretNeedles(shootState.json.spec.gardener.filter((e: Json) => e.type === 'secret').map((e: Json) => e.data)),
      ...secretNeedles(
        parseYaml(await readFile(shoot.kubeconfig, 'utf8')).users.map((u: Json) => [
          u.user['client-key-data'],
          u.user.token,
        ]),
      ),
    ];
    assert.ok(needles.length > 6, `secret strings found to look for: ${needles.length}`);

    const gardenLog = join(l.dir, 'garden', 'audit', 'audit.log');
    // Written in batches: the log has the Secret's creation once it has caught up.
    const gardenEvents = await eventually(
      async () => {
        const events = await readAuditEvents(gardenLog);
        return events.some((e) => e.auditID === inGarden.headers['audit-id']) ? events : undefined;
      },
      10_000,
      "the garden's audit log has caught up",
    );
    const bindings = gardenEvents.filter(
      (e) => e.objectRef?.subresource === 'binding' && e.stage === 'ResponseComplete' && e.responseStatus?.code === 200,
    );
    assert.deepEqual(
      bindings.map((e) => (e.requestObject as Json)?.spec?.seedName),
      ['seed-b', 'seed-a', 'seed-b'],
      'each migration is in the log with its destination',
    );
    for (const binding of bindings) {
      assert.ok(['Request', 'RequestResponse'].includes(binding.level), binding.level);
      assert.equal(binding.user.username, 'operator');
      assert.equal(binding.verb, 'update');
      assert.equal(binding.objectRef?.name, SHOOT);
    }

    const logs = await eventually(
      async () => {
        const found = await auditLogsUnder(l.dir);
        const shootLogs = found.filter((f) => f.endsWith(join('shoots', CONTROL_PLANE, 'audit.log')));
        const seen = await Promise.all(shootLogs.map((f) => readFile(f, 'utf8')));
        return seen.some((text) => text.includes('"name":"audited"')) ? found : undefined;
      },
      10_000,
      "the shoot's audit log has caught up",
    );
    for (const expected of [
      gardenLog,
      ...['seed-a', 'seed-b'].flatMap((seed) => [
        join(l.dir, 'seeds', seed, 'state', 'audit', 'audit.log'),
        join(l.dir, 'seeds', seed, 'state', 'audit', 'shoots', CONTROL_PLANE, 'audit.log'),
      ]),
    ]) {
      assert.ok(logs.includes(expected), `${expected} is among the audit logs:\n${logs.join('\n')}`);
    }
    for (const path of logs) {
      const text = await readFile(path, 'utf8');
      for (const needle of needles)
        assert.ok(!text.includes(needle), `${path} holds a secret (${needle.slice(0, 8)}…)`);
    }
  });
});
