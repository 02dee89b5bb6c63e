import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isNotFound } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { RequestContext } from '../../src/apiserver/registry/generic-store.js';
import { healthySeedConditions, startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';

const ctx: RequestContext = { user: { name: 'test', groups: ['system:masters'] }, dryRun: false };

async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function maybe(promise: Promise<KubeObject>): Promise<KubeObject | undefined> {
  try {
    return await promise;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

describe('garden controller manager', () => {
  let t: TestGarden;
  before(async () => {
    t = await startTestGarden();
  });
  after(async () => {
    await t.cleanup();
  });

  it('a Project gets its namespace and a RoleBinding for its members', async () => {
    const projects = t.garden.server.store('core.gardener.cloud', 'projects');
    await projects.create(
      '',
      {
        metadata: { name: 'team' },
        spec: { members: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice', role: 'admin' }] },
      },
      ctx,
    );
    const namespace = await eventually(() => maybe(t.garden.server.store('', 'namespaces').get('', 'garden-team')));
    assert.equal(namespace.metadata.labels?.['project.gardener.cloud/name'], 'team');
    const binding = await eventually(() =>
      maybe(
        t.garden.server
          .store('rbac.authorization.k8s.io', 'rolebindings')
          .get('garden-team', 'gardener.cloud:system:project-members'),
      ),
    );
    assert.deepEqual(
      (binding.subjects as { name: string }[]).map((s) => s.name),
      ['alice'],
    );
    const ready = await eventually(async () => {
      const project = await projects.get('', 'team');
      return (project.status as { phase?: string } | undefined)?.phase === 'Ready' ? project : undefined;
    });
    assert.equal((ready.status as { observedGeneration?: number }).observedGeneration, 1);
  });

  it('a Shoot gets a ShootState on creation, which goes with the Shoot', async () => {
    const shoots = t.garden.server.store('core.gardener.cloud', 'shoots');
    const states = t.garden.server.store('core.gardener.cloud', 'shootstates');
    await eventually(() => maybe(t.garden.server.store('', 'namespaces').get('', 'garden-team')));
    const shoot = await shoots.create(
      'garden-team',
      { metadata: { name: 'kept' }, spec: { cloudProfileName: 'local', region: 'local', provider: { type: 'local' } } },
      ctx,
    );
    const state = await eventually(() => maybe(states.get('garden-team', 'kept')));
    assert.equal(state.metadata.ownerReferences?.[0]?.uid, shoot.metadata.uid);
    await shoots.delete('garden-team', 'kept', ctx, {});
    await eventually(async () => ((await maybe(states.get('garden-team', 'kept'))) ? undefined : true));
  });
});

describe('namespace deletion', () => {
  let t: TestGarden;
  before(async () => {
    t = await startTestGarden();
  });
  after(async () => {
    await t.cleanup();
  });

  it('a deleted namespace is Terminating until its objects are gone, finalizers included', async () => {
    const namespaces = t.garden.server.store('', 'namespaces');
    const secrets = t.garden.server.store('', 'secrets');
    await namespaces.create('', { metadata: { name: 'doomed' } }, ctx);
    await secrets.create('doomed', { metadata: { name: 'plain' }, data: {} }, ctx);
    await secrets.create('doomed', { metadata: { name: 'held', finalizers: ['example.io/hold'] }, data: {} }, ctx);
    const marked = await namespaces.delete('', 'doomed', ctx, {});
    assert.equal((marked.status as { phase: string }).phase, 'Terminating');
    await eventually(async () => ((await maybe(secrets.get('doomed', 'plain'))) ? undefined : true));
    const held = await secrets.get('doomed', 'held');
    assert.ok(held.metadata.deletionTimestamp);
    assert.ok(await namespaces.get('', 'doomed'), 'the namespace waits for the held secret');
    await secrets.patch('doomed', 'held', '', 'merge', { metadata: { finalizers: null } }, ctx);
    await eventually(async () => ((await maybe(namespaces.get('', 'doomed'))) ? undefined : true));
  });
});

describe('scheduler', () => {
  let t: TestGarden;
  before(async () => {
    t = await startTestGarden({ scheduler: true });
  });
  after(async () => {
    await t.cleanup();
  });

  it('binds a shoot without spec.seedName to the healthy seed of its provider with the fewest shoots', async () => {
    const seeds = t.garden.server.store('core.gardener.cloud', 'seeds');
    const shoots = t.garden.server.store('core.gardener.cloud', 'shoots');
    const seedSpec = (type: string) => ({ provider: { type, region: 'local' } });
    for (const [name, type, healthy] of [
      ['busy', 'local', true],
      ['idle', 'local', true],
      ['sick', 'local', false],
      ['other', 'aws', true],
    ] as const) {
      await seeds.create('', { metadata: { name }, spec: seedSpec(type) }, ctx);
      if (healthy)
        await seeds.patch('', name, 'status', 'merge', { status: { conditions: healthySeedConditions() } }, ctx);
    }
    const shootSpec = (seedName?: string) => ({
      cloudProfileName: 'local',
      region: 'local',
      provider: { type: 'local' },
      ...(seedName ? { seedName } : {}),
    });
    await shoots.create('garden-dev', { metadata: { name: 'placed' }, spec: shootSpec('busy') }, ctx);
    await shoots.create('garden-dev', { metadata: { name: 'unplaced' }, spec: shootSpec() }, ctx);
    const scheduled = await eventually(async () => {
      const shoot = await shoots.get('garden-dev', 'unplaced');
      return (shoot.spec as { seedName?: string }).seedName;
    });
    assert.equal(scheduled, 'idle');
  });
});

describe('shoot migration', () => {
  let t: TestGarden;
  before(async () => {
    t = await startTestGarden({ shootMigration: true });
  });
  after(async () => {
    await t.cleanup();
  });

  it("keeps ReadyForMigration and migrationStartTime while a shoot is moved, from the destination's heartbeat", async () => {
    const seeds = t.garden.server.store('core.gardener.cloud', 'seeds');
    const shoots = t.garden.server.store('core.gardener.cloud', 'shoots');
    const heartbeat = (name: string, at: Date) =>
      seeds.patch('', name, 'status', 'merge', { status: { conditions: healthySeedConditions(at) } }, ctx);
    for (const name of ['src', 'dst']) {
      await seeds.create('', { metadata: { name }, spec: { provider: { type: 'local', region: 'local' } } }, ctx);
      // Before the move, and fresh enough for admission.
      await heartbeat(name, new Date(Date.now() - 5_000));
    }
    const spec = { cloudProfileName: 'local', region: 'local', provider: { type: 'local' }, seedName: 'dst' };
    await shoots.create('garden-dev', { metadata: { name: 'moved' }, spec }, ctx);
    const setStatusSeed = (seedName: string | null) =>
      shoots.patch('garden-dev', 'moved', 'status', 'merge', { status: { seedName } }, ctx);
    await setStatusSeed('src');
    type Status = { migrationStartTime?: string; constraints?: { type: string; status: string; reason: string }[] };
    const status = async () => (await shoots.get('garden-dev', 'moved')).status as Status;
    const constraint = (s: Status) => s.constraints?.find((c) => c.type === 'ReadyForMigration');

    const waiting = await eventually(async () => {
      const s = await status();
      return constraint(s)?.status === 'False' ? s : undefined;
    });
    assert.equal(constraint(waiting)?.reason, 'DestinationSeedUnready', 'no heartbeat since the move began');
    const startedAt = waiting.migrationStartTime;
    assert.ok(startedAt);

    await heartbeat('dst', new Date(Date.now() + 2_000));
    const ready = await eventually(async () => {
      const s = await status();
      return constraint(s)?.status === 'True' ? s : undefined;
    });
    assert.equal(constraint(ready)?.reason, 'DestinationSeedReady');
    assert.equal(ready.migrationStartTime, startedAt, 'the start time stays');

    await setStatusSeed(null); // the Migrate succeeded
    const migrated = await eventually(async () => {
      const s = await status();
      return constraint(s) === undefined ? s : undefined;
    });
    assert.equal(migrated.migrationStartTime, startedAt, 'kept until the Restore');
    await setStatusSeed('dst'); // the Restore succeeded
    await eventually(async () => ((await status()).migrationStartTime === undefined ? true : undefined));
  });
});
