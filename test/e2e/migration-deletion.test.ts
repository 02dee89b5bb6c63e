/**
 * Deleting a shoot around a control plane migration: while the Migrate runs (and while the
 * Restore has not succeeded) the garden refuses to mark the shoot for deletion, with a message
 * naming the operation; once the Restore succeeded, deleting it removes everything of it from
 * both seeds — no etcd process, data directory, namespace, extension or druid resource, and no
 * BackupEntry (nor source BackupEntry) or ShootState in the garden.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { entryObjects } from '../helpers/backup-buckets.js';
import { kubectl } from '../helpers/kubectl.js';
import type { TestLandscape } from '../helpers/landscape.js';
import {
  CONTROL_PLANE,
  denyMachineEgress,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
  WORKERS_STEP,
} from '../helpers/migration.js';
import { etcdPidsUnder, eventually } from '../helpers/processes.js';
import type { ShootClient } from '../helpers/shoot-client.js';

const HOLD_FINALIZER = 'test.transplant.dev/hold';

describe('deleting a shoot during and after its migration', () => {
  let shoot: ShootOnLandscape;
  let l: TestLandscape;
  let client: ShootClient;

  before(async () => {
    shoot = await startShootOnLandscape();
    l = shoot.landscape;
    client = shoot.client;
    const ns = await client.request('POST', '/api/v1/namespaces', { metadata: { name: 'data' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
    await client.createConfigMaps('data', 'cm', 500);
  });

  after(async () => {
    await shoot?.stop();
  });

  it('is refused while the Migrate runs and while the Restore has not succeeded', async () => {
    // Each phase is held where the test can try the deletion: the Migrate by a finalizer on seed-a's
    // Infrastructure (the flow waits until its extension resources are migrated, finalizers gone), the Restore by a
    // machine cut off from seed-b (the flow waits until the API server and the workers reach each other).
    const infrastructure = ['infrastructures.extensions.gardener.cloud', SHOOT, '-n', CONTROL_PLANE];
    const held = await kubectl(l.seedKubeconfig('seed-a'), [
      'patch',
      ...infrastructure,
      '--type',
      'json',
      '-p',
      `[{"op":"add","path":"/metadata/finalizers/-","value":"${HOLD_FINALIZER}"}]`,
    ]);
    assert.equal(held.code, 0, held.stderr);
    await denyMachineEgress(l, ['seed-b']);
    await triggerMigration(l.garden, 'seed-b');

    await waitForStep('Migrate', 'Waiting until extension resources have been migrated');
    await assertDeletionRefused('Migrate');
    const released = await kubectl(l.seedKubeconfig('seed-a'), [
      'patch',
      ...infrastructure,
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    assert.equal(released.code, 0, released.stderr);

    await waitForStep('Restore', WORKERS_STEP);
    await assertDeletionRefused('Restore');
    await denyMachineEgress(l, []);
    await l.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 120_000);

    const shoot = await l.shoot(SHOOT_NAMESPACE, SHOOT);
    assert.equal(shoot.metadata.deletionTimestamp, undefined, 'the shoot was never marked for deletion');
    assert.equal(shoot.status.seedName, 'seed-b');
  });

  async function waitForStep(type: string, step: string): Promise<void> {
    await eventually(
      async () => {
        const op = (await l.shoot(SHOOT_NAMESPACE, SHOOT)).status?.lastOperation;
        return op?.type === type && op.state === 'Processing' && String(op.description).includes(step)
          ? true
          : undefined;
      },
      60_000,
      `the ${type} waits at "${step}"`,
    );
  }

  async function assertDeletionRefused(type: string): Promise<void> {
    const deleted = await kubectl(l.garden, ['delete', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT, '--wait=false']);
    assert.notEqual(deleted.code, 0, `the deletion during ${type} was accepted: ${deleted.stdout}`);
    assert.match(
      deleted.stderr,
      new RegExp(`Forbidden.*cannot mark shoot for deletion during ${type} operation that is in state Processing`),
    );
  }

  it('after the Restore, leaves nothing of the shoot on either seed, in either bucket or in the garden', async () => {
    const uid = (await l.shoot(SHOOT_NAMESPACE, SHOOT)).metadata.uid;
    const entry = `${CONTROL_PLANE}--${uid}`;
    assert.ok((await entryObjects(l, 'seed-b', entry)).length > 0, "seed-b's bucket holds the shoot's backups");
    const deleted = await kubectl(l.garden, ['delete', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT, '--wait=false']);
    assert.equal(deleted.code, 0, deleted.stderr);
    await eventually(
      async () =>
        (await kubectl(l.garden, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT])).code !== 0 ? true : undefined,
      120_000,
      'the shoot is gone',
    );
    for (const seed of ['seed-a', 'seed-b']) {
      const seedDir = join(l.dir, 'seeds', seed);
      assert.deepEqual(await etcdPidsUnder(seedDir), [], `no etcd runs on ${seed}`);
      assert.equal(existsSync(join(seedDir, 'state', 'controlplanes', CONTROL_PLANE)), false, `no data on ${seed}`);
      const kubeconfig = l.seedKubeconfig(seed);
      const ns = await kubectl(kubeconfig, ['get', 'namespace', CONTROL_PLANE]);
      assert.match(ns.stderr, /NotFound/, `no control-plane namespace on ${seed}`);
      const left = await kubectl(kubeconfig, [
        'get',
        'etcds,etcdcopybackupstasks,dnsrecords,infrastructures,controlplanes,workers,backupentries.extensions.gardener.cloud',
        '-A',
        '-o',
        'name',
      ]);
      assert.equal(left.code, 0, left.stderr);
      assert.equal(left.stdout.trim(), '', `nothing of the shoot is left on ${seed}`);
    }
    const entries = await kubectl(l.garden, ['get', 'backupentries', '-n', SHOOT_NAMESPACE, '-o', 'name']);
    assert.equal(entries.code, 0, entries.stderr);
    assert.doesNotMatch(entries.stdout, new RegExp(uid), 'neither the BackupEntry nor the source entry is left');
    // The landscape's grace period is 0 (Gardener's default): the backups went with the entry.
    for (const seed of ['seed-a', 'seed-b']) {
      assert.deepEqual(await entryObjects(l, seed, entry), [], `${seed}'s bucket holds nothing of the shoot`);
    }
    const state = await kubectl(l.garden, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT]);
    assert.match(state.stderr, /NotFound/, 'the ShootState goes with the shoot');
    const refused = await kubectl(join(l.dir, 'shoot.kubeconfig'), ['get', 'ns', '--request-timeout=3s']);
    assert.notEqual(refused.code, 0, 'the shoot API no longer serves');
  });
});
