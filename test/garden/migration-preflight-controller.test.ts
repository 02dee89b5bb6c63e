/**
 * The garden's answers to a MigrationPreflight (answerPreflight, with the garden's facts faked):
 * every garden check passes for a movable shoot and a ready target and the seeds' probes are
 * asked for; each way a move cannot work fails its check naming why; unanswered probes fail at
 * the deadline naming the seed; the phase follows the checks and completion freezes it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ETCD_PEER_ENDPOINT_ANNOTATION,
  ETCD_PEERS_REACHED_ANNOTATION,
} from '../../src/api/core-gardener/etcd-peer-reachability.js';
import type { Seed, Shoot } from '../../src/api/core-gardener/index.js';
import {
  LIVE_MIGRATE_ANNOTATION,
  LIVE_MIGRATE_FALLBACK_ANNOTATION,
} from '../../src/api/core-gardener/live-migration.js';
import {
  type MigrationPreflight,
  type MigrationPreflightStatus,
  PreflightCheckName,
} from '../../src/api/migration-transplant/migration-preflight.js';
import { answerPreflight, type PreflightFacts } from '../../src/garden/controllers/migration-preflight-controller.js';

const NOW = new Date('2026-12-07T10:00:00Z');
const NAMESPACE = 'garden-dev';

function seed(
  name: string,
  options: { ready?: boolean; backup?: boolean; allocatable?: number; peers?: string } = {},
): Seed {
  const { ready = true, backup = true } = options;
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Seed',
    metadata: {
      name,
      ...(options.peers !== undefined
        ? {
            annotations: {
              [ETCD_PEER_ENDPOINT_ANNOTATION]: `${name}:7000`,
              [ETCD_PEERS_REACHED_ANNOTATION]: options.peers,
            },
          }
        : {}),
    },
    spec: {
      provider: { type: 'local' },
      ...(backup
        ? {
            backup: {
              provider: 'local',
              credentialsRef: { apiVersion: 'v1', kind: 'Secret', name: `backup-${name}`, namespace: 'garden' },
            },
          }
        : {}),
    },
    status: {
      conditions: [
        {
          type: 'GardenletReady',
          status: ready ? 'True' : 'False',
          reason: ready ? 'GardenletReady' : 'GardenletDown',
          message: ready ? 'ok' : 'the gardenlet is down',
          lastTransitionTime: '2026-12-07T09:00:00Z',
          lastUpdateTime: '2026-12-07T09:59:50Z',
        },
      ],
      ...(options.allocatable !== undefined ? { allocatable: { shoots: String(options.allocatable) } } : {}),
    },
  } as unknown as Seed;
}

function shoot(
  options: { spec?: string; status?: string; live?: boolean; fallback?: boolean; deleting?: boolean } = {},
): Shoot {
  const { spec = 'seed-a', status = spec } = options;
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: {
      name: 'my-shoot',
      namespace: NAMESPACE,
      annotations: {
        ...(options.live ? { [LIVE_MIGRATE_ANNOTATION]: 'true' } : {}),
        ...(options.fallback ? { [LIVE_MIGRATE_FALLBACK_ANNOTATION]: 'true' } : {}),
      },
      ...(options.deleting ? { deletionTimestamp: '2026-12-07T09:59:00Z' } : {}),
    },
    spec: { seedName: spec },
    status: { seedName: status },
  } as unknown as Shoot;
}

function request(target = 'seed-b', status?: MigrationPreflightStatus): MigrationPreflight {
  return {
    apiVersion: 'migration.transplant.gardener.cloud/v1alpha1',
    kind: 'MigrationPreflight',
    metadata: { name: 'my-shoot-x', namespace: NAMESPACE, uid: 'u1', creationTimestamp: '2026-12-07T09:59:59Z' },
    spec: { shootName: 'my-shoot', seedName: target, username: 'operator', groups: ['gardener.cloud:operators'] },
    ...(status ? { status } : {}),
  };
}

function facts(world: {
  shoot?: Shoot | null;
  seeds?: Seed[];
  placed?: number;
  missing?: string;
  mayBind?: boolean;
}): PreflightFacts {
  const seeds = new Map((world.seeds ?? [seed('seed-a'), seed('seed-b')]).map((s) => [s.metadata.name!, s]));
  return {
    shoot: async () => (world.shoot === undefined ? shoot() : world.shoot),
    seed: async (name) => seeds.get(name) ?? null,
    shootsOn: async () => world.placed ?? 1,
    missingExtensions: async () => world.missing,
    backupStore: async (s) => ({ provider: 'local', endpoint: `file:///stores/${s.metadata.name}` }),
    mayBind: async () => world.mayBind ?? true,
  };
}

const check = (status: MigrationPreflightStatus, name: string) => status.checks?.find((c) => c.name === name);
const failed = (status: MigrationPreflightStatus) =>
  Object.fromEntries((status.checks ?? []).filter((c) => c.status === 'Failed').map((c) => [c.name, c.message]));

describe('answerPreflight', () => {
  it('passes every garden check of a movable shoot and asks both seeds to probe', async () => {
    const status = await answerPreflight(request(), facts({}), NOW, false);
    assert.deepEqual(failed(status), {});
    assert.equal(status.phase, 'Pending');
    assert.equal(status.sourceSeedName, 'seed-a');
    assert.deepEqual(status.sourceBackupStore, { provider: 'local', endpoint: 'file:///stores/seed-a' });
    assert.equal(status.plan?.mode, 'classic');
    assert.deepEqual(
      [check(status, 'TargetSeedReachesSourceBackupStore'), check(status, 'MachinesReachTargetSeed')].map((c) => [
        c?.status,
        c?.origin,
      ]),
      [
        ['Pending', 'seed/seed-b'],
        ['Pending', 'seed/seed-a'],
      ],
    );
    assert.equal(
      check(status, 'RequesterMayBind')?.message,
      'user "operator" may update shoots/binding of garden-dev/my-shoot',
    );
  });

  it('succeeds once both seeds answered Passed, and keeps its completion time', async () => {
    const asked = await answerPreflight(request(), facts({}), NOW, false);
    const answered = {
      ...asked,
      checks: asked.checks!.map((c) =>
        c.status === 'Pending' ? { ...c, status: 'Passed' as const, message: 'reached' } : c,
      ),
    };
    const done = await answerPreflight(request('seed-b', answered), facts({}), NOW, false);
    assert.equal(done.phase, 'Succeeded');
    assert.equal(done.completionTime, '2026-12-07T10:00:00Z');
  });

  it('fails the probes nobody answered by the deadline, naming the seed', async () => {
    const asked = await answerPreflight(request(), facts({}), NOW, false);
    const late = await answerPreflight(request('seed-b', asked), facts({}), NOW, true);
    assert.equal(late.phase, 'Failed');
    assert.match(failed(late).TargetSeedReachesSourceBackupStore!, /seed "seed-b" did not answer within 30 s/);
    assert.match(failed(late).MachinesReachTargetSeed!, /seed "seed-a" did not answer/);
  });

  it('names each reason a move cannot work', async () => {
    const cases: [string, Parameters<typeof facts>[0], PreflightCheckName, RegExp][] = [
      ['no shoot', { shoot: null }, PreflightCheckName.ShootMovable, /shoot "garden-dev\/my-shoot" does not exist/],
      ['deleting', { shoot: shoot({ deleting: true }) }, PreflightCheckName.ShootMovable, /is being deleted/],
      [
        'moving',
        { shoot: shoot({ spec: 'seed-b', status: 'seed-a' }) },
        PreflightCheckName.ShootMovable,
        /is being moved already/,
      ],
      [
        'there already',
        { shoot: shoot({ spec: 'seed-b' }) },
        PreflightCheckName.ShootMovable,
        /runs on seed "seed-b" already/,
      ],
      [
        'target unready',
        { seeds: [seed('seed-a'), seed('seed-b', { ready: false })] },
        PreflightCheckName.TargetSeedReady,
        /seed "seed-b" is not ready: .*the gardenlet is down/,
      ],
      ['no target', { seeds: [seed('seed-a')] }, PreflightCheckName.TargetSeedReady, /seed "seed-b" does not exist/],
      [
        'full',
        { seeds: [seed('seed-a'), seed('seed-b', { allocatable: 3 })], placed: 3 },
        PreflightCheckName.TargetSeedHasRoom,
        /holds 3 shoots of the 3 it allows/,
      ],
      [
        'no backup',
        { seeds: [seed('seed-a', { backup: false }), seed('seed-b')] },
        PreflightCheckName.BackupsConfigured,
        /seed "seed-a" has no spec.backup/,
      ],
      [
        'extension',
        { missing: 'seed "seed-b" does not run the extensions the shoot needs: Worker/local' },
        PreflightCheckName.ExtensionsAvailable,
        /Worker\/local/,
      ],
      [
        'member',
        { mayBind: false },
        PreflightCheckName.RequesterMayBind,
        /user "operator" may not update shoots\/binding/,
      ],
      [
        'live, unreachable',
        { shoot: shoot({ live: true }) },
        PreflightCheckName.LiveMigrationPossible,
        /the binding would be refused: .*etcd peer/,
      ],
    ];
    for (const [name, world, failing, reason] of cases) {
      const status = await answerPreflight(request(), facts(world), NOW, false);
      assert.match(failed(status)[failing] ?? '(passed)', reason, name);
    }
  });

  it("judges a live move by both seeds' peer reports, and a fallback as classic", async () => {
    const reached = (other: string) =>
      JSON.stringify({
        [other]: { endpoint: `${other}:7000`, reachable: true, lastProbeTime: '2026-12-07T09:59:58Z' },
      });
    const seeds = [seed('seed-a', { peers: reached('seed-b') }), seed('seed-b', { peers: reached('seed-a') })];
    const live = await answerPreflight(request(), facts({ shoot: shoot({ live: true }), seeds }), NOW, false);
    assert.equal(check(live, 'LiveMigrationPossible')?.status, 'Passed');
    assert.equal(live.plan?.mode, 'live');
    const fallback = await answerPreflight(
      request(),
      facts({ shoot: shoot({ live: true, fallback: true }) }),
      NOW,
      false,
    );
    assert.match(check(fallback, 'LiveMigrationPossible')?.message ?? '', /falls back to the classic migration/);
    assert.equal(fallback.plan?.mode, 'classic');
  });
});
