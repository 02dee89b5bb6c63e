import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isShootInMigrationOrRestorePhase,
  isShootMigrationOrRestoreRunning,
  responsibleSeedName,
  shootCloudProfileName,
  shootHealthStatus,
  shootResource,
  shouldPrepareShootForMigration,
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
