import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backupBucketResource,
  backupEntryResource,
  conditionOf,
  gardenResources,
  projectResource,
  setCondition,
  shootStateResource,
} from '../../../src/api/core-gardener/index.js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { ResourceDefinition } from '../../../src/apiserver/types.js';

function cells(def: ResourceDefinition, obj: KubeObject): Record<string, unknown> {
  return Object.fromEntries((def.columns ?? []).filter((c) => c.name !== 'AGE').map((c) => [c.name, c.cell(obj)]));
}

describe('gardenResources', () => {
  it('lists the Gardener kinds with their scope and status', () => {
    assert.deepEqual(
      gardenResources.map((d) => [d.group, d.version, d.kind, d.plural, d.namespaced, d.hasStatus !== false]),
      [
        ['core.gardener.cloud', 'v1beta1', 'Project', 'projects', false, true],
        ['core.gardener.cloud', 'v1beta1', 'Seed', 'seeds', false, true],
        ['core.gardener.cloud', 'v1beta1', 'Shoot', 'shoots', true, true],
        ['core.gardener.cloud', 'v1beta1', 'ShootState', 'shootstates', true, false],
        ['core.gardener.cloud', 'v1beta1', 'BackupBucket', 'backupbuckets', false, true],
        ['core.gardener.cloud', 'v1beta1', 'BackupEntry', 'backupentries', true, true],
      ],
    );
  });
});

describe('Project', () => {
  it('defaults spec.namespace to garden-<name> and shows Gardener’s columns', () => {
    const obj: KubeObject = {
      metadata: { name: 'dev' },
      spec: { owner: { kind: 'User', name: 'operator' } },
      status: { phase: 'Ready' },
    };
    projectResource.strategy.prepareForCreate!(obj);
    assert.deepEqual(obj.spec, { owner: { kind: 'User', name: 'operator' }, namespace: 'garden-dev' });
    assert.equal(obj.status, undefined);
    assert.deepEqual(projectResource.strategy.validate!(obj), []);
    assert.deepEqual(cells(projectResource, obj), {
      NAMESPACE: 'garden-dev',
      STATUS: '<unknown>',
      OWNER: 'operator',
      CREATOR: '<unknown>',
    });
    const bare: KubeObject = { metadata: { name: 'ops' } };
    projectResource.strategy.prepareForCreate!(bare);
    assert.deepEqual(bare.spec, { namespace: 'garden-ops' });
  });

  it('keeps spec.namespace once set', () => {
    const old: KubeObject = { metadata: { name: 'dev' }, spec: { namespace: 'garden-dev' } };
    const errors = projectResource.strategy.validateUpdate!(
      { metadata: { name: 'dev' }, spec: { namespace: 'garden-x' } },
      old,
    );
    assert.deepEqual(
      errors.map((e) => [e.path, e.type]),
      [['spec.namespace', 'FieldImmutable']],
    );
    assert.equal(
      projectResource.strategy.validate!({ metadata: { name: 'dev' }, spec: { namespace: 'Bad' } })[0]!.path,
      'spec.namespace',
    );
  });

  it('lets the controller set the phase through status only', () => {
    const old: KubeObject = { metadata: { name: 'dev', generation: 1 }, spec: { namespace: 'garden-dev' } };
    const next: KubeObject = {
      metadata: { name: 'dev' },
      spec: { namespace: 'x' },
      status: { phase: 'Ready', observedGeneration: 1 },
    };
    projectResource.subresources![0]!.strategy.prepareForUpdate!(next, old);
    assert.deepEqual(next, {
      metadata: { name: 'dev', generation: 1 },
      spec: { namespace: 'garden-dev' },
      status: { phase: 'Ready', observedGeneration: 1 },
    });
  });
});

describe('ShootState', () => {
  const state: KubeObject = {
    metadata: { name: 'my-shoot', namespace: 'garden-dev' },
    spec: {
      gardener: [{ name: 'ca', type: 'secret', data: { data: {} }, labels: { persist: 'true' } }],
      extensions: [{ kind: 'Infrastructure', state: { any: 'thing' } }],
      resources: [{ apiVersion: 'v1', kind: 'Secret', name: 'x', data: {} }],
    },
  };

  it('validates entries and counts them', () => {
    assert.deepEqual(shootStateResource.strategy.validate!(state), []);
    assert.deepEqual(cells(shootStateResource, state), { GARDENER: 1, EXTENSIONS: 1, RESOURCES: 1 });
    const bad = structuredClone(state);
    (bad.spec as { gardener: unknown[] }).gardener.push({ name: 'ca', type: 'secret' }, { type: 'x' });
    assert.deepEqual(
      shootStateResource.strategy.validate!(bad).map((e) => e.path),
      ['spec.gardener[1].name', 'spec.gardener[2].name'],
    );
  });
});

describe('BackupBucket and BackupEntry', () => {
  it('BackupBucket requires a provider type and shows Gardener’s columns', () => {
    const bucket: KubeObject = {
      metadata: { name: 'uid-of-seed-a' },
      spec: {
        provider: { type: 'local', region: 'local' },
        seedName: 'seed-a',
        credentialsRef: { kind: 'Secret', name: 'backup-seed-a', namespace: 'garden' },
      },
      status: { lastOperation: { type: 'Reconcile', state: 'Succeeded', progress: 100 } },
    };
    assert.deepEqual(backupBucketResource.strategy.validate!(bucket), []);
    assert.deepEqual(cells(backupBucketResource, bucket), {
      PROVIDER: 'local',
      REGION: 'local',
      SEED: 'seed-a',
      OPERATION: 'Succeeded',
      PROGRESS: 100,
    });
    assert.deepEqual(
      backupBucketResource.strategy.validate!({ metadata: { name: 'b' }, spec: {} }).map((e) => e.path),
      ['spec.provider'],
    );
    assert.equal(backupBucketResource.selectableFields!['spec.seedName']!(bucket), 'seed-a');
  });

  it('BackupEntry requires a bucket, selects by seed names and keeps spec on status writes', () => {
    const entry: KubeObject = {
      metadata: { name: 'shoot--dev--my-shoot--uid', namespace: 'garden-dev', generation: 2 },
      spec: { bucketName: 'uid-of-seed-a', seedName: 'seed-b' },
      status: { seedName: 'seed-a' },
    };
    assert.deepEqual(backupEntryResource.strategy.validate!(entry), []);
    assert.deepEqual(
      backupEntryResource.strategy.validate!({ metadata: { name: 'e' }, spec: {} }).map((e) => e.path),
      ['spec.bucketName'],
    );
    assert.equal(backupEntryResource.selectableFields!['spec.seedName']!(entry), 'seed-b');
    assert.equal(backupEntryResource.selectableFields!['status.seedName']!(entry), 'seed-a');
    assert.deepEqual(cells(backupEntryResource, entry), {
      BUCKET: 'uid-of-seed-a',
      SEED: 'seed-b',
      OPERATION: '<pending>',
      PROGRESS: 0,
      'STATUS SEED': 'seed-a',
    });
    const status = backupEntryResource.subresources![0]!.strategy;
    const next: KubeObject = {
      metadata: { name: entry.metadata.name },
      spec: { bucketName: 'other' },
      status: { seedName: null },
    };
    status.prepareForUpdate!(next, entry);
    assert.deepEqual(next.spec, entry.spec);
    assert.equal(next.metadata.generation, 2);
    assert.deepEqual(status.validateUpdate!(next, entry), []);
    assert.equal(status.validateUpdate!({ ...next, status: { seedName: 'Bad' } }, entry)[0]!.path, 'status.seedName');
  });
});

describe('conditions', () => {
  it('setCondition keeps lastTransitionTime while the status stays', () => {
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-01T00:01:00Z');
    const first = setCondition([], 'GardenletReady', 'True', 'GardenletReady', 'ok', t1);
    const second = setCondition(first, 'GardenletReady', 'True', 'GardenletReady', 'ok', t2);
    assert.equal(second[0]!.lastTransitionTime, '2026-01-01T00:00:00Z');
    assert.equal(second[0]!.lastUpdateTime, '2026-01-01T00:01:00Z');
    const third = setCondition(second, 'GardenletReady', 'Unknown', 'GardenletStatusUnknown', 'stale', t2);
    assert.equal(third[0]!.lastTransitionTime, '2026-01-01T00:01:00Z');
    assert.equal(conditionOf({ metadata: {}, status: { conditions: third } }, 'GardenletReady')?.status, 'Unknown');
  });
});
