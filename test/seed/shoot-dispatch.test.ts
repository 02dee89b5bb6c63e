/**
 * Which seed runs what for a shoot (shootOperationFor): Migrate on the source while spec and
 * status name different seeds, Restore on the destination only after the Migrate succeeded (and
 * until the Restore succeeds), nothing on a seed that is not responsible.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Shoot, shootResource } from '../../src/api/core-gardener/shoot.js';
import { checked } from '../../src/client/client.js';
import { shootOperationFor } from '../../src/seed/gardenlet/shoot-dispatch.js';

/** A shoot as the gardenlet reads it from the garden (through the Shoot guard). */
function shoot(spec: string | null, status: string | null, last?: [string, string], deleting = false): Shoot {
  return checked(shootResource, {
    metadata: {
      name: 'my-shoot',
      namespace: 'garden-dev',
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { seedName: spec },
    status: {
      seedName: status,
      ...(last ? { lastOperation: { type: last[0], state: last[1], progress: 0, description: '' } } : {}),
    },
  });
}

describe('shootOperationFor', () => {
  it('creates a new shoot on its seed and reconciles it afterwards', () => {
    assert.equal(shootOperationFor(shoot('seed-a', null), 'seed-a'), 'Create');
    assert.equal(shootOperationFor(shoot('seed-a', null, ['Create', 'Error']), 'seed-a'), 'Create');
    assert.equal(shootOperationFor(shoot('seed-a', 'seed-a', ['Create', 'Succeeded']), 'seed-a'), 'Reconcile');
    assert.equal(shootOperationFor(shoot('seed-a', 'seed-a', ['Reconcile', 'Error']), 'seed-a'), 'Reconcile');
    assert.equal(shootOperationFor(shoot('seed-a', 'seed-a', ['Reconcile', 'Succeeded'], true), 'seed-a'), 'Delete');
    assert.equal(shootOperationFor(shoot('seed-a', 'seed-a', ['Reconcile', 'Succeeded']), 'seed-b'), undefined);
  });

  it('migrates on the source while spec.seedName names another seed, whatever the last operation', () => {
    for (const last of [
      ['Reconcile', 'Succeeded'],
      ['Migrate', 'Processing'],
      ['Migrate', 'Error'],
    ] as [string, string][]) {
      const moving = shoot('seed-b', 'seed-a', last);
      assert.equal(shootOperationFor(moving, 'seed-a'), 'Migrate', last.join(' '));
      assert.equal(shootOperationFor(moving, 'seed-b'), undefined, `the destination waits (${last.join(' ')})`);
      assert.equal(shootOperationFor(moving, 'seed-c'), undefined);
    }
  });

  it('restores on the destination once the Migrate succeeded and status.seedName is null, until the Restore succeeds', () => {
    const migrated = shoot('seed-b', null, ['Migrate', 'Succeeded']);
    assert.equal(shootOperationFor(migrated, 'seed-b'), 'Restore');
    assert.equal(shootOperationFor(migrated, 'seed-a'), undefined, 'the source is done');
    for (const state of ['Processing', 'Error', 'Failed']) {
      assert.equal(shootOperationFor(shoot('seed-b', null, ['Restore', state]), 'seed-b'), 'Restore', state);
    }
    assert.equal(shootOperationFor(shoot('seed-b', 'seed-b', ['Restore', 'Succeeded']), 'seed-b'), 'Reconcile');
  });

  it('never restores before the Migrate succeeded', () => {
    assert.equal(shootOperationFor(shoot('seed-b', null, ['Migrate', 'Processing']), 'seed-b'), undefined);
    assert.equal(shootOperationFor(shoot('seed-b', null, ['Migrate', 'Error']), 'seed-b'), undefined);
  });
});
