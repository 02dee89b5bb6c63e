/**
 * Which part of a live migration a seed runs (liveMigrationPartFor): the source its live Migrate
 * from the binding on; the destination nothing until the source published its members, then its
 * part concurrently, until Completed (also after the source's Migrate succeeded); the abort on the
 * destination only before the point of no return; no live part without the annotation's "true"
 * (the garden's fallback sets it to "false"), so the classic dispatch decides.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ABORT_LIVE_MIGRATION_ANNOTATION,
  LIVE_MIGRATE_ANNOTATION,
  type LiveMigrationPhase,
  type LiveMigrationRecord,
} from '../../src/api/core-gardener/live-migration.js';
import { type Shoot, shootResource } from '../../src/api/core-gardener/shoot.js';
import { checked } from '../../src/client/client.js';
import { liveMigrationPartFor } from '../../src/seed/gardenlet/shoot-dispatch.js';

function shoot(spec: string | null, status: string | null, annotations: Record<string, string>, last?: string): Shoot {
  return checked(shootResource, {
    metadata: { name: 'my-shoot', namespace: 'garden-dev', annotations },
    spec: { seedName: spec },
    status: {
      seedName: status,
      ...(last ? { lastOperation: { type: 'Migrate', state: last, progress: 0, description: '' } } : {}),
    },
  });
}

function record(phase: LiveMigrationPhase): LiveMigrationRecord {
  return {
    sourceSeed: 'seed-a',
    destinationSeed: 'seed-b',
    phase,
    phaseTime: '2026-12-06T15:00:00Z',
    source: { etcd: {} },
  };
}

const live = { [LIVE_MIGRATE_ANNOTATION]: 'true' };
const abort = { ...live, [ABORT_LIVE_MIGRATION_ANNOTATION]: 'true' };

describe('liveMigrationPartFor', () => {
  it('leaves shoots without live-migrate "true" to the ordinary dispatch', () => {
    for (const annotations of [{}, { [LIVE_MIGRATE_ANNOTATION]: 'false' }] as Record<string, string>[]) {
      const moving = shoot('seed-b', 'seed-a', annotations);
      assert.equal(liveMigrationPartFor(moving, 'seed-a', undefined), undefined);
      assert.equal(liveMigrationPartFor(moving, 'seed-b', record('Preparing')), undefined);
    }
    assert.equal(liveMigrationPartFor(shoot('seed-a', 'seed-a', live), 'seed-a', undefined), undefined, 'not moving');
  });

  it('runs the source part from the binding on, and waits while the destination aborts', () => {
    const moving = shoot('seed-b', 'seed-a', live);
    assert.equal(liveMigrationPartFor(moving, 'seed-a', undefined), 'Source');
    assert.equal(liveMigrationPartFor(moving, 'seed-a', record('LeaderMoved')), 'Source');
    assert.equal(liveMigrationPartFor(shoot('seed-b', 'seed-a', abort), 'seed-a', record('DestinationHashed')), 'Wait');
    assert.equal(liveMigrationPartFor(moving, 'seed-c', record('Preparing')), undefined, 'a third seed');
  });

  it('runs the destination part from Preparing until Completed, also after the source Migrate succeeded', () => {
    const moving = shoot('seed-b', 'seed-a', live);
    assert.equal(liveMigrationPartFor(moving, 'seed-b', undefined), 'Wait', 'the source has not published yet');
    for (const phase of [
      'Preparing',
      'JoiningMembers',
      'DestinationHashed',
      'SwitchingEndpoint',
      'SourceReleased',
      'Verified',
    ] as const) {
      assert.equal(liveMigrationPartFor(moving, 'seed-b', record(phase)), 'Destination', phase);
    }
    assert.equal(liveMigrationPartFor(moving, 'seed-b', record('Completed')), 'Wait', 'the source Migrate goes on');
    const migrated = shoot('seed-b', null, live, 'Succeeded');
    assert.equal(liveMigrationPartFor(migrated, 'seed-b', record('SourceMembersRemoved')), 'Destination');
    assert.equal(liveMigrationPartFor(migrated, 'seed-b', record('Completed')), undefined, 'the Restore adopts');
  });

  it('aborts on the destination only before the point of no return', () => {
    const aborting = shoot('seed-b', 'seed-a', abort);
    assert.equal(liveMigrationPartFor(aborting, 'seed-b', undefined), 'Abort');
    assert.equal(liveMigrationPartFor(aborting, 'seed-b', record('DestinationHashed')), 'Abort');
    assert.equal(liveMigrationPartFor(aborting, 'seed-b', record('SwitchingEndpoint')), 'Destination', 'past it');
    assert.equal(liveMigrationPartFor(aborting, 'seed-b', record('Aborting')), 'Abort', 'an abort under way resumes');
    assert.equal(liveMigrationPartFor(aborting, 'seed-b', record('Aborted')), 'Wait', 'the garden rebinds');
    assert.equal(
      liveMigrationPartFor(shoot('seed-b', 'seed-a', live), 'seed-b', record('Aborting')),
      'Abort',
      'even once the annotation went',
    );
  });
});
