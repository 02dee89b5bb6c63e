import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/api/meta.js';
import type { ResourceDefinition } from '../../../src/apiserver/types.js';
import { backupBucketDefinition } from '../../../src/registry/core-gardener/backup-bucket.js';
import { backupEntryDefinition } from '../../../src/registry/core-gardener/backup-entry.js';
import { gardenerDefinitions } from '../../../src/registry/core-gardener/index.js';
import { projectDefinition } from '../../../src/registry/core-gardener/project.js';
import { shootStateDefinition } from '../../../src/registry/core-gardener/shoot-state.js';

function cells(def: ResourceDefinition, obj: KubeObject): Record<string, unknown> {
  return Object.fromEntries((def.columns ?? []).filter((c) => c.name !== 'AGE').map((c) => [c.name, c.cell(obj)]));
}

describe('gardenerDefinitions', () => {
  it('lists the Gardener kinds with their scope and status', () => {
    assert.deepEqual(
      gardenerDefinitions.map((d) => [d.group, d.version, d.kind, d.plural, d.namespaced, d.hasStatus !== false]),
      [
        ['core.gardener.cloud', 'v1beta1', 'Project', 'projects', false, true],
        ['core.gardener.cloud', 'v1beta1', 'Seed', 'seeds', false, true],
        ['core.gardener.cloud', 'v1beta1', 'Shoot', 'shoots', true, true],
        ['core.gardener.cloud', 'v1beta1', 'ShootState', 'shootstates', true, false],
        ['core.gardener.cloud', 'v1beta1', 'BackupBucket', 'backupbuckets', false, true],
        ['core.gardener.cloud', 'v1beta1', 'BackupEntry', 'backupentries', true, true],
        ['core.gardener.cloud', 'v1beta1', 'ControllerRegistration', 'controllerregistrations', false, false],
        ['core.gardener.cloud', 'v1beta1', 'ControllerInstallation', 'controllerinstallations', false, true],
        ['core.gardener.cloud', 'v1beta1', 'CloudProfile', 'cloudprofiles', false, false],
        ['core.gardener.cloud', 'v1beta1', 'SecretBinding', 'secretbindings', true, false],
        ['core.gardener.cloud', 'v1beta1', 'Quota', 'quotas', true, false],
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
    projectDefinition.strategy.prepareForCreate!(obj);
    assert.deepEqual(obj.spec, { owner: { kind: 'User', name: 'operator' }, namespace: 'garden-dev' });
    assert.equal(obj.status, undefined);
    assert.deepEqual(projectDefinition.strategy.validate!(obj), []);
    assert.deepEqual(cells(projectDefinition, obj), {
      NAMESPACE: 'garden-dev',
      STATUS: '<unknown>',
      OWNER: 'operator',
      CREATOR: '<unknown>',
    });
    const bare: KubeObject = { metadata: { name: 'ops' } };
    projectDefinition.strategy.prepareForCreate!(bare);
    assert.deepEqual(bare.spec, { namespace: 'garden-ops' });
  });

  it('keeps spec.namespace once set', () => {
    const old: KubeObject = { metadata: { name: 'dev' }, spec: { namespace: 'garden-dev' } };
    const errors = projectDefinition.strategy.validateUpdate!(
      { metadata: { name: 'dev' }, spec: { namespace: 'garden-x' } },
      old,
    );
    assert.deepEqual(
      errors.map((e) => [e.path, e.type]),
      [['spec.namespace', 'FieldImmutable']],
    );
    assert.equal(
      projectDefinition.strategy.validate!({ metadata: { name: 'dev' }, spec: { namespace: 'Bad' } })[0]!.path,
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
    projectDefinition.subresources![0]!.strategy.prepareForUpdate!(next, old);
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
    assert.deepEqual(shootStateDefinition.strategy.validate!(state), []);
    assert.deepEqual(cells(shootStateDefinition, state), { GARDENER: 1, EXTENSIONS: 1, RESOURCES: 1 });
    const bad = structuredClone(state);
    (bad.spec as { gardener: unknown[] }).gardener.push({ name: 'ca', type: 'secret' }, { type: 'x' });
    assert.deepEqual(
      shootStateDefinition.strategy.validate!(bad).map((e) => e.path),
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
    assert.deepEqual(backupBucketDefinition.strategy.validate!(bucket), []);
    assert.deepEqual(cells(backupBucketDefinition, bucket), {
      PROVIDER: 'local',
      REGION: 'local',
      SEED: 'seed-a',
      OPERATION: 'Succeeded',
      PROGRESS: 100,
    });
    assert.deepEqual(
      backupBucketDefinition.strategy.validate!({ metadata: { name: 'b' }, spec: {} }).map((e) => e.path),
      ['spec.provider'],
    );
    assert.equal(backupBucketDefinition.selectableFields!['spec.seedName']!(bucket), 'seed-a');
  });

  it('BackupEntry requires a bucket, selects by seed names and keeps spec on status writes', () => {
    const entry: KubeObject = {
      metadata: { name: 'shoot--dev--my-shoot--uid', namespace: 'garden-dev', generation: 2 },
      spec: { bucketName: 'uid-of-seed-a', seedName: 'seed-b' },
      status: { seedName: 'seed-a' },
    };
    assert.deepEqual(backupEntryDefinition.strategy.validate!(entry), []);
    assert.deepEqual(
      backupEntryDefinition.strategy.validate!({ metadata: { name: 'e' }, spec: {} }).map((e) => e.path),
      ['spec.bucketName'],
    );
    assert.equal(backupEntryDefinition.selectableFields!['spec.seedName']!(entry), 'seed-b');
    assert.equal(backupEntryDefinition.selectableFields!['status.seedName']!(entry), 'seed-a');
    assert.deepEqual(cells(backupEntryDefinition, entry), {
      BUCKET: 'uid-of-seed-a',
      SEED: 'seed-b',
      OPERATION: '<pending>',
      PROGRESS: 0,
      'STATUS SEED': 'seed-a',
    });
    const status = backupEntryDefinition.subresources![0]!.strategy;
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
