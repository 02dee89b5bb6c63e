import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shootResource, shootSpecSeedName, shootStatusSeedName } from '../../../src/api/core-gardener/shoot.js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { Strategy } from '../../../src/apiserver/types.js';
import { checked } from '../../../src/client/client.js';
import { shootDefinition } from '../../../src/registry/core-gardener/shoot.js';
import { sampleShoot as shoot } from '../../helpers/sample-objects.js';

function sub(name: string): Strategy {
  return shootDefinition.subresources!.find((s) => s.name === name)!.strategy;
}

function updated(strategy: Strategy, obj: KubeObject, old: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  strategy.prepareForUpdate!(copy, old);
  return copy;
}

describe('Shoot resource', () => {
  it('is namespaced with status and binding subresources and seedName field selectors', () => {
    assert.equal(shootDefinition.plural, 'shoots');
    assert.equal(shootDefinition.namespaced, true);
    assert.equal(shootDefinition.nameRule, 'label');
    assert.deepEqual(
      shootDefinition.subresources!.map((s) => s.name),
      ['status', 'binding'],
    );
    assert.deepEqual(shootDefinition.subresources!.find((s) => s.name === 'binding')!.verbs, [
      'get',
      'update',
      'patch',
    ]);
    const fields = shootDefinition.selectableFields!;
    assert.equal(fields['spec.seedName']!(shoot()), 'seed-a');
    assert.equal(fields['status.seedName']!(shoot({ status: { seedName: null } })), '');
    assert.equal(fields['spec.seedName']!(shoot({ spec: { seedName: null } })), '');
    assert.equal(fields['spec.cloudProfileName']!(shoot()), 'local');
  });

  it('create: clears the status, sets generation 1 and keeps unknown fields', () => {
    const obj = shoot();
    shootDefinition.strategy.prepareForCreate!(obj);
    assert.equal(obj.status, undefined);
    assert.equal(obj.metadata.generation, 1);
    assert.deepEqual((obj.spec as Record<string, unknown>).futureField, { keep: 'me' });
    assert.deepEqual(shootDefinition.strategy.validate!(obj), []);
  });

  it('update: keeps the stored status and bumps the generation only for spec changes', () => {
    const old = shoot();
    const relabelled = updated(
      shootDefinition.strategy,
      shoot({ metadata: { labels: { a: 'b' } }, status: { seedName: 'x' } }),
      old,
    );
    assert.deepEqual(relabelled.status, old.status);
    assert.equal(relabelled.metadata.generation, 4);
    const changed = updated(shootDefinition.strategy, shoot({ spec: { kubernetes: { version: '1.32.0' } } }), old);
    assert.equal(changed.metadata.generation, 5);
  });

  it('update: does not revert a changed spec.seedName (admission rejects it)', () => {
    const next = updated(shootDefinition.strategy, shoot({ spec: { seedName: 'seed-b' } }), shoot());
    assert.equal(shootSpecSeedName(checked(shootResource, next)), 'seed-b');
  });

  it('update: gardener.cloud/operation=reconcile bumps the generation and is consumed', () => {
    const next = updated(
      shootDefinition.strategy,
      shoot({ metadata: { annotations: { 'gardener.cloud/operation': 'reconcile', x: 'y' } } }),
      shoot(),
    );
    assert.equal(next.metadata.generation, 5);
    assert.deepEqual(next.metadata.annotations, { x: 'y' });
  });

  it('update: a rotation operation bumps the generation once and stays for the gardenlet', () => {
    const annotated = shoot({ metadata: { annotations: { 'gardener.cloud/operation': 'rotate-ca-start' } } });
    const next = updated(shootDefinition.strategy, annotated, shoot());
    assert.equal(next.metadata.generation, 5);
    assert.equal(next.metadata.annotations?.['gardener.cloud/operation'], 'rotate-ca-start');
    assert.equal(updated(shootDefinition.strategy, annotated, annotated).metadata.generation, 4, 'not again');
  });

  it('validates spec.seedName, spec presence and immutable region/provider type', () => {
    assert.deepEqual(
      shootDefinition.strategy.validate!(shoot({ spec: { seedName: 'Seed_A' } })).map((e) => e.path),
      ['spec.seedName'],
    );
    assert.deepEqual(
      shootDefinition.strategy.validate!({ metadata: { name: 'x' } }).map((e) => e.type),
      ['FieldValueRequired'],
    );
    assert.deepEqual(
      shootDefinition.strategy.validateUpdate!(
        shoot({ spec: { region: 'eu', provider: { type: 'aws' } } }),
        shoot(),
      ).map((e) => e.path),
      ['spec.region', 'spec.provider.type'],
    );
    assert.deepEqual(
      shootDefinition.strategy.validate!(shoot({ spec: { hibernation: { enabled: 'yes' } } })).map((e) => e.path),
      ['spec.hibernation.enabled'],
    );
  });

  it('status subresource: keeps spec and metadata, takes the status', () => {
    const old = shoot({ metadata: { labels: { a: 'b' } } });
    const next = updated(
      sub('status'),
      shoot({
        spec: { seedName: 'seed-z' },
        metadata: { labels: {}, resourceVersion: '10' },
        status: { lastErrors: [] },
      }),
      old,
    );
    assert.equal(shootSpecSeedName(checked(shootResource, next)), 'seed-a');
    assert.deepEqual(next.metadata.labels, { a: 'b' });
    assert.deepEqual(next.status, { ...(old.status as object), lastErrors: [] });
    assert.equal(next.metadata.generation, 4);
  });

  it('status subresource: a finished Migrate bumps the generation once', () => {
    const old = shoot({
      spec: { seedName: 'seed-b' },
      status: { lastOperation: { type: 'Migrate', state: 'Processing', progress: 80 } },
    });
    const done = shoot({
      spec: { seedName: 'seed-b' },
      status: { seedName: null, lastOperation: { type: 'Migrate', state: 'Succeeded', progress: 100 } },
    });
    const first = updated(sub('status'), done, old);
    assert.equal(first.metadata.generation, 5);
    assert.equal(shootStatusSeedName(checked(shootResource, first)), undefined);
    const again = updated(sub('status'), done, first);
    assert.equal(again.metadata.generation, 5);
    const aborted = updated(
      sub('status'),
      shoot({ status: { lastOperation: { type: 'Migrate', state: 'Aborted' } } }),
      old,
    );
    assert.equal(aborted.metadata.generation, 5);
  });

  it('status subresource: validates what status writers send', () => {
    const errors = sub('status').validateUpdate!(
      shoot({ status: { seedName: 'Bad!', lastOperation: { type: 'Migrate', progress: 101 } } }),
      shoot(),
    );
    assert.deepEqual(
      errors.map((e) => e.path),
      ['status.seedName', 'status.lastOperation.state', 'status.lastOperation.progress'],
    );
  });

  it('binding subresource: keeps the status and bumps the generation for the new seed', () => {
    const old = shoot();
    const next = updated(sub('binding'), shoot({ spec: { seedName: 'seed-b' }, status: { seedName: 'seed-b' } }), old);
    assert.equal(shootSpecSeedName(checked(shootResource, next)), 'seed-b');
    assert.deepEqual(next.status, old.status);
    assert.equal(next.metadata.generation, 5);
    assert.deepEqual(sub('binding').validateUpdate!(next, old), []);
  });

  it('prints Gardener’s shoot columns with SEED and LAST OPERATION visible by default', () => {
    const obj = shoot({
      status: {
        lastOperation: { type: 'Migrate', state: 'Processing', progress: 40 },
        conditions: [
          { type: 'APIServerAvailable', status: 'True' },
          { type: 'ControlPlaneHealthy', status: 'Progressing' },
        ],
      },
      spec: { hibernation: { enabled: false } },
    });
    const columns = shootDefinition.columns!;
    const visible = columns.filter((c) => !c.priority).map((c) => c.name);
    assert.deepEqual(visible, [
      'CLOUDPROFILE',
      'PROVIDER',
      'REGION',
      'SEED',
      'K8S VERSION',
      'HIBERNATION',
      'LAST OPERATION',
      'STATUS',
      'AGE',
    ]);
    const cells = Object.fromEntries(columns.map((c) => [c.name, c.cell(obj)]));
    assert.equal(cells.CLOUDPROFILE, 'local');
    assert.equal(cells.SEED, 'seed-a');
    assert.equal(cells['STATUS SEED'], 'seed-a');
    assert.equal(cells['K8S VERSION'], '1.31.1');
    assert.equal(cells.HIBERNATION, 'Awake');
    assert.equal(cells['LAST OPERATION'], 'Migrate Processing (40%)');
    assert.equal(cells.STATUS, 'progressing');
    assert.equal(cells.APISERVER, 'True');
    assert.equal(cells.NODES, '<unknown>');
    assert.equal(columns.find((c) => c.name === 'LAST OPERATION')!.cell({ metadata: {} }), '<pending>');
    assert.equal(columns.find((c) => c.name === 'SEED')!.cell({ metadata: {}, spec: {} }), '<none>');
  });
});
