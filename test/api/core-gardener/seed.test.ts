import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatDuration,
  SEED_HEARTBEAT_MAX_AGE_SECONDS,
  type Seed,
  seedBackupSecretRef,
  seedHasBackup,
  seedReadiness,
  seedStatusColumn,
} from '../../../src/api/core-gardener/index.js';
import type { Condition } from '../../../src/api/meta.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();

function seed(conditions: Partial<Record<string, Condition['status']>>, updatedAgo = 10): Seed {
  return {
    metadata: { name: 'seed-b' },
    spec: { provider: { type: 'local', region: 'local' } },
    status: {
      conditions: Object.entries(conditions).map(([type, status]) => ({
        type,
        status: status ?? 'Unknown',
        lastTransitionTime: ago(600),
        lastUpdateTime: ago(updatedAgo),
        reason: 'Because',
        message: `${type} message`,
      })),
    },
  };
}

const allTrue = {
  GardenletReady: 'True',
  BackupBucketsReady: 'True',
  ExtensionsReady: 'True',
  SeedSystemComponentsHealthy: 'True',
} as const;

describe('seedReadiness', () => {
  it('is ready with a fresh GardenletReady and every reported condition True', () => {
    assert.equal(seedReadiness(seed(allTrue), NOW).ready, true);
    assert.equal(seedReadiness(seed({ GardenletReady: 'True' }), NOW).ready, true);
    assert.equal(SEED_HEARTBEAT_MAX_AGE_SECONDS, 60);
  });

  it('names a missing, non-True or stale GardenletReady', () => {
    assert.match(seedReadiness(seed({}), NOW).reason, /condition GardenletReady has not been reported yet/);
    assert.equal(
      seedReadiness(seed({ GardenletReady: 'False' }), NOW).reason,
      'condition GardenletReady is False for 10m0s (Because: GardenletReady message)',
    );
    const stale = seedReadiness(seed({ GardenletReady: 'True' }, 61), NOW);
    assert.equal(stale.ready, false);
    assert.match(stale.reason, /last heartbeat .* was 1m1s ago, more than the allowed 1m0s/);
    assert.equal(seedReadiness(seed({ GardenletReady: 'True' }, 61), NOW, 120).ready, true);
  });

  it('names every other failing condition', () => {
    const result = seedReadiness(
      seed({ ...allTrue, ExtensionsReady: 'Progressing', SeedSystemComponentsHealthy: 'Unknown' }),
      NOW,
    );
    assert.equal(result.ready, false);
    assert.match(result.reason, /condition ExtensionsReady is Progressing for 10m0s/);
    assert.match(result.reason, /; condition SeedSystemComponentsHealthy is Unknown/);
  });

  it('formats durations like Go', () => {
    assert.deepEqual([formatDuration(5), formatDuration(60), formatDuration(3723)], ['5s', '1m0s', '1h2m3s']);
  });
});

describe('seedStatusColumn (Gardener seed table)', () => {
  const cases: [Partial<Record<string, Condition['status']>>, string][] = [
    [allTrue, 'Ready'],
    [{ GardenletReady: 'True', ExtensionsReady: 'True' }, 'Ready'],
    [{ ...allTrue, ExtensionsReady: 'Progressing', SeedSystemComponentsHealthy: 'Progressing' }, 'Ready'],
    [{ GardenletReady: 'Unknown', ExtensionsReady: 'False' }, 'Unknown'],
    [{ GardenletReady: 'False', ExtensionsReady: 'True' }, 'NotReady'],
    [{ ExtensionsReady: 'True' }, 'NotReady'],
    [{ GardenletReady: 'True' }, 'NotReady'],
    [{ ...allTrue, BackupBucketsReady: 'Progressing' }, 'NotReady'],
    [{ ...allTrue, ExtensionsReady: 'Unknown' }, 'NotReady'],
    [{ ...allTrue, SeedSystemComponentsHealthy: 'False' }, 'NotReady'],
  ];
  for (const [conditions, expected] of cases) {
    it(`${JSON.stringify(conditions)} → ${expected}`, () => {
      assert.equal(seedStatusColumn(seed(conditions)), expected);
    });
  }
});

describe('Seed backup readers', () => {
  const manifest: Seed = {
    metadata: { name: 'seed-a' },
    spec: {
      backup: {
        provider: 'local',
        region: 'local',
        credentialsRef: { apiVersion: 'v1', kind: 'Secret', name: 'backup-seed-a', namespace: 'garden' },
      },
    },
  };

  it('reads the backup and its secret', () => {
    assert.ok(seedHasBackup(manifest));
    assert.deepEqual(seedBackupSecretRef(manifest), { name: 'backup-seed-a', namespace: 'garden' });
    assert.deepEqual(
      seedBackupSecretRef({
        metadata: {},
        spec: { backup: { provider: 'p', secretRef: { name: 'x', namespace: 'n' } } },
      }),
      { name: 'x', namespace: 'n' },
    );
  });
});
