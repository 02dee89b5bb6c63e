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
import { bash, kubectl } from '../helpers/kubectl.js';
import { examplesDir, startLandscape, type TestLandscape } from '../helpers/landscape.js';
import { etcdPidsUnder, eventually } from '../helpers/processes.js';
import { type ShootClient, shootClient } from '../helpers/shoot-client.js';

const NAMESPACE = 'garden-dev';
const SHOOT = 'my-shoot';
const CONTROL_PLANE = 'shoot--dev--my-shoot';

/** The seed document's trigger command, verbatim. */
const TRIGGER = `kubectl get --raw /apis/core.gardener.cloud/v1beta1/namespaces/\${NAMESPACE}/shoots/\${SHOOT_NAME} | jq -c '.spec.seedName = "'\${DEST_SEED_NAME}'"' | kubectl replace --raw /apis/core.gardener.cloud/v1beta1/namespaces/\${NAMESPACE}/shoots/\${SHOOT_NAME}/binding -f - | jq -r '.spec.seedName'`;

describe('deleting a shoot during and after its migration', () => {
  let l: TestLandscape;
  let client: ShootClient;

  before(async () => {
    l = await startLandscape({ seeds: ['seed-a', 'seed-b'] });
    for (const file of ['10-project.yaml', '30-shoot.yaml']) {
      const applied = await kubectl(l.garden, ['apply', '-f', join(examplesDir, file)]);
      assert.equal(applied.code, 0, applied.stderr);
    }
    await l.waitForOperation(NAMESPACE, SHOOT, 'Create', 120_000);
    client = await shootClient(await l.adminKubeconfig(NAMESPACE, SHOOT, join(l.dir, 'shoot.kubeconfig')));
    const ns = await client.request('POST', '/api/v1/namespaces', { metadata: { name: 'data' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
    // Enough data that the Migrate and the Restore take long enough to try a deletion in each.
    await client.createConfigMaps('data', 'cm', 5_000);
  });

  after(async () => {
    client?.close();
    await l?.stop();
  });

  it('is refused while the Migrate runs and while the Restore has not succeeded', async (t) => {
    const triggered = await bash(TRIGGER, {
      KUBECONFIG: l.garden,
      NAMESPACE,
      SHOOT_NAME: SHOOT,
      DEST_SEED_NAME: 'seed-b',
    });
    assert.equal(triggered.code, 0, triggered.stderr);
    const refusedIn = new Set<string>();
    await eventually(
      async () => {
        const op = (await l.shoot(NAMESPACE, SHOOT)).status?.lastOperation;
        if (op?.state === 'Processing' && !refusedIn.has(op.type)) {
          const deleted = await kubectl(l.garden, ['delete', 'shoot', '-n', NAMESPACE, SHOOT, '--wait=false']);
          assert.notEqual(deleted.code, 0, `the deletion during ${op.type} was accepted: ${deleted.stdout}`);
          assert.match(
            deleted.stderr,
            new RegExp(
              `Forbidden.*cannot mark shoot for deletion during ${op.type} operation that is in state Processing`,
            ),
          );
          refusedIn.add(op.type);
        }
        return op?.type === 'Restore' && op.state === 'Succeeded' ? true : undefined;
      },
      150_000,
      'the Restore on seed-b has succeeded',
    );
    t.diagnostic(`deletions refused during: ${[...refusedIn].join(', ')}`);
    assert.ok(refusedIn.has('Migrate'), 'a deletion was tried (and refused) during the Migrate');
    const shoot = await l.shoot(NAMESPACE, SHOOT);
    assert.equal(shoot.metadata.deletionTimestamp, undefined, 'the shoot was never marked for deletion');
    assert.equal(shoot.status.seedName, 'seed-b');
  });

  it('after the Restore, leaves nothing of the shoot on either seed or in the garden', async () => {
    const uid = (await l.shoot(NAMESPACE, SHOOT)).metadata.uid;
    const deleted = await kubectl(l.garden, ['delete', 'shoot', '-n', NAMESPACE, SHOOT, '--wait=false']);
    assert.equal(deleted.code, 0, deleted.stderr);
    await eventually(
      async () => ((await kubectl(l.garden, ['get', 'shoot', '-n', NAMESPACE, SHOOT])).code !== 0 ? true : undefined),
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
    const entries = await kubectl(l.garden, ['get', 'backupentries', '-n', NAMESPACE, '-o', 'name']);
    assert.equal(entries.code, 0, entries.stderr);
    assert.doesNotMatch(entries.stdout, new RegExp(uid), 'neither the BackupEntry nor the source entry is left');
    const state = await kubectl(l.garden, ['get', 'shootstate', '-n', NAMESPACE, SHOOT]);
    assert.match(state.stderr, /NotFound/, 'the ShootState goes with the shoot');
    const refused = await kubectl(join(l.dir, 'shoot.kubeconfig'), ['get', 'ns', '--request-timeout=3s']);
    assert.notEqual(refused.code, 0, 'the shoot API no longer serves');
  });
});
