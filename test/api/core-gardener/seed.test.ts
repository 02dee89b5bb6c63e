import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatDuration,
  SEED_HEARTBEAT_MAX_AGE_SECONDS,
  seedBackupSecretRef,
  seedHasBackup,
  seedReadiness,
  seedResource,
  seedStatusColumn,
} from '../../../src/api/core-gardener/index.js';
import type { Condition, KubeObject } from '../../../src/api/meta.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();

function seed(conditions: Partial<Record<string, Condition['status']>>, updatedAgo = 10): KubeObject {
  return {
    metadata: { name: 'seed-b' },
    spec: { provider: { type: 'local', region: 'local' } },
    status: {
      conditions: Object.entries(conditions).map(([type, status]) => ({
        type,
        status,
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

describe('Seed resource', () => {
  const manifest: KubeObject = {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Seed',
    metadata: { name: 'seed-a', creationTimestamp: ago(120) },
    spec: {
      provider: { type: 'local', region: 'local' },
      backup: {
        provider: 'local',
        region: 'local',
        credentialsRef: { apiVersion: 'v1', kind: 'Secret', name: 'backup-seed-a', namespace: 'garden' },
      },
      settings: { scheduling: { visible: true } },
      someFutureField: { x: 1 },
    },
    status: { conditions: [] },
  };

  it('is cluster-scoped core.gardener.cloud/v1beta1 with label names and a status subresource', () => {
    assert.equal(seedResource.group, 'core.gardener.cloud');
    assert.equal(seedResource.version, 'v1beta1');
    assert.equal(seedResource.namespaced, false);
    assert.equal(seedResource.nameRule, 'label');
    assert.deepEqual(
      seedResource.subresources?.map((s) => s.name),
      ['status'],
    );
  });

  it('clears status and sets generation 1 on create, preserving unknown fields', () => {
    const obj = structuredClone(manifest);
    seedResource.strategy.prepareForCreate!(obj);
    assert.equal(obj.status, undefined);
    assert.equal(obj.metadata.generation, 1);
    assert.deepEqual((obj.spec as Record<string, unknown>).someFutureField, { x: 1 });
    assert.deepEqual(seedResource.strategy.validate!(obj), []);
  });

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

  it('requires a backup provider and keeps the backup once set', () => {
    const noProvider = structuredClone(manifest);
    (noProvider.spec as { backup: Record<string, unknown> }).backup = { region: 'x' };
    assert.deepEqual(
      seedResource.strategy.validate!(noProvider).map((e) => e.path),
      ['spec.backup.provider'],
    );
    const removed = structuredClone(manifest);
    delete (removed.spec as Record<string, unknown>).backup;
    assert.deepEqual(
      seedResource.strategy.validateUpdate!(removed, manifest).map((e) => e.path),
      ['spec.backup'],
    );
    const moved = structuredClone(manifest);
    (moved.spec as { backup: Record<string, unknown> }).backup.region = 'eu';
    assert.deepEqual(
      seedResource.strategy.validateUpdate!(moved, manifest).map((e) => e.type),
      ['FieldImmutable'],
    );
    const added = structuredClone(removed);
    (added.spec as Record<string, unknown>).backup = { provider: 'local' };
    assert.deepEqual(seedResource.strategy.validateUpdate!(added, removed), []);
  });

  it('prints Gardener’s columns', () => {
    const obj = structuredClone(manifest);
    obj.status = {
      conditions: [
        { type: 'GardenletReady', status: 'True' },
        { type: 'ExtensionsReady', status: 'True' },
      ],
      lastOperation: { type: 'Reconcile', state: 'Succeeded', progress: 100 },
      gardener: { version: '1.100.0' },
      kubernetesVersion: '1.31.1',
    };
    obj.metadata.creationTimestamp = new Date(Date.now() - 180_000).toISOString();
    const cells = Object.fromEntries(seedResource.columns!.map((c) => [c.name, c.cell(obj)]));
    assert.deepEqual(cells, {
      STATUS: 'Ready',
      'LAST OPERATION': 'Reconcile Succeeded (100%)',
      PROVIDER: 'local',
      REGION: 'local',
      AGE: '3m',
      VERSION: '1.100.0',
      'K8S VERSION': '1.31.1',
    });
  });
});
