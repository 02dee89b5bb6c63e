import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/api/meta.js';
import { seedDefinition } from '../../../src/registry/core-gardener/seed.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();

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
    assert.equal(seedDefinition.group, 'core.gardener.cloud');
    assert.equal(seedDefinition.version, 'v1beta1');
    assert.equal(seedDefinition.namespaced, false);
    assert.equal(seedDefinition.nameRule, 'label');
    assert.deepEqual(
      seedDefinition.subresources?.map((s) => s.name),
      ['status'],
    );
  });

  it('clears status and sets generation 1 on create, preserving unknown fields', () => {
    const obj = structuredClone(manifest);
    seedDefinition.strategy.prepareForCreate!(obj);
    assert.equal(obj.status, undefined);
    assert.equal(obj.metadata.generation, 1);
    assert.deepEqual((obj.spec as Record<string, unknown>).someFutureField, { x: 1 });
    assert.deepEqual(seedDefinition.strategy.validate!(obj), []);
  });

  it('requires a backup provider and keeps the backup once set', () => {
    const noProvider = structuredClone(manifest);
    (noProvider.spec as { backup: Record<string, unknown> }).backup = { region: 'x' };
    assert.deepEqual(
      seedDefinition.strategy.validate!(noProvider).map((e) => e.path),
      ['spec.backup.provider'],
    );
    const removed = structuredClone(manifest);
    delete (removed.spec as Record<string, unknown>).backup;
    assert.deepEqual(
      seedDefinition.strategy.validateUpdate!(removed, manifest).map((e) => e.path),
      ['spec.backup'],
    );
    const moved = structuredClone(manifest);
    (moved.spec as { backup: Record<string, unknown> }).backup.region = 'eu';
    assert.deepEqual(
      seedDefinition.strategy.validateUpdate!(moved, manifest).map((e) => e.type),
      ['FieldImmutable'],
    );
    const added = structuredClone(removed);
    (added.spec as Record<string, unknown>).backup = { provider: 'local' };
    assert.deepEqual(seedDefinition.strategy.validateUpdate!(added, removed), []);
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
    const cells = Object.fromEntries(seedDefinition.columns!.map((c) => [c.name, c.cell(obj)]));
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

  it('prints a stored last operation whose values the Seed guard refuses as it is stored', () => {
    const obj = structuredClone(manifest);
    // The status subresource takes any strings here, as Gardener's does; clients refuse them
    // (src/client/client.ts `checked`), the table shows them.
    obj.status = { lastOperation: { type: 'Foo', state: 'Bar' } };
    assert.deepEqual(seedDefinition.subresources![0]!.strategy.validateUpdate!(obj, manifest), []);
    const cell = seedDefinition.columns!.find((c) => c.name === 'LAST OPERATION')!.cell(obj);
    assert.equal(cell, 'Foo Bar (0%)');
  });
});
