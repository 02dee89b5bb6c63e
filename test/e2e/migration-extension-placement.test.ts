/**
 * Extension placement on a real landscape: seed-a (provider local), seed-b (provider `other`,
 * running every extension package) and seed-c (provider `other`, without the local provider's
 * controllers: `--seed-extensions seed-c=backup-local,dns-rfc2136`). `transplant up` registers
 * the extension packages; every seed reports on its ControllerInstallations. The example shoot
 * (provider local, one worker) runs on seed-a: the seed document's binding to seed-c is refused
 * with a 422 at spec.seedName naming the local provider's kinds, and leaves the shoot as it was;
 * the binding to seed-b, of another provider type but running the local provider, moves the
 * control plane with its data, as the seed document's cross-provider note implies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Json } from '../helpers/api-client.js';
import { assertRejected, bindingWithJq, parseTable } from '../helpers/garden-e2e.js';
import { kubectl } from '../helpers/kubectl.js';
import {
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
  waitForRestoreOn,
} from '../helpers/migration.js';

async function kubectlJson(kubeconfig: string, args: string[]): Promise<Json> {
  const res = await kubectl(kubeconfig, [...args, '-o', 'json']);
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout);
}

const condition = (installation: Json, type: string) =>
  (installation.status?.conditions ?? []).find((c: Json) => c.type === type);

describe('extension placement: a shoot goes only where its extensions run', { timeout: 600_000 }, () => {
  let s: ShootOnLandscape;

  before(async () => {
    s = await startShootOnLandscape({
      seeds: ['seed-a', 'seed-b', 'seed-c'],
      upArgs: [
        '--seed-provider',
        'seed-b=other/eu-1',
        '--seed-provider',
        'seed-c=other',
        '--seed-extensions',
        'seed-c=backup-local,dns-rfc2136',
      ],
    });
  });
  after(async () => {
    await s?.stop();
  });

  it('has a ControllerInstallation per registration and seed, reporting what each seed runs', async () => {
    const garden = s.landscape.garden;
    const registrations = await kubectlJson(garden, ['get', 'controllerregistrations']);
    assert.deepEqual(registrations.items.map((r: Json) => r.metadata.name).sort(), [
      'backup-local',
      'backup-s3',
      'dns-rfc2136',
      'provider-local',
    ]);
    const installations = (await kubectlJson(garden, ['get', 'controllerinstallations'])).items as Json[];
    const byName = new Map(installations.map((i) => [i.metadata.name, i]));
    assert.equal(byName.size, 12, [...byName.keys()].join(', '));
    for (const seed of ['seed-a', 'seed-b']) {
      const local = byName.get(`provider-local-${seed}`);
      assert.equal(condition(local, 'Installed')?.status, 'True', JSON.stringify(local?.status));
      assert.equal(condition(local, 'Healthy')?.status, 'True');
    }
    const missing = byName.get('provider-local-seed-c');
    assert.equal(missing.spec.seedRef.name, 'seed-c');
    assert.equal(condition(missing, 'Installed')?.status, 'False');
    assert.equal(condition(missing, 'Installed')?.reason, 'ExtensionNotSupported');
    assert.match(condition(missing, 'Installed')?.message, /runs no controller for .*Worker\/local/);
    assert.equal(condition(byName.get('backup-local-seed-c'), 'Installed')?.status, 'True');

    const table = parseTable((await kubectl(garden, ['get', 'ctrlinst'])).stdout);
    const row = table.find((r) => r.NAME === 'provider-local-seed-c');
    assert.deepEqual(row && [row.REGISTRATION, row.CLUSTER, row.INSTALLED], ['provider-local', 'Seed/seed-c', 'False']);
    const seeds = parseTable((await kubectl(garden, ['get', 'seeds'])).stdout);
    assert.deepEqual(
      seeds.map((r) => [r.NAME, r.PROVIDER, r.REGION]),
      [
        ['seed-a', 'local', 'local'],
        ['seed-b', 'other', 'eu-1'],
        ['seed-c', 'other', 'local'],
      ],
    );
  });

  it('refuses the binding to a seed without the local provider, and changes nothing', async () => {
    const before = await s.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
    const result = await bindingWithJq(s.landscape.garden, SHOOT_NAMESPACE, SHOOT, '.spec.seedName = "seed-c"');
    assertRejected(result, {
      code: 422,
      reason: 'Invalid',
      message:
        /spec\.seedName: Invalid value: "seed-c": seed "seed-c" does not run the extensions the shoot needs: ControlPlane\/local, Infrastructure\/local, Worker\/local \(ControllerInstallation provider-local-seed-c: seed seed-c runs no controller for /,
      field: 'spec.seedName',
    });
    const after = await s.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(after.spec.seedName, 'seed-a');
  });

  it('moves the shoot, data and all, to a seed of another provider type that runs its extensions', async () => {
    const written = await s.client.request('POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'placed' },
      data: { seed: 'seed-a' },
    });
    assert.equal(written.status, 201, JSON.stringify(written.body));
    await triggerMigration(s.landscape.garden, 'seed-b');
    const restored = await waitForRestoreOn(s.landscape, 'seed-b');
    assert.equal(restored.spec.seedName, 'seed-b');
    const read = await s.client.request('GET', '/api/v1/namespaces/default/configmaps/placed');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, { seed: 'seed-a' });
    assert.equal(read.body.metadata.resourceVersion, written.body.metadata.resourceVersion);
  });
});
