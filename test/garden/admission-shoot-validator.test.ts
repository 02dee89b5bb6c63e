import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LiveMigrationPhase, LiveMigrationRecord } from '../../src/api/core-gardener/live-migration.js';
import { type Seed, seedResource } from '../../src/api/core-gardener/seed.js';
import { isStatusError, type StatusError } from '../../src/api/errors.js';
import type { Condition, KubeObject } from '../../src/api/meta.js';
import type { AdmissionAttributes, Operation, UserInfo } from '../../src/apiserver/types.js';
import { checked } from '../../src/client/client.js';
import { type SeedLookup, ShootValidator } from '../../src/garden/admission/shoot-validator.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const operator: UserInfo = { name: 'operator', groups: ['system:masters'] };

function condition(type: string, status: Condition['status'], updatedSecondsAgo = 5): Condition {
  return {
    type,
    status,
    lastTransitionTime: ago(3600),
    lastUpdateTime: ago(updatedSecondsAgo),
    reason: `${type}Reason`,
    message: `${type} says ${status}`,
  };
}

function healthyConditions(): Condition[] {
  return [
    condition('GardenletReady', 'True'),
    condition('BackupBucketsReady', 'True'),
    condition('ExtensionsReady', 'True'),
    condition('SeedSystemComponentsHealthy', 'True'),
  ];
}

/** A Seed as the validator's lookup answers it: read through the Seed guard. */
function seed(name: string, options: { backup?: boolean; conditions?: Condition[]; deleting?: boolean } = {}): Seed {
  const spec: Record<string, unknown> = { provider: { type: 'local', region: 'local' } };
  if (options.backup !== false) {
    spec.backup = {
      provider: 'local',
      region: 'local',
      credentialsRef: { apiVersion: 'v1', kind: 'Secret', name: `backup-${name}`, namespace: 'garden' },
    };
  }
  return checked(seedResource, {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Seed',
    metadata: { name, ...(options.deleting ? { deletionTimestamp: ago(10) } : {}) },
    spec,
    status: { conditions: options.conditions ?? healthyConditions() },
  });
}

function shoot(
  options: {
    seedName?: string | null;
    statusSeedName?: string | null;
    lastOperation?: { type: string; state: string };
    region?: string;
  } = {},
): KubeObject {
  const status: Record<string, unknown> = {};
  if (options.statusSeedName !== undefined) status.seedName = options.statusSeedName;
  if (options.lastOperation) status.lastOperation = { ...options.lastOperation, progress: 50, lastUpdateTime: ago(30) };
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name: 'my-shoot', namespace: 'garden-dev', generation: 3, annotations: {} },
    spec: {
      cloudProfileName: 'local',
      region: options.region ?? 'local',
      provider: { type: 'local', workers: [{ name: 'local', machine: { type: 'local' }, minimum: 1, maximum: 1 }] },
      kubernetes: { version: '1.31.1' },
      ...(options.seedName !== undefined ? { seedName: options.seedName } : {}),
    },
    status,
  };
}

/** A copy of `old` with spec.seedName set, as the seed document's jq pipeline sends it. */
function withSeed(old: KubeObject, seedName: string | null): KubeObject {
  const next = structuredClone(old);
  (next.spec as Record<string, unknown>).seedName = seedName;
  return next;
}

function lookup(...seeds: Seed[]): SeedLookup & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async getSeed(name) {
      calls.push(name);
      return seeds.find((s) => s.metadata.name === name) ?? null;
    },
  };
}

function validator(
  seeds: SeedLookup,
  canBind?: (user: UserInfo, namespace: string) => Promise<boolean>,
): ShootValidator {
  return new ShootValidator({ seeds, now: () => NOW, heartbeatMaxAgeSeconds: 60, canBind });
}

function attrs(
  operation: Operation,
  object: KubeObject,
  oldObject?: KubeObject,
  subresource = '',
  user = operator,
): AdmissionAttributes {
  return {
    operation,
    object,
    oldObject,
    kind: { group: 'core.gardener.cloud', version: 'v1beta1', kind: 'Shoot' },
    resource: 'shoots',
    subresource,
    namespace: 'garden-dev',
    name: object.metadata.name ?? '',
    user,
    dryRun: false,
  };
}

async function rejection(promise: Promise<void>): Promise<StatusError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isStatusError(err), `expected a StatusError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to be rejected');
}

async function expectInvalid(promise: Promise<void>, field: string, text: string): Promise<StatusError> {
  const err = await rejection(promise);
  assert.equal(err.code, 422, err.message);
  assert.equal(err.reason, 'Invalid');
  assert.equal(err.status.details?.causes?.[0]?.field, field);
  assert.ok(err.message.includes(text), `"${err.message}" should contain "${text}"`);
  return err;
}

async function expectForbidden(promise: Promise<void>, text: string): Promise<StatusError> {
  const err = await rejection(promise);
  assert.equal(err.code, 403, err.message);
  assert.equal(err.reason, 'Forbidden');
  assert.ok(err.message.startsWith('shoots.core.gardener.cloud "my-shoot" is forbidden: '), err.message);
  assert.ok(err.message.includes(text), `"${err.message}" should contain "${text}"`);
  return err;
}

const reconciled = { type: 'Reconcile', state: 'Succeeded' };

describe('ShootValidator: shoots/binding', () => {
  const seedA = seed('seed-a');
  const seedB = seed('seed-b');
  const assigned = shoot({ seedName: 'seed-a', statusSeedName: 'seed-a', lastOperation: reconciled });

  it('moves a shoot to a healthy destination when both seeds have backups', async () => {
    await validator(lookup(seedA, seedB)).validate(attrs('UPDATE', withSeed(assigned, 'seed-b'), assigned, 'binding'));
  });

  it('rejects a binding that keeps the seed', async () => {
    await expectInvalid(
      validator(lookup(seedA, seedB)).validate(attrs('UPDATE', withSeed(assigned, 'seed-a'), assigned, 'binding')),
      'spec.seedName',
      'update of binding rejected, shoot is already assigned to the same seed',
    );
  });

  it('rejects setting spec.seedName back to null', async () => {
    await expectInvalid(
      validator(lookup(seedA, seedB)).validate(attrs('UPDATE', withSeed(assigned, null), assigned, 'binding')),
      'spec.seedName',
      "spec.seedName is already set to 'seed-a' and cannot be changed to 'nil'",
    );
  });

  it('rejects changes to any other spec field', async () => {
    const next = withSeed(assigned, 'seed-b');
    (next.spec as Record<string, unknown>).region = 'elsewhere';
    const err = await expectInvalid(
      validator(lookup(seedA, seedB)).validate(attrs('UPDATE', next, assigned, 'binding')),
      'spec',
      'only spec.seedName can be changed using the binding subresource when the shoot is being rescheduled to a new seed',
    );
    assert.match(err.message, /spec\.region/);
  });

  it('ignores metadata changes and null-vs-missing differences in the spec', async () => {
    const next = withSeed(assigned, 'seed-b');
    next.metadata.labels = { team: 'a' };
    (next.spec as Record<string, unknown>).hibernation = null;
    await validator(lookup(seedA, seedB)).validate(attrs('UPDATE', next, assigned, 'binding'));
  });

  it('rejects an unknown destination seed, naming it', async () => {
    await expectInvalid(
      validator(lookup(seedA)).validate(attrs('UPDATE', withSeed(assigned, 'seed-x'), assigned, 'binding')),
      'spec.seedName',
      'seed "seed-x" does not exist',
    );
  });

  it('rejects a destination marked for deletion', async () => {
    await expectForbidden(
      validator(lookup(seedA, seed('seed-b', { deleting: true }))).validate(
        attrs('UPDATE', withSeed(assigned, 'seed-b'), assigned, 'binding'),
      ),
      "cannot schedule shoot 'my-shoot' on seed 'seed-b' that is already marked for deletion",
    );
  });

  it('rejects when the old seed has no backup', async () => {
    await expectForbidden(
      validator(lookup(seed('seed-a', { backup: false }), seedB)).validate(
        attrs('UPDATE', withSeed(assigned, 'seed-b'), assigned, 'binding'),
      ),
      'cannot change seed name because backup is not configured for old seed "seed-a"',
    );
  });

  it('rejects when the destination has no backup', async () => {
    await expectForbidden(
      validator(lookup(seedA, seed('seed-b', { backup: false }))).validate(
        attrs('UPDATE', withSeed(assigned, 'seed-b'), assigned, 'binding'),
      ),
      'cannot change seed name because backup is not configured for seed "seed-b"',
    );
  });

  it('rejects when the old seed no longer exists', async () => {
    await expectForbidden(
      validator(lookup(seedB)).validate(attrs('UPDATE', withSeed(assigned, 'seed-b'), assigned, 'binding')),
      'the old seed "seed-a" does not exist',
    );
  });

  it('rejects an unhealthy destination, saying why', async () => {
    const unknown = seed('seed-b', {
      conditions: [condition('GardenletReady', 'Unknown'), condition('ExtensionsReady', 'True')],
    });
    const err = await expectForbidden(
      validator(lookup(seedA, unknown)).validate(attrs('UPDATE', withSeed(assigned, 'seed-b'), assigned, 'binding')),
      "cannot schedule shoot 'my-shoot' on seed 'seed-b' because the seed is not ready",
    );
    assert.match(err.message, /condition GardenletReady is Unknown for 1h0m0s/);
  });

  it('rejects a destination whose gardenlet heartbeat is stale', async () => {
    const stale = seed('seed-b', {
      conditions: [condition('GardenletReady', 'True', 300), condition('ExtensionsReady', 'True')],
    });
    await expectForbidden(
      validator(lookup(seedA, stale)).validate(attrs('UPDATE', withSeed(assigned, 'seed-b'), assigned, 'binding')),
      "the gardenlet's last heartbeat (condition GardenletReady updated) was 5m0s ago, more than the allowed 1m0s",
    );
  });

  it('rejects a destination whose backup buckets are not ready', async () => {
    const conditions = healthyConditions();
    conditions[1] = condition('BackupBucketsReady', 'False');
    await expectForbidden(
      validator(lookup(seedA, seed('seed-b', { conditions }))).validate(
        attrs('UPDATE', withSeed(assigned, 'seed-b'), assigned, 'binding'),
      ),
      'condition BackupBucketsReady is False',
    );
  });

  for (const state of ['Processing', 'Error', 'Failed', 'Pending']) {
    it(`rejects a binding during Migrate ${state}`, async () => {
      const migrating = shoot({
        seedName: 'seed-b',
        statusSeedName: 'seed-a',
        lastOperation: { type: 'Migrate', state },
      });
      await expectForbidden(
        validator(lookup(seedA, seedB, seed('seed-c'))).validate(
          attrs('UPDATE', withSeed(migrating, 'seed-c'), migrating, 'binding'),
        ),
        `cannot change shoot spec during Migrate operation that is in state ${state}`,
      );
    });
  }

  it('allows binding back to the source during the Migrate only once the live migration was aborted', async () => {
    const migrating = shoot({
      seedName: 'seed-b',
      statusSeedName: 'seed-a',
      lastOperation: { type: 'Migrate', state: 'Processing' },
    });
    const record = (phase: LiveMigrationPhase, sourceSeed = 'seed-a'): LiveMigrationRecord => ({
      sourceSeed,
      destinationSeed: 'seed-b',
      phase,
      phaseTime: ago(5),
      source: { etcd: {} },
    });
    const withRecord = (r: LiveMigrationRecord) =>
      new ShootValidator({
        seeds: lookup(seedA, seedB, seed('seed-c')),
        now: () => NOW,
        heartbeatMaxAgeSeconds: 60,
        liveMigrationRecord: async () => r,
      });
    const back = attrs('UPDATE', withSeed(migrating, 'seed-a'), migrating, 'binding');
    await withRecord(record('Aborted')).validate(back);
    // Not aborted yet; aborted, but the record of another move (from seed-c).
    for (const r of [record('Aborting'), record('Aborted', 'seed-c')]) {
      await expectForbidden(withRecord(r).validate(back), 'cannot change shoot spec during Migrate operation');
    }
    // Aborted or not, a binding elsewhere than the source stays refused during the Migrate.
    await expectForbidden(
      withRecord(record('Aborted')).validate(attrs('UPDATE', withSeed(migrating, 'seed-c'), migrating, 'binding')),
      'cannot change shoot spec during Migrate operation',
    );
  });

  it('rejects a binding while a Restore has not succeeded', async () => {
    const restoring = shoot({
      seedName: 'seed-b',
      statusSeedName: null,
      lastOperation: { type: 'Restore', state: 'Error' },
    });
    await expectForbidden(
      validator(lookup(seedA, seedB)).validate(attrs('UPDATE', withSeed(restoring, 'seed-a'), restoring, 'binding')),
      'cannot change shoot spec during Restore operation that is in state Error',
    );
  });

  it('allows migrating back after the Restore succeeded', async () => {
    const restored = shoot({
      seedName: 'seed-b',
      statusSeedName: 'seed-b',
      lastOperation: { type: 'Restore', state: 'Succeeded' },
    });
    await validator(lookup(seedA, seedB)).validate(attrs('UPDATE', withSeed(restored, 'seed-a'), restored, 'binding'));
  });

  it('allows choosing another destination after the Migrate finished and before the Restore started', async () => {
    const migrated = shoot({
      seedName: 'seed-b',
      statusSeedName: null,
      lastOperation: { type: 'Migrate', state: 'Succeeded' },
    });
    await validator(lookup(seedA, seedB, seed('seed-c'))).validate(
      attrs('UPDATE', withSeed(migrated, 'seed-c'), migrated, 'binding'),
    );
  });

  describe('first assignment (scheduling)', () => {
    const unscheduled = shoot();

    it('binds to an existing healthy seed, without a backup requirement', async () => {
      await validator(lookup(seed('seed-a', { backup: false }))).validate(
        attrs('UPDATE', withSeed(unscheduled, 'seed-a'), unscheduled, 'binding'),
      );
    });

    it('rejects an unknown, deleting or unhealthy seed', async () => {
      await expectInvalid(
        validator(lookup()).validate(attrs('UPDATE', withSeed(unscheduled, 'seed-a'), unscheduled, 'binding')),
        'spec.seedName',
        'seed "seed-a" does not exist',
      );
      await expectForbidden(
        validator(lookup(seed('seed-a', { deleting: true }))).validate(
          attrs('UPDATE', withSeed(unscheduled, 'seed-a'), unscheduled, 'binding'),
        ),
        'already marked for deletion',
      );
      await expectForbidden(
        validator(lookup(seed('seed-a', { conditions: [] }))).validate(
          attrs('UPDATE', withSeed(unscheduled, 'seed-a'), unscheduled, 'binding'),
        ),
        'condition GardenletReady has not been reported yet',
      );
    });

    it('rejects other spec changes with the scheduling wording', async () => {
      const next = withSeed(unscheduled, 'seed-a');
      (next.spec as Record<string, unknown>).kubernetes = { version: '1.32.0' };
      await expectInvalid(
        validator(lookup(seedA)).validate(attrs('UPDATE', next, unscheduled, 'binding')),
        'spec',
        'only spec.seedName can be changed using the binding subresource when the shoot is being scheduled',
      );
    });

    it('rejects a binding that sets nothing', async () => {
      await expectInvalid(
        validator(lookup(seedA)).validate(attrs('UPDATE', structuredClone(unscheduled), unscheduled, 'binding')),
        'spec.seedName',
        'already assigned to the same seed',
      );
    });
  });
});

describe('ShootValidator: main resource updates', () => {
  const seedA = seed('seed-a');
  const seedB = seed('seed-b');

  it('rejects changing spec.seedName with a hint to use the binding', async () => {
    const current = shoot({ seedName: 'seed-a', statusSeedName: 'seed-a', lastOperation: reconciled });
    await expectForbidden(
      validator(lookup(seedA, seedB)).validate(attrs('UPDATE', withSeed(current, 'seed-b'), current)),
      "spec.seedName 'seed-a' cannot be changed to 'seed-b' by patching the shoot, please use the shoots/binding subresource",
    );
  });

  it('rejects setting spec.seedName from null through the main resource', async () => {
    const current = shoot();
    await expectForbidden(
      validator(lookup(seedA)).validate(attrs('UPDATE', withSeed(current, 'seed-a'), current)),
      "spec.seedName 'nil' cannot be changed to 'seed-a' by patching the shoot",
    );
  });

  it('allows spec changes of a settled shoot', async () => {
    const current = shoot({ seedName: 'seed-a', statusSeedName: 'seed-a', lastOperation: reconciled });
    const next = structuredClone(current);
    (next.spec as Record<string, unknown>).kubernetes = { version: '1.32.0' };
    await validator(lookup(seedA)).validate(attrs('UPDATE', next, current));
  });

  it('rejects spec changes after the binding until the Migrate starts', async () => {
    const current = shoot({ seedName: 'seed-b', statusSeedName: 'seed-a', lastOperation: reconciled });
    const next = structuredClone(current);
    (next.spec as Record<string, unknown>).kubernetes = { version: '1.32.0' };
    await expectForbidden(
      validator(lookup(seedA, seedB)).validate(attrs('UPDATE', next, current)),
      'shoot spec cannot be changed because shoot has been rescheduled to a new seed',
    );
  });

  for (const op of [
    { type: 'Migrate', state: 'Processing' },
    { type: 'Migrate', state: 'Succeeded' },
    { type: 'Restore', state: 'Processing' },
    { type: 'Restore', state: 'Failed' },
  ]) {
    it(`rejects spec changes during ${op.type} ${op.state}`, async () => {
      const current = shoot({
        seedName: 'seed-b',
        statusSeedName: op.type === 'Migrate' ? 'seed-a' : null,
        lastOperation: op,
      });
      const next = structuredClone(current);
      (next.spec as Record<string, unknown>).kubernetes = { version: '1.32.0' };
      await expectForbidden(
        validator(lookup(seedA, seedB)).validate(attrs('UPDATE', next, current)),
        `cannot change shoot spec during ${op.type} operation that is in state ${op.state}`,
      );
    });
  }

  it('allows metadata-only changes during a Migrate (e.g. skip-readiness)', async () => {
    const current = shoot({
      seedName: 'seed-b',
      statusSeedName: 'seed-a',
      lastOperation: { type: 'Migrate', state: 'Processing' },
    });
    const next = structuredClone(current);
    next.metadata.annotations = { 'shoot.gardener.cloud/skip-readiness': '' };
    await validator(lookup(seedA, seedB)).validate(attrs('UPDATE', next, current));
  });

  it('allows spec changes once the Restore succeeded', async () => {
    const current = shoot({
      seedName: 'seed-b',
      statusSeedName: 'seed-b',
      lastOperation: { type: 'Restore', state: 'Succeeded' },
    });
    const next = structuredClone(current);
    (next.spec as Record<string, unknown>).kubernetes = { version: '1.32.0' };
    await validator(lookup(seedA, seedB)).validate(attrs('UPDATE', next, current));
  });

  it('judges by the stored status, not by one the client sent', async () => {
    const current = shoot({
      seedName: 'seed-b',
      statusSeedName: 'seed-a',
      lastOperation: { type: 'Migrate', state: 'Processing' },
    });
    const next = structuredClone(current);
    next.status = { lastOperation: reconciled };
    (next.spec as Record<string, unknown>).kubernetes = { version: '1.32.0' };
    await expectForbidden(validator(lookup(seedA, seedB)).validate(attrs('UPDATE', next, current)), 'during Migrate');
  });
});

describe('ShootValidator: delete', () => {
  it('rejects deletion during a Migrate', async () => {
    const current = shoot({
      seedName: 'seed-b',
      statusSeedName: 'seed-a',
      lastOperation: { type: 'Migrate', state: 'Processing' },
    });
    await expectForbidden(
      validator(lookup()).validate(attrs('DELETE', current, current)),
      'cannot mark shoot for deletion during Migrate operation that is in state Processing',
    );
  });

  it('rejects deletion during an unfinished Restore', async () => {
    const current = shoot({
      seedName: 'seed-b',
      statusSeedName: null,
      lastOperation: { type: 'Restore', state: 'Error' },
    });
    await expectForbidden(
      validator(lookup()).validate(attrs('DELETE', current, current)),
      'cannot mark shoot for deletion during Restore operation that is in state Error',
    );
  });

  it('rejects deletion between the binding and the start of the Migrate', async () => {
    const current = shoot({ seedName: 'seed-b', statusSeedName: 'seed-a', lastOperation: reconciled });
    await expectForbidden(
      validator(lookup()).validate(attrs('DELETE', current, current)),
      'cannot mark shoot for deletion: it has been rescheduled to seed "seed-b" and its migration from seed "seed-a" has not started yet',
    );
  });

  it('allows deletion otherwise', async () => {
    const current = shoot({ seedName: 'seed-a', statusSeedName: 'seed-a', lastOperation: reconciled });
    await validator(lookup()).validate(attrs('DELETE', current, current));
    await validator(lookup()).validate(attrs('DELETE', shoot(), undefined));
  });
});

describe('ShootValidator: create', () => {
  it('accepts a shoot without a seed and looks nothing up', async () => {
    const seeds = lookup();
    await validator(seeds).validate(attrs('CREATE', shoot()));
    assert.deepEqual(seeds.calls, []);
  });

  it('accepts a shoot for an existing seed, healthy or not', async () => {
    await validator(lookup(seed('seed-a', { conditions: [] }))).validate(
      attrs('CREATE', shoot({ seedName: 'seed-a' })),
    );
  });

  it('rejects users who may not update shoots/binding', async () => {
    const asked: string[] = [];
    const canBind = async (user: UserInfo, namespace: string) => {
      asked.push(`${user.name}@${namespace}`);
      return false;
    };
    await expectForbidden(
      validator(lookup(seed('seed-a')), canBind).validate(
        attrs('CREATE', shoot({ seedName: 'seed-a' }), undefined, '', { name: 'alice', groups: [] }),
      ),
      'user "alice" is not allowed to set .spec.seedName for "shoots"',
    );
    assert.deepEqual(asked, ['alice@garden-dev']);
  });

  it('rejects an unknown or deleting seed', async () => {
    await expectInvalid(
      validator(lookup()).validate(attrs('CREATE', shoot({ seedName: 'seed-a' }))),
      'spec.seedName',
      'seed "seed-a" does not exist',
    );
    await expectForbidden(
      validator(lookup(seed('seed-a', { deleting: true }))).validate(attrs('CREATE', shoot({ seedName: 'seed-a' }))),
      "cannot schedule shoot 'my-shoot' on seed 'seed-a' that is already marked for deletion",
    );
  });
});

describe('ShootValidator: scope', () => {
  it('handles CREATE, UPDATE and DELETE', () => {
    const v = validator(lookup());
    assert.equal(v.name, 'ShootValidator');
    assert.deepEqual(
      (['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const).map((op) => v.handles(op)),
      [true, true, true, false],
    );
  });

  it('does not check the status subresource', async () => {
    const current = shoot({
      seedName: 'seed-b',
      statusSeedName: 'seed-a',
      lastOperation: { type: 'Migrate', state: 'Processing' },
    });
    const next = structuredClone(current);
    next.status = { seedName: null, lastOperation: { type: 'Migrate', state: 'Succeeded', progress: 100 } };
    await validator(lookup()).validate(attrs('UPDATE', next, current, 'status'));
  });

  it('ignores other resources', async () => {
    const current = shoot({ seedName: 'seed-a' });
    const a = attrs('UPDATE', withSeed(current, 'seed-b'), current);
    await validator(lookup()).validate({ ...a, resource: 'backupentries' });
  });
});
