/**
 * The garden's side of live migration (docs/live-migration.md, "Asking for it") on a real garden:
 * the LiveMigration admission plugin (annotation values, the abort before and after the point of
 * no return, the binding refused without etcd peer reachability and accepted with the classic
 * fallback) and the shoot-migration controller's rebind once the destination aborted. The seeds'
 * reachability reports are written by the test as the gardenlets write them (a faked neighbour);
 * the gardenlets' probing itself is test/seed/etcd-peer-reachability.test.ts and the e2e
 * test/e2e/live-migration-preflight.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventResource } from '../../src/api/core/event.js';
import {
  ETCD_PEER_ENDPOINT_ANNOTATION,
  ETCD_PEERS_REACHED_ANNOTATION,
  type EtcdPeerReport,
} from '../../src/api/core-gardener/etcd-peer-reachability.js';
import {
  ABORT_LIVE_MIGRATION_ANNOTATION,
  LIVE_MIGRATE_ANNOTATION,
  LIVE_MIGRATE_FALLBACK_ANNOTATION,
  LIVE_MIGRATE_FALLBACK_REASON_ANNOTATION,
  type LiveMigrationPhase,
  withLiveMigrationRecord,
} from '../../src/api/core-gardener/live-migration.js';
import { seedResource } from '../../src/api/core-gardener/seed.js';
import { type Shoot, shootResource } from '../../src/api/core-gardener/shoot.js';
import { shootStateResource } from '../../src/api/core-gardener/shoot-state.js';
import { isConflict, isStatusError, type StatusError } from '../../src/api/errors.js';
import type { Client } from '../../src/client/client.js';
import { ShootMigrationReconciler } from '../../src/garden/controllers/shoot-migration-controller.js';
import { seedManifest, shootManifest, timestamp } from '../helpers/garden-e2e.js';
import { healthySeedConditions, startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { eventually } from '../helpers/processes.js';

const NS = 'garden-dev';
const LIVE_PATH = `metadata.annotations[${LIVE_MIGRATE_ANNOTATION}]`;
const ABORT_PATH = `metadata.annotations[${ABORT_LIVE_MIGRATION_ANNOTATION}]`;

/**
 * seed-a and seed-b reach each other; seed-c reports seed-a unreachable; seed-d has reported
 * nothing yet; seed-e reached seed-a at an endpoint seed-a no longer publishes.
 */
const ENDPOINTS: Record<string, string> = {
  'seed-a': '127.0.0.1:1001',
  'seed-b': '127.0.0.1:1002',
  'seed-c': '127.0.0.1:1003',
  'seed-d': '127.0.0.1:1004',
  'seed-e': '127.0.0.1:1005',
};
const REPORTS: Record<string, EtcdPeerReport | undefined> = {
  'seed-a': {
    'seed-b': { endpoint: ENDPOINTS['seed-b']!, reachable: true },
    'seed-c': { endpoint: ENDPOINTS['seed-c']!, reachable: true },
    'seed-e': { endpoint: ENDPOINTS['seed-e']!, reachable: true },
  },
  'seed-b': { 'seed-a': { endpoint: ENDPOINTS['seed-a']!, reachable: true } },
  'seed-c': {
    'seed-a': { endpoint: ENDPOINTS['seed-a']!, reachable: false, error: 'connect ECONNREFUSED 127.0.0.1:1001' },
  },
  'seed-d': undefined,
  'seed-e': { 'seed-a': { endpoint: '127.0.0.1:999', reachable: true } },
};

/** The seeds, healthy, with their endpoints and reports as their gardenlets would have written them. */
async function registerSeeds(client: Client): Promise<void> {
  const seeds = client.resource(seedResource);
  for (const name of Object.keys(ENDPOINTS)) {
    const manifest = seedManifest(name);
    const report = REPORTS[name];
    manifest.metadata.annotations = {
      [ETCD_PEER_ENDPOINT_ANNOTATION]: ENDPOINTS[name]!,
      ...(report ? { [ETCD_PEERS_REACHED_ANNOTATION]: JSON.stringify(report) } : {}),
    };
    await seeds.create('', manifest);
    await seeds.patch('', name, { status: { conditions: healthySeedConditions() } }, { subresource: 'status' });
  }
}

/** Writes the live migration record from seed-a to seed-b into the shoot's ShootState, as the seeds do. */
async function writeRecord(
  client: Client,
  shoot: string,
  phase: LiveMigrationPhase,
  message?: string,
  sourceSeed = 'seed-a',
): Promise<void> {
  const states = client.resource(shootStateResource);
  const state = await eventually(async () => (await states.find(NS, shoot)) ?? undefined, 10_000, 'the ShootState');
  const record = {
    sourceSeed,
    destinationSeed: 'seed-b',
    phase,
    phaseTime: timestamp(),
    source: { etcd: { 'etcd-main': [{ name: 'seed-a-etcd-main-0', peerURLs: [], clientURLs: [] }] } },
    ...(message ? { message } : {}),
  };
  await states.update(NS, { ...state, spec: { ...state.spec, gardener: withLiveMigrationRecord(state, record) } });
}

/** The StatusError `attempt` fails with (it must fail). */
async function refusal(attempt: Promise<unknown>): Promise<StatusError> {
  try {
    await attempt;
  } catch (err) {
    if (isStatusError(err)) return err;
    throw err;
  }
  assert.fail('the request was accepted');
}

/** A 422 with one cause at `field` whose message matches `message`. */
function assertInvalidAt(err: StatusError, field: string, message: RegExp): void {
  assert.equal(err.status.code, 422, err.message);
  assert.equal(err.status.reason, 'Invalid');
  const causes = err.status.details?.causes ?? [];
  assert.deepEqual(
    causes.map((c) => c.field),
    [field],
    err.message,
  );
  assert.match(causes[0]!.message ?? '', message);
}

describe('LiveMigration admission', () => {
  let t: TestGarden;
  let client: Client;
  let count = 0;
  const shoots = () => client.resource(shootResource);

  /** A shoot reconciled on seed-a, with `annotations`. */
  async function shootOnSeedA(annotations: Record<string, string> = {}): Promise<Shoot> {
    count += 1;
    const name = `live-${count}`;
    const manifest = shootManifest(NS, name, { seedName: 'seed-a' });
    manifest.metadata.annotations = annotations;
    await shoots().create(NS, manifest);
    const now = timestamp();
    return shoots().patch(
      NS,
      name,
      {
        status: {
          seedName: 'seed-a',
          lastOperation: {
            type: 'Reconcile',
            state: 'Succeeded',
            progress: 100,
            description: 'done',
            lastUpdateTime: now,
          },
        },
      },
      { subresource: 'status' },
    );
  }

  /** The seed document's binding: the stored shoot with spec.seedName changed, through shoots/binding. */
  const bind = (shoot: Shoot, seed: string) =>
    shoots().update(NS, { ...shoot, spec: { ...shoot.spec, seedName: seed } }, { subresource: 'binding' });
  const annotate = (shoot: Shoot, annotations: Record<string, string | null>) =>
    shoots().patch(NS, shoot.metadata.name!, { metadata: { annotations } });
  const get = (shoot: Shoot) => shoots().get(NS, shoot.metadata.name!);

  /** Asserts `attempt` is refused and the shoot's resourceVersion stays as it was. */
  async function refusedUnchanged(shoot: Shoot, attempt: () => Promise<unknown>): Promise<StatusError> {
    const before = await get(shoot);
    const err = await refusal(attempt());
    assert.equal((await get(shoot)).metadata.resourceVersion, before.metadata.resourceVersion, 'nothing stored');
    return err;
  }

  before(async () => {
    t = await startTestGarden({ seedHeartbeatMaxAgeSeconds: 3600 });
    client = t.garden.hosted.client;
    await registerSeeds(client);
  });
  after(async () => {
    await t?.cleanup();
  });

  it('refuses a live-migrate value other than "true" or "false" on create, storing nothing', async () => {
    const manifest = shootManifest(NS, 'live-yes', { seedName: 'seed-a' });
    manifest.metadata.annotations = { [LIVE_MIGRATE_ANNOTATION]: 'yes' };
    const err = await refusal(shoots().create(NS, manifest));
    assertInvalidAt(err, LIVE_PATH, /Unsupported value: "yes": supported values: "true", "false"/);
    assert.equal(await shoots().find(NS, 'live-yes'), null);
  });

  it('refuses an abort value other than "true", and an abort while no live migration runs', async () => {
    const shoot = await shootOnSeedA({ [LIVE_MIGRATE_ANNOTATION]: 'true' });
    const wrong = await refusedUnchanged(shoot, () => annotate(shoot, { [ABORT_LIVE_MIGRATION_ANNOTATION]: 'false' }));
    assertInvalidAt(wrong, ABORT_PATH, /supported values: "true"/);
    const idle = await refusedUnchanged(shoot, () => annotate(shoot, { [ABORT_LIVE_MIGRATION_ANNOTATION]: 'true' }));
    assertInvalidAt(idle, ABORT_PATH, /no live migration runs/);
  });

  it('refuses the binding of a live migration when the destination does not reach the source, saying why', async () => {
    const shoot = await shootOnSeedA({ [LIVE_MIGRATE_ANNOTATION]: 'true' });
    const cut = await refusedUnchanged(shoot, () => bind(shoot, 'seed-c'));
    assertInvalidAt(
      cut,
      'spec.seedName',
      /live migration from seed "seed-a" is impossible: seed "seed-c" cannot reach the etcd peers of seed "seed-a" at 127\.0\.0\.1:1001: connect ECONNREFUSED/,
    );
    assert.match(cut.message, /fallback-to-classic=true/);
    const silent = await refusedUnchanged(shoot, () => bind(shoot, 'seed-d'));
    assertInvalidAt(
      silent,
      'spec.seedName',
      /seed "seed-d" has not reported whether it reaches the etcd peers of seed "seed-a"/,
    );
    const stale = await refusedUnchanged(shoot, () => bind(shoot, 'seed-e'));
    assertInvalidAt(
      stale,
      'spec.seedName',
      /last probed seed "seed-a" at 127\.0\.0\.1:999, which it no longer publishes/,
    );
  });

  it('lets a shoot without live-migrate move to a seed that reaches nobody (the classic migration)', async () => {
    const shoot = await shootOnSeedA();
    assert.equal((await bind(shoot, 'seed-c')).spec.seedName, 'seed-c');
  });

  it('accepts the binding with the classic fallback, turning live-migrate off in the same write', async () => {
    const shoot = await shootOnSeedA({ [LIVE_MIGRATE_ANNOTATION]: 'true', [LIVE_MIGRATE_FALLBACK_ANNOTATION]: 'true' });
    const bound = await bind(shoot, 'seed-c');
    assert.equal(bound.spec.seedName, 'seed-c');
    assert.equal(bound.metadata.annotations?.[LIVE_MIGRATE_ANNOTATION], 'false');
    assert.match(
      bound.metadata.annotations?.[LIVE_MIGRATE_FALLBACK_REASON_ANNOTATION] ?? '',
      /seed "seed-c" cannot reach the etcd peers of seed "seed-a"/,
    );
  });

  it('accepts a live binding both seeds reach; then live-migrate is frozen and an abort is judged by the record', async () => {
    const shoot = await shootOnSeedA({ [LIVE_MIGRATE_ANNOTATION]: 'true', [LIVE_MIGRATE_FALLBACK_ANNOTATION]: 'true' });
    const bound = await bind(shoot, 'seed-b');
    assert.equal(bound.spec.seedName, 'seed-b');
    assert.equal(bound.metadata.annotations?.[LIVE_MIGRATE_ANNOTATION], 'true', 'no fallback where live works');

    const frozen = await refusedUnchanged(shoot, () => annotate(shoot, { [LIVE_MIGRATE_ANNOTATION]: 'false' }));
    assertInvalidAt(
      frozen,
      LIVE_PATH,
      /cannot be changed while the shoot is being moved from seed "seed-a" to seed "seed-b"/,
    );
    const removed = await refusedUnchanged(shoot, () => annotate(shoot, { [LIVE_MIGRATE_ANNOTATION]: null }));
    assertInvalidAt(removed, LIVE_PATH, /cannot be changed/);

    await writeRecord(client, shoot.metadata.name!, 'JoiningMembers');
    const aborted = await annotate(shoot, { [ABORT_LIVE_MIGRATION_ANNOTATION]: 'true' });
    assert.equal(aborted.metadata.annotations?.[ABORT_LIVE_MIGRATION_ANNOTATION], 'true');
    const withdrawn = await annotate(shoot, { [ABORT_LIVE_MIGRATION_ANNOTATION]: null });
    assert.equal(withdrawn.metadata.annotations?.[ABORT_LIVE_MIGRATION_ANNOTATION], undefined);

    await writeRecord(client, shoot.metadata.name!, 'EndpointSwitched');
    const late = await refusedUnchanged(shoot, () => annotate(shoot, { [ABORT_LIVE_MIGRATION_ANNOTATION]: 'true' }));
    assertInvalidAt(
      late,
      ABORT_PATH,
      /^Invalid value: "true": past the point of no return \(phase EndpointSwitched\): migrate the shoot back instead$/,
    );
    // Other changes of the shoot still go through: only what a request changes is judged.
    const labelled = await shoots().patch(NS, shoot.metadata.name!, { metadata: { labels: { team: 'a' } } });
    assert.equal(labelled.metadata.labels?.team, 'a');
  });
});

describe('shoot-migration controller and live migrations', () => {
  let t: TestGarden;
  let client: Client;

  before(async () => {
    t = await startTestGarden({ seedHeartbeatMaxAgeSeconds: 3600, shootMigration: true });
    client = t.garden.hosted.client;
    await registerSeeds(client);
  });
  after(async () => {
    await t?.cleanup();
  });

  /** A shoot on seed-a whose Migrate to `destination` runs (as the source writes it). */
  async function movingShoot(name: string, destination: string, annotations: Record<string, string>): Promise<Shoot> {
    const shoots = client.resource(shootResource);
    const manifest = shootManifest(NS, name, { seedName: 'seed-a' });
    manifest.metadata.annotations = annotations;
    await shoots.create(NS, manifest);
    const op = (type: string, state: string) => ({
      type,
      state,
      progress: 10,
      description: type,
      lastUpdateTime: timestamp(),
    });
    const placed = await shoots.patch(
      NS,
      name,
      { status: { seedName: 'seed-a', lastOperation: op('Reconcile', 'Succeeded') } },
      { subresource: 'status' },
    );
    await shoots.update(NS, { ...placed, spec: { ...placed.spec, seedName: destination } }, { subresource: 'binding' });
    return shoots.patch(
      NS,
      name,
      { status: { lastOperation: op('Migrate', 'Processing') } },
      { subresource: 'status' },
    );
  }

  /** The first Event of `reason` about the shoot `name`, once there is one. */
  const eventOf = (name: string, reason: string) =>
    eventually(
      async () =>
        (await client.resource(eventResource).list(NS)).items.find(
          (e) => (e.involvedObject as { name?: string } | undefined)?.name === name && e.reason === reason,
        ),
      10_000,
      `the ${reason} Event`,
    );

  it('binds the shoot back to its source once the destination aborted, taking the abort annotation away', async () => {
    const shoot = await movingShoot('live-aborted', 'seed-b', { [LIVE_MIGRATE_ANNOTATION]: 'true' });
    await client.resource(shootResource).patch(NS, shoot.metadata.name!, {
      metadata: { annotations: { [ABORT_LIVE_MIGRATION_ANNOTATION]: 'true' } },
    });
    await writeRecord(client, 'live-aborted', 'Aborted', 'aborted by the annotation');

    const rebound = await eventually(
      async () => {
        const s = await client.resource(shootResource).get(NS, 'live-aborted');
        return s.spec.seedName === 'seed-a' ? s : undefined;
      },
      15_000,
      'the shoot bound to seed-a again',
    );
    assert.equal(rebound.metadata.annotations?.[ABORT_LIVE_MIGRATION_ANNOTATION], undefined);
    assert.equal(rebound.metadata.annotations?.[LIVE_MIGRATE_ANNOTATION], 'true');
    const event = await eventOf('live-aborted', 'LiveMigrationAborted');
    assert.match(String(event.message), /aborted by the annotation.*bound to seed "seed-a" again/);
  });

  it('leaves a live migration alone while the record of this move is not Aborted', async () => {
    await movingShoot('live-running', 'seed-b', { [LIVE_MIGRATE_ANNOTATION]: 'true' });
    // A record of this move, not Aborted; and an Aborted one of another move (from seed-c).
    for (const phase of ['DestinationHashed', 'Aborted'] as const) {
      await writeRecord(client, 'live-running', phase, undefined, phase === 'Aborted' ? 'seed-c' : 'seed-a');
      // The garden's own controller writes the same status meanwhile: a conflict is tried again.
      await eventually(
        () =>
          new ShootMigrationReconciler(client)
            .reconcile({ namespace: NS, name: 'live-running' })
            .then(() => true)
            .catch((err: unknown) => (isConflict(err) ? undefined : Promise.reject(err))),
        10_000,
        'a reconcile without conflict',
      );
      assert.equal((await client.resource(shootResource).get(NS, 'live-running')).spec.seedName, 'seed-b', phase);
    }
  });

  it('says in an Event why a move fell back to the classic migration', async () => {
    await movingShoot('live-fallback', 'seed-c', {
      [LIVE_MIGRATE_ANNOTATION]: 'true',
      [LIVE_MIGRATE_FALLBACK_ANNOTATION]: 'true',
    });
    const event = await eventOf('live-fallback', 'LiveMigrationImpossible');
    assert.equal(event.type, 'Warning');
    assert.match(String(event.message), /classic way.*seed "seed-c" cannot reach the etcd peers of seed "seed-a"/);
  });
});
