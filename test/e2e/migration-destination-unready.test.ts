/**
 * A destination seed that fails after the binding (its process frozen with SIGSTOP: no heartbeat,
 * no gardenlet): the source's Migrate waits at "Waiting until the destination seed is ready" and
 * stops nothing, so the shoot keeps serving reads and writes from seed-a; the shoot's conditions say
 * Progressing, `status.migrationStartTime` is set, the wait shows in lastOperation and lastErrors.
 * Once the destination is thawed the migration completes by itself with every object, the start
 * time goes, and `kubectl describe shoot` (real kubectl) tells the story through Events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Json } from '../helpers/api-client.js';
import { kubectl } from '../helpers/kubectl.js';
import type { TestLandscape } from '../helpers/landscape.js';
import {
  SHOOT_NAMESPACE as NAMESPACE,
  SHOOT,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
} from '../helpers/migration.js';
import { alive, eventually } from '../helpers/processes.js';
import type { ShootClient } from '../helpers/shoot-client.js';

const WAIT_STEP = 'Waiting until the destination seed is ready';

const condition = (shoot: Json, list: 'conditions' | 'constraints', type: string) =>
  (shoot.status?.[list] ?? []).find((c: Json) => c.type === type);

describe('a destination seed that fails after the binding', () => {
  let onLandscape: ShootOnLandscape;
  let l: TestLandscape;
  let client: ShootClient;
  let frozen: number | undefined;

  before(async () => {
    // Waits give up after 15 s (the Migrate's wait shows in lastErrors then, and runs again).
    onLandscape = await startShootOnLandscape({ upArgs: ['--wait-timeout', '15'] });
    ({ landscape: l, client } = onLandscape);
    const created = await client.request('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'before-the-move' },
      data: { a: '1' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  after(async () => {
    if (alive(frozen)) process.kill(frozen!, 'SIGCONT');
    await onLandscape?.stop();
  });

  it('Migrate waits at its first step while the destination is frozen, and the shoot keeps serving', async () => {
    frozen = (await l.file()).seeds['seed-b']!.pid!;
    // Right after the freeze seed-b's last heartbeat is seconds old: the binding is admitted.
    process.kill(frozen, 'SIGSTOP');
    await triggerMigration(l.garden, 'seed-b');

    const waiting = await eventually(
      async () => {
        const shoot = await l.shoot(NAMESPACE, SHOOT);
        return shoot.status?.lastErrors?.some((e: Json) => e.taskID === WAIT_STEP) ? shoot : undefined;
      },
      60_000,
      `the Migrate's lastErrors name "${WAIT_STEP}"`,
    );
    const error = waiting.status.lastErrors.find((e: Json) => e.taskID === WAIT_STEP);
    assert.match(error.description, /destination Seed is not available to host the control plane of Shoot my-shoot/);
    assert.match(error.description, /seed-b is not ready/);
    assert.equal(waiting.status.lastOperation.type, 'Migrate');
    assert.match(waiting.status.lastOperation.description, new RegExp(WAIT_STEP));
    assert.equal(waiting.status.lastErrors.length, 1, 'no other step ran');
    assert.equal(waiting.status.seedName, 'seed-a');
    const constraint = condition(waiting, 'constraints', 'ReadyForMigration');
    assert.equal(constraint?.status, 'False');
    assert.equal(constraint?.reason, 'DestinationSeedUnready');
    assert.ok(!Number.isNaN(Date.parse(waiting.status.migrationStartTime)), 'status.migrationStartTime is set');
    for (const type of ['APIServerAvailable', 'ControlPlaneHealthy', 'EveryNodeReady', 'SystemComponentsHealthy']) {
      const c = condition(waiting, 'conditions', type);
      assert.equal(c?.status, 'Progressing', `${type} says Progressing`);
      assert.equal(c?.reason, 'ShootMigrating');
    }

    // The control plane on seed-a still serves, writes included.
    const read = await client.request('GET', '/api/v1/namespaces/default/configmaps/before-the-move');
    assert.equal(read.status, 200, JSON.stringify(read.body));
    const written = await client.request('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'while-waiting' },
      data: { b: '2' },
    });
    assert.equal(written.status, 201, JSON.stringify(written.body));
  });

  it('when the destination is back the migration completes with every object, and the start time goes', async () => {
    process.kill(frozen!, 'SIGCONT');
    frozen = undefined;
    const restored = await l.waitForOperation(NAMESPACE, SHOOT, 'Restore', 180_000);
    assert.equal(restored.status.seedName, 'seed-b');
    assert.equal(restored.status.migrationStartTime, undefined);
    assert.equal(condition(restored, 'constraints', 'ReadyForMigration'), undefined);
    assert.equal(condition(restored, 'conditions', 'APIServerAvailable')?.status, 'True', 'judged afresh');
    for (const name of ['before-the-move', 'while-waiting']) {
      const got = await eventually(
        async () => {
          const res = await client
            .request('GET', `/api/v1/namespaces/default/configmaps/${name}`)
            .catch(() => undefined);
          return res?.status === 200 ? res : undefined;
        },
        30_000,
        `ConfigMap ${name} through the kubeconfig issued before the move`,
      );
      assert.equal(got.body.metadata.name, name);
    }
  });

  it('kubectl describe shoot and kubectl get events tell the story of the migration', async () => {
    const described = await kubectl(l.garden, ['describe', 'shoot', '-n', NAMESPACE, SHOOT]);
    assert.equal(described.code, 0, described.stderr);
    const events = described.stdout.slice(described.stdout.lastIndexOf('Events:'));
    for (const line of [
      /Normal\s+PrepareMigration\s+.*shoot-controller\s+Preparing Shoot cluster for migration/,
      new RegExp(`Warning\\s+MigrationPreparationFailed\\s+.*${WAIT_STEP}`),
      /Normal\s+MigrationPrepared\s+.*Prepared Shoot cluster for migration/,
      /Normal\s+Reconciling\s+.*Restoring Shoot cluster/,
      /Normal\s+Reconciled\s+.*Restored Shoot cluster/,
    ]) {
      assert.match(events, line);
    }
    const listed = await kubectl(l.garden, [
      'get',
      'events',
      '-n',
      NAMESPACE,
      '--field-selector',
      `involvedObject.name=${SHOOT}`,
      '-o',
      'json',
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    const items: Json[] = JSON.parse(listed.stdout).items;
    const reasons = new Set(items.map((e) => e.reason));
    for (const reason of ['Reconciled', 'PrepareMigration', 'MigrationPreparationFailed', 'MigrationPrepared']) {
      assert.ok(reasons.has(reason), `an Event ${reason}; got ${[...reasons].join(', ')}`);
    }
    const prepared = items.find((e) => e.reason === 'MigrationPrepared');
    assert.deepEqual(
      {
        kind: prepared.involvedObject.kind,
        apiVersion: prepared.involvedObject.apiVersion,
        action: prepared.action,
        instance: prepared.reportingInstance,
      },
      { kind: 'Shoot', apiVersion: 'core.gardener.cloud/v1beta1', action: 'Migrate', instance: 'gardenlet-seed-a' },
    );
  });
});
