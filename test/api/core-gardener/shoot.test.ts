import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isShootInMigrationOrRestorePhase,
  isShootMigrationOrRestoreRunning,
  responsibleSeedName,
  shootCloudProfileName,
  shootFailureTolerance,
  shootHealthStatus,
  shootResource,
  shouldPrepareShootForMigration,
  validateShoot,
  validateShootUpdate,
  wasShootRescheduledToNewSeed,
} from '../../../src/api/core-gardener/index.js';
import { checked } from '../../../src/client/client.js';
import { sampleShoot } from '../../helpers/sample-objects.js';

/** The sample shoot as a client reads it: through the Shoot guard. */
const shoot = (extra?: Parameters<typeof sampleShoot>[0]) => checked(shootResource, sampleShoot(extra));

describe('Shoot readers', () => {
  it('computes the health status from the label or the conditions', () => {
    assert.equal(
      shootHealthStatus(shoot({ metadata: { labels: { 'shoot.gardener.cloud/status': 'healthy' } } })),
      'healthy',
    );
    assert.equal(shootHealthStatus(shoot()), '<pending>');
    const withConditions = (...statuses: string[]) =>
      shootHealthStatus(
        shoot({
          status: {
            conditions: statuses.map((status, i) => ({
              type: ['APIServerAvailable', 'EveryNodeReady', 'SystemComponentsHealthy'][i],
              status,
            })),
          },
        }),
      );
    assert.equal(withConditions('True', 'True'), 'healthy');
    assert.equal(withConditions('True', 'Unknown'), 'unknown');
    assert.equal(withConditions('Unknown', 'False'), 'unhealthy');
    assert.equal(
      shootCloudProfileName(
        shoot({ spec: { cloudProfileName: undefined, cloudProfile: { kind: 'NamespacedCloudProfile', name: 'p' } } }),
      ),
      'garden-dev/p',
    );
  });
});

describe('Shoot migration readers', () => {
  const op = (type: string, state: string, spec = 'seed-b', status: string | null = 'seed-a') =>
    shoot({ spec: { seedName: spec }, status: { seedName: status, lastOperation: { type, state } } });

  it('isShootInMigrationOrRestorePhase follows Gardener', () => {
    assert.equal(isShootInMigrationOrRestorePhase(op('Migrate', 'Succeeded')), true);
    assert.equal(isShootInMigrationOrRestorePhase(op('Restore', 'Processing')), true);
    assert.equal(isShootInMigrationOrRestorePhase(op('Restore', 'Succeeded')), false);
    assert.equal(isShootInMigrationOrRestorePhase(op('Reconcile', 'Processing')), false);
  });

  it('isShootMigrationOrRestoreRunning excludes a finished Migrate', () => {
    assert.equal(isShootMigrationOrRestoreRunning(op('Migrate', 'Processing')), true);
    assert.equal(isShootMigrationOrRestoreRunning(op('Migrate', 'Succeeded')), false);
    assert.equal(isShootMigrationOrRestoreRunning(op('Migrate', 'Aborted')), false);
    assert.equal(isShootMigrationOrRestoreRunning(op('Restore', 'Error')), true);
  });

  it('wasShootRescheduledToNewSeed, shouldPrepareShootForMigration and responsibleSeedName', () => {
    assert.equal(wasShootRescheduledToNewSeed(op('Reconcile', 'Succeeded')), true);
    assert.equal(wasShootRescheduledToNewSeed(op('Migrate', 'Processing')), false);
    assert.equal(shouldPrepareShootForMigration(op('Migrate', 'Processing')), true);
    assert.equal(responsibleSeedName(op('Migrate', 'Processing')), 'seed-a');
    assert.equal(responsibleSeedName(op('Migrate', 'Succeeded', 'seed-b', null)), 'seed-b');
    assert.equal(responsibleSeedName(op('Restore', 'Succeeded', 'seed-b', 'seed-b')), 'seed-b');
    assert.equal(responsibleSeedName(shoot({ spec: { seedName: null } })), undefined);
  });
});

describe('Shoot high availability (spec.controlPlane.highAvailability)', () => {
  const ha = (type: unknown) => ({ controlPlane: { highAvailability: { failureTolerance: { type } } } });
  const messages = (errs: { path: string; message: string }[]) => errs.map((e) => `${e.path}: ${e.message}`);

  it('accepts node and zone, and refuses any other type, as Gardener does', () => {
    for (const type of ['node', 'zone']) {
      assert.deepEqual(validateShoot(sampleShoot({ spec: ha(type) })), [], type);
      assert.equal(shootFailureTolerance(shoot({ spec: ha(type) })), type);
    }
    assert.equal(shootFailureTolerance(shoot()), undefined);
    assert.deepEqual(messages(validateShoot(sampleShoot({ spec: ha('region') }))), [
      'spec.controlPlane.highAvailability.failureTolerance.type: Unsupported value: "region": supported values: "node", "zone"',
    ]);
    assert.deepEqual(messages(validateShoot(sampleShoot({ spec: { controlPlane: { highAvailability: {} } } }))), [
      'spec.controlPlane.highAvailability.failureTolerance: Required value',
    ]);
  });

  it('a scheduled shoot keeps its failure tolerance: not changed, not removed', () => {
    const old = sampleShoot({ spec: ha('node') });
    assert.deepEqual(validateShootUpdate(sampleShoot({ spec: ha('node') }), old), []);
    assert.deepEqual(messages(validateShootUpdate(sampleShoot({ spec: ha('zone') }), old)), [
      'spec.controlPlane.highAvailability.failureTolerance.type: Invalid value: "zone": field is immutable',
    ]);
    assert.deepEqual(messages(validateShootUpdate(sampleShoot(), old)), [
      'spec.controlPlane.highAvailability.failureTolerance.type: Invalid value: "": field is immutable',
    ]);
  });

  it('is not added to a hibernated shoot; it is to a running one', () => {
    const hibernated = sampleShoot({ spec: { hibernation: { enabled: true } } });
    const [forbidden] = validateShootUpdate(
      sampleShoot({ spec: { hibernation: { enabled: true }, ...ha('zone') } }),
      hibernated,
    );
    assert.match(forbidden?.message ?? '', /^Forbidden: Shoot is currently hibernated and cannot be scaled up to HA/);
    assert.deepEqual(validateShootUpdate(sampleShoot({ spec: ha('zone') }), sampleShoot()), []);
    const unscheduled = sampleShoot({ spec: { seedName: null }, status: { seedName: null } });
    assert.deepEqual(validateShootUpdate(sampleShoot({ spec: { seedName: null, ...ha('zone') } }), unscheduled), []);
  });
});
