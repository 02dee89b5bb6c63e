/**
 * Crash tests of the control plane migration (docs/migration.md §Crash safety: killing a seed
 * process at any step and restarting it finishes the migration, no acknowledged write is lost, the
 * source and the destination never serve the shoot at once).
 *
 * One landscape whose processes all get TRANSPLANT_CRASH_FILE (src/flow/crash-point.ts). The
 * shoot moves back and forth between seed-a and seed-b, once per step of the Migrate (or Restore)
 * flow: before each move the crash file names that step, so the seed process that runs it — the
 * source for a Migrate step, the destination for a Restore step — kills itself with SIGKILL the
 * moment the step is about to start (or has just done its work), and the landscape's supervisor
 * starts it again. The steps come from the flow graphs themselves, so a new step is tested too.
 *
 * Each move must end in `Restore Succeeded` on the destination with: the crash having happened
 * (crash file gone, another pid for the victim in landscape.json, the other seed untouched), no
 * reconcile having failed on the way (the restarted seed resumes the flow, no step errors),
 * every write acknowledged so far — in this move and all before it — present with its
 * resourceVersion and content, the bulk ConfigMaps unchanged, and the shoot's etcd and API server
 * running on the destination only. For a highly available shoot (`failureTolerance`), the
 * cluster's membership is sampled through each move (test/helpers/etcd-membership.ts): never more
 * than one learner, never fewer running voters than a quorum, and 3 voters of the destination at
 * the end.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CRASH_FILE_ENV, type CrashMoment, crashPoint } from '../../src/flow/index.js';
import {
  liveMigrateFlow,
  liveMigrationDestinationFlow,
  migrateFlow,
  reconcileFlow,
} from '../../src/seed/gardenlet/shoot-flows.js';
import { VPN_SEED_SERVER_PORT } from '../../src/shoot/vpn/vpn-seed-server.js';
import type { Json } from './api-client.js';
import { describeMembership, haInvariantViolations, type Membership, sampleMembership } from './etcd-membership.js';
import { getJson } from './kubectl.js';
import {
  CONTROL_PLANE,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  seedEtcdClientTls,
  startShootOnLandscape,
  triggerLiveMigration,
  triggerMigration,
} from './migration.js';
import { alive, etcdPidsUnder, eventually } from './processes.js';
import { notCalled } from './recording-components.js';
import { checkWrites, startShootWriter, type WriterRecords } from './shoot-writer.js';

const run = promisify(execFile);

/**
 * The classic migration's flows, and the live migration's (the shoot annotated
 * `migration.gardener.cloud/live-migrate: "true"`): `LiveMigrate` on the source,
 * `LiveMigration` (the destination's part) on the destination.
 */
export type MigrationFlowType = 'Migrate' | 'Restore' | 'LiveMigrate' | 'LiveMigration';

/**
 * A flow as a migration of an awake shoot between two seeds with backups runs it, every step it
 * runs included (a final snapshot to take, backups to copy, readiness not skipped; the steps of a
 * hibernated shoot are skipped). Compiling a graph only declares its
 * steps — the components are called when a step runs — so none are needed to list them.
 */
function migrationFlow(type: MigrationFlowType) {
  switch (type) {
    case 'Migrate':
      return migrateFlow(notCalled, { etcdSnapshotRequired: true });
    case 'Restore':
      return reconcileFlow(notCalled, {
        operation: 'Restore',
        allowBackup: true,
        copyRequired: true,
        skipReadiness: false,
      });
    case 'LiveMigrate':
      return liveMigrateFlow(notCalled, { endpointReleased: false });
    case 'LiveMigration':
      return liveMigrationDestinationFlow(notCalled);
  }
}

const live = (type: MigrationFlowType) => type === 'LiveMigrate' || type === 'LiveMigration';

const BULK_NAMESPACE = 'bulk';
const BULK_CONFIG_MAPS = 500;
const WRITES_NAMESPACE = 'writes';
/** Writes the writer gets through before each trigger, and again on the destination afterwards. */
const WRITES_AROUND_THE_MOVE = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const otherSeed = (seed: string) => (seed === 'seed-a' ? 'seed-b' : 'seed-a');

/** The pids of the processes listening on `host:port` (ss shows every process, the test runs as root). */
async function listeners(host: string, port: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-Htlnp', 'src', `${host}:${port}`]);
  return [...stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

/**
 * A step that only waits changes nothing: a crash after it is the same as a crash before the
 * steps that depend on it (which start together, synchronously, so none runs before the crash).
 */
const changesSomething = (step: string) => !step.startsWith('Waiting ');

/**
 * `make test-crash-matrix` sets this: every step of every flow is crashed, one file per flow and
 * moment (`describeSeedKilledAtEveryStep`). `make test` runs `describeSeedKilledAtSteps`'s slice
 * instead, a few chosen steps of every flow on one landscape, to keep the suite within its time.
 */
export const CRASH_MATRIX_ENV = 'TRANSPLANT_CRASH_MATRIX';
const fullMatrix = () => process.env[CRASH_MATRIX_ENV] === 'full';
const matrixOnlySkip = `make test-crash-matrix only (${CRASH_MATRIX_ENV}=full); make test runs migration-crash-slice`;

export interface CrashedSteps {
  /** `before` each step starts, or `after` each step that changes something did its work. */
  moment: CrashMoment;
  /** Only every `of`-th step, from the `part`-th on (0-based): to spread the steps over test files that run in parallel. */
  share?: { part: number; of: number };
  /**
   * `node`: the example shoot highly available (3 etcd members, 2 kube-apiserver replicas), each
   * move checked against the HA invariants too. Unset: the single-member shoot.
   */
  failureTolerance?: 'node';
}

/** One crash: the seed that runs `type`'s flow killed `moment` its step `step`. */
export interface FlowCrashPoint {
  type: MigrationFlowType;
  moment: CrashMoment;
  step: string;
}

/**
 * How long the writer may take for its writes after a move: a check that it gets through at all,
 * not of its speed (on a machine at a load of 30 on 2 cores a write took up to 10 s, and 30 s for
 * 20 writes failed moves that had ended well).
 */
const WRITER_THROUGH_TIMEOUT_MS = 120_000;

/** How long a move may take from the trigger to `Restore Succeeded` (an HA move adds and removes 3 members one by one). */
const MOVE_TIMEOUT_MS = { single: 120_000, ha: 300_000 };

/**
 * Registers one test per step of the `type` flow (see `CrashedSteps`); the tests run in order on
 * one landscape, the shoot moving between seed-a and seed-b. `make test-crash-matrix` only.
 */
export function describeSeedKilledAtEveryStep(
  type: MigrationFlowType,
  { moment, share, failureTolerance }: CrashedSteps,
): void {
  const flow = migrationFlow(type);
  const role = roleOf(type);
  const steps = flow.taskIDs
    .filter((step) => !flow.skippedTaskIDs.includes(step))
    .filter((step) => moment === 'before' || changesSomething(step))
    .filter((_, index) => !share || index % share.of === share.part);
  const part = share ? ` (part ${share.part + 1} of ${share.of})` : '';
  const shootKind = failureTolerance ? ' of a highly available shoot' : '';
  describeSeedKilledAt(
    `the ${role} seed${shootKind} killed with SIGKILL ${moment} each step of "${flow.name}"${part}`,
    steps.map((step) => ({ type, moment, step })),
    { failureTolerance, skip: fullMatrix() ? false : matrixOnlySkip },
  );
}

/**
 * `make test`'s slice of the crash matrix: the given steps, each checked to be a step of its
 * flow, on one landscape. A live move leaves the shoot annotated for live migration, so the
 * classic crash points come first.
 */
export function describeSeedKilledAtSteps(title: string, points: FlowCrashPoint[]): void {
  for (const { type, moment, step } of points) {
    const flow = migrationFlow(type);
    assert.ok((flow.taskIDs as readonly string[]).includes(step), `"${step}" is a step of "${flow.name}"`);
    assert.ok(moment === 'before' || changesSomething(step), `"${step}" changes something: a crash after it is one`);
  }
  const firstLive = points.findIndex((p) => live(p.type));
  assert.ok(firstLive === -1 || points.slice(firstLive).every((p) => live(p.type)), 'the live moves come last');
  describeSeedKilledAt(title, points, { skip: fullMatrix() ? 'make test-crash-matrix crashes every step' : false });
}

const roleOf = (type: MigrationFlowType) => (type === 'Migrate' || type === 'LiveMigrate' ? 'source' : 'destination');

/** One test per crash point, in order, on one landscape (the file's comment). */
function describeSeedKilledAt(
  title: string,
  points: FlowCrashPoint[],
  { failureTolerance, skip }: { failureTolerance?: 'node' | undefined; skip: string | false },
): void {
  const ha = failureTolerance !== undefined;
  describe(title, { skip }, () => {
    let crashDir: string;
    let crashFile: string;
    let shoot: ShootOnLandscape;
    let bulk: Map<string, string>;
    const writes: WriterRecords[] = [];

    before(async () => {
      crashDir = await mkdtemp(join(tmpdir(), 'transplant-crash-'));
      crashFile = join(crashDir, 'crash-point');
      shoot = await startShootOnLandscape({ env: { [CRASH_FILE_ENV]: crashFile }, failureTolerance });
      for (const name of [BULK_NAMESPACE, WRITES_NAMESPACE]) {
        const ns = await shoot.client.request('POST', '/api/v1/namespaces', { metadata: { name } });
        assert.equal(ns.status, 201, JSON.stringify(ns.body));
      }
      bulk = await shoot.client.createConfigMaps(BULK_NAMESPACE, 'cm', BULK_CONFIG_MAPS);
    });

    after(async () => {
      await shoot?.stop();
      if (crashDir) await rm(crashDir, { recursive: true, force: true });
    });

    points.forEach(({ type, moment, step }, index) => {
      const flow = migrationFlow(type);
      const role = roleOf(type);
      it(`finishes the ${live(type) ? 'live ' : ''}migration when the ${role} seed is killed ${moment} "${step}"`, async (t) => {
        const l = shoot.landscape;
        const source = (await l.shoot(SHOOT_NAMESPACE, SHOOT)).status.seedName as string;
        const destination = otherSeed(source);
        const victim = role === 'source' ? source : destination;
        const pidsBefore = await seedPids();
        const failuresBefore = await reconcileFailures();
        const membership = ha ? await sampleMembershipOn(source) : undefined;
        let samples: Membership[] | undefined;
        await writeFile(crashFile, crashPoint(moment, flow.name, step));

        const writer = startShootWriter(shoot.client, {
          namespace: WRITES_NAMESPACE,
          prefix: `move-${index}`,
          update: `counter-${index}`,
          intervalMs: 20,
        });
        try {
          while (writer.acknowledgedCount < WRITES_AROUND_THE_MOVE) await sleep(10);
          const triggeredAt = Date.now();
          await (live(type) ? triggerLiveMigration : triggerMigration)(l.garden, destination);
          const restored = await eventually(
            async () => {
              const s = await l.shoot(SHOOT_NAMESPACE, SHOOT);
              const last = s.status?.lastOperation;
              // Until the source picks the Migrate up, the last move's `Restore Succeeded` is still there.
              const restored = last?.type === 'Restore' && last.state === 'Succeeded';
              return restored && s.status.seedName === destination ? s : undefined;
            },
            MOVE_TIMEOUT_MS[ha ? 'ha' : 'single'],
            `the shoot is restored on ${destination} after ${victim} was killed ${moment} "${step}"`,
          );
          t.diagnostic(`${source} → ${destination}: trigger to Restore Succeeded ${Date.now() - triggeredAt} ms`);
          assert.equal(restored.status.seedName, destination);
          assert.deepEqual(restored.status.lastErrors ?? [], []);
          // The writer must get through again on its own, to the destination.
          const acknowledgedAtRestore = writer.acknowledgedCount;
          await eventually(
            async () => (writer.acknowledgedCount >= acknowledgedAtRestore + WRITES_AROUND_THE_MOVE ? true : undefined),
            WRITER_THROUGH_TIMEOUT_MS,
            'the writer gets through to the destination',
          );
        } finally {
          writes.push(await writer.stop());
          samples = await membership?.stop();
        }
        if (samples) {
          t.diagnostic(`membership seen: ${[...new Set(samples.map(describeMembership))].join(' → ')}`);
          assert.deepEqual(haInvariantViolations(samples), [], 'at most one learner, a quorum of the voters running');
          assert.deepEqual(
            samples.at(-1),
            { voters: { [source]: 0, [destination]: 3 }, learners: 0, runningVoters: 3 },
            `the cluster is ${destination}'s 3 members`,
          );
        }

        assert.equal(existsSync(crashFile), false, `${victim} reached the crash point (it removed the file)`);
        const pidsAfter = await seedPids();
        assert.notEqual(pidsAfter[victim], pidsBefore[victim], `${victim} was killed and started again`);
        assert.ok(alive(pidsAfter[victim]), `${victim} runs again`);
        const bystander = otherSeed(victim);
        assert.equal(pidsAfter[bystander], pidsBefore[bystander], `${bystander} was not restarted`);
        // The restarted seed picks the flow up where it stopped: no step fails on its way there.
        const seen = new Set(failuresBefore);
        assert.deepEqual(
          (await reconcileFailures()).filter((line) => !seen.has(line)),
          [],
          'no reconcile failed',
        );

        const { items: written } = await shoot.client.listConfigMaps(WRITES_NAMESPACE);
        for (const records of writes) {
          const check = checkWrites(records, written);
          const move = `writes of the move with prefix ${records.acknowledged[0]?.name ?? '?'}`;
          assert.deepEqual(check.missing, [], `${move}: no acknowledged create is missing`);
          assert.deepEqual(check.changed, [], `${move}: every acknowledged create has its resourceVersion and content`);
          assert.equal(check.updateLost, undefined, `${move}: the last acknowledged update is there`);
          assert.deepEqual(check.presentThoughRefused, [], `${move}: no write answered with an error is there`);
        }
        const { items: bulkItems } = await shoot.client.listConfigMaps(BULK_NAMESPACE);
        assert.equal(bulkItems.length, BULK_CONFIG_MAPS, 'every bulk ConfigMap is there');
        for (const item of bulkItems as Json[]) {
          const name = item.metadata.name as string;
          assert.equal(item.metadata.resourceVersion, bulk.get(name), `${name} kept its resourceVersion`);
          assert.equal(item.data.payload, `value of ${name}`, `${name} kept its content`);
        }

        assert.deepEqual(await etcdPidsUnder(controlPlaneDir(source)), [], `no etcd of the shoot on ${source}`);
        const members = ha ? 3 : 1;
        assert.equal(
          (await etcdPidsUnder(controlPlaneDir(destination))).length,
          members,
          `${members} etcd member(s) on ${destination}`,
        );
        const api = new URL(shoot.client.server);
        assert.deepEqual(
          await listeners(api.hostname, Number(api.port || 443)),
          [pidsAfter[destination]],
          `only ${destination} serves the shoot's API address`,
        );
        assert.deepEqual(
          await listeners(api.hostname, VPN_SEED_SERVER_PORT),
          [pidsAfter[destination]],
          `only ${destination} serves the shoot's vpn-seed-server`,
        );
      });
    });

    /** Samples the shoot's etcd membership from `source`'s members on (test/helpers/etcd-membership.ts). */
    async function sampleMembershipOn(source: string) {
      const l = shoot.landscape;
      const etcd = await getJson(l.seedKubeconfig(source), ['get', 'etcd', '-n', CONTROL_PLANE, 'etcd-main']);
      const tls = await seedEtcdClientTls(l, source);
      return sampleMembership(etcd.status.endpoint, tls, { processesUnder: l.dir });
    }

    async function seedPids(): Promise<Record<string, number | undefined>> {
      const { seeds } = await shoot.landscape.file();
      return Object.fromEntries(Object.entries(seeds).map(([name, seed]) => [name, seed.pid]));
    }

    /**
     * The seeds' "reconcile failed" log lines so far (the landscape logs warnings and up). A move
     * compares them as a set: both seeds' logs grow, so a count taken over the two would blame
     * one seed's old line for the other's new one.
     */
    async function reconcileFailures(): Promise<string[]> {
      const lines: string[] = [];
      for (const seed of ['seed-a', 'seed-b']) {
        const log = await readFile(join(shoot.landscape.dir, 'logs', `seed-${seed}.log`), 'utf8').catch(() => '');
        lines.push(...log.split('\n').filter((line) => line.includes('"msg":"reconcile failed"')));
      }
      return lines;
    }

    function controlPlaneDir(seed: string): string {
      return join(shoot.landscape.dir, 'seeds', seed, 'state', 'controlplanes', CONTROL_PLANE);
    }
  });
}
