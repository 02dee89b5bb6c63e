/**
 * The `ReadyForMigration` constraint the garden keeps on a shoot being moved: the destination
 * exists, is not being deleted, is ready, and its gardenlet reported since the migration began.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCondition } from '../../../src/api/core-gardener/conditions.js';
import { migrationReadiness, withMigrationReadiness } from '../../../src/api/core-gardener/migration-readiness.js';
import type { Seed } from '../../../src/api/core-gardener/seed.js';

const now = new Date('2026-01-01T12:00:30Z');
const started = '2026-01-01T12:00:10Z';

function seed(heartbeat: string, extra: Partial<Seed['metadata']> = {}): Seed {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Seed',
    metadata: { name: 'seed-b', ...extra },
    spec: {},
    status: {
      conditions: [
        {
          type: 'GardenletReady',
          status: 'True',
          lastTransitionTime: '2026-01-01T11:00:00Z',
          lastUpdateTime: heartbeat,
        },
      ],
    },
  } as Seed;
}

describe('ReadyForMigration', () => {
  it('is True once the ready destination reported after the migration began, in the same second too', () => {
    for (const heartbeat of ['2026-01-01T12:00:25Z', started]) {
      assert.deepEqual(migrationReadiness('seed-b', seed(heartbeat), started, now), {
        status: 'True',
        reason: 'DestinationSeedReady',
        message: 'Destination seed cluster is ready for the shoot migration',
      });
    }
  });

  it('is False, saying why, for a destination that has not reported since, is gone, deleted or stale', () => {
    const quiet = migrationReadiness('seed-b', seed('2026-01-01T12:00:09Z'), started, now);
    assert.equal(quiet.status, 'False');
    assert.equal(quiet.reason, 'DestinationSeedUnready');
    assert.match(
      quiet.message,
      /seed-b is not ready: its gardenlet has not reported since the migration started at 2026-01-01T12:00:10Z/,
    );
    assert.match(migrationReadiness('seed-b', null, started, now).message, /seed-b is not ready: it does not exist/);
    const deleted = migrationReadiness(
      'seed-b',
      seed('2026-01-01T12:00:25Z', { deletionTimestamp: started }),
      started,
      now,
    );
    assert.equal(deleted.reason, 'DestinationSeedInDeletion');
    const stale = migrationReadiness('seed-b', seed('2026-01-01T12:00:25Z'), started, new Date('2026-01-01T12:05:00Z'));
    assert.match(stale.message, /last heartbeat .* ago, more than the allowed 1m0s/);
  });

  it('is written into the constraints only when it says something new', () => {
    const ready = migrationReadiness('seed-b', seed('2026-01-01T12:00:25Z'), started, now);
    const first = withMigrationReadiness([], ready, now);
    assert.equal(getCondition(first, 'ReadyForMigration')?.status, 'True');
    assert.equal(withMigrationReadiness(first, ready, new Date('2026-01-01T12:01:00Z')), first);
    const other = [{ type: 'HibernationPossible', status: 'True' as const }];
    assert.equal(withMigrationReadiness(other, ready, now).length, 2);
  });
});
