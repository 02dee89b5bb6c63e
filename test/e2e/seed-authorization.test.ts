/**
 * Seed authorization with the gardenlets' real credentials over HTTPS (issue 15): a landscape
 * with seed-a and seed-b, the example shoot on seed-a, and kubectl with each seed's garden
 * kubeconfig (`DIR/seeds/<seed>/garden.kubeconfig`, what its gardenlet uses). seed-b cannot get,
 * list or watch seed-a's shoot, its ShootState or seed-a's Secrets, nor change seed-a's Seed or
 * Lease; seed-a cannot move its shoot (`spec.seedName`, the binding). `kubectl auth can-i` says
 * the same. The seed document's trigger then moves the shoot to seed-b: both seeds do their
 * steps, seed-a's open watch sees the shoot go (DELETED), and afterwards seed-a can no longer
 * read it while seed-b can.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CommandResult, kubectl, kubectlStream } from '../helpers/kubectl.js';
import {
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
  waitForRestoreOn,
} from '../helpers/migration.js';

const shootPath = `/apis/core.gardener.cloud/v1beta1/namespaces/${SHOOT_NAMESPACE}/shoots/${SHOOT}`;

function assertForbidden(result: CommandResult, pattern: RegExp = /forbidden/i): void {
  assert.notEqual(result.code, 0, `expected a refusal, got: ${result.stdout}`);
  assert.match(result.stderr, pattern);
}

function assertOk(result: CommandResult): void {
  assert.equal(result.code, 0, result.stderr);
}

describe('seed authorization with the gardenlets’ own credentials', () => {
  let s: ShootOnLandscape;
  let seedA: string;
  let seedB: string;
  /** seed-a's watch of the shoots it hosts, open across the migration. */
  let hostedWatch: ReturnType<typeof kubectlStream>;

  before(async () => {
    s = await startShootOnLandscape();
    seedA = join(s.landscape.dir, 'seeds', 'seed-a', 'garden.kubeconfig');
    seedB = join(s.landscape.dir, 'seeds', 'seed-b', 'garden.kubeconfig');
  });
  after(async () => {
    hostedWatch?.stop();
    await s?.stop();
  });

  it("keeps seed-b out of seed-a's shoot, ShootState and Secrets", async () => {
    assertOk(await kubectl(seedA, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT]));
    assertOk(await kubectl(seedA, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT]));
    const cannotGet = new RegExp(
      `User "gardener.cloud:system:seed:seed-b" cannot get resource "shoots" in API group "core.gardener.cloud" in the namespace "${SHOOT_NAMESPACE}": no relationship found between seed "seed-b" and this object`,
    );
    assertForbidden(await kubectl(seedB, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT]), cannotGet);
    assertForbidden(await kubectl(seedB, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT]));
    assertForbidden(await kubectl(seedB, ['get', 'secret', '-n', 'garden', 'backup-seed-a']));
    // Lists and watches: refused without the seed's own field selector, empty with it.
    assertForbidden(await kubectl(seedB, ['get', 'shoots', '-A']), /field selector spec.seedName=seed-b/);
    assertForbidden(await kubectl(seedB, ['get', 'shoots', '-A', '--field-selector', 'spec.seedName=seed-a']));
    assertForbidden(
      await kubectl(seedB, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT, '--watch', '--request-timeout=5s']),
    );
    assertForbidden(await kubectl(seedB, ['get', 'secrets', '-n', 'garden']));
    const own = await kubectl(seedB, ['get', 'shoots', '-A', '--field-selector', 'spec.seedName=seed-b', '-o', 'name']);
    assertOk(own);
    assert.equal(own.stdout, '');
    const raw = await kubectl(seedB, ['get', '--raw', `${shootPath}?watch=true&timeoutSeconds=1`]);
    assertForbidden(raw);
  });

  it("keeps seed-b off seed-a's Seed and Lease, and seed-a from moving its shoot", async () => {
    assertForbidden(
      await kubectl(seedB, [
        'patch',
        'seed',
        'seed-a',
        '--subresource',
        'status',
        '--type',
        'merge',
        '-p',
        '{"status":{"conditions":[]}}',
      ]),
      /seed "seed-b" may only access its own Seed/,
    );
    assertForbidden(
      await kubectl(seedB, [
        'patch',
        'lease',
        '-n',
        'gardener-system-seed-lease',
        'seed-a',
        '--type',
        'merge',
        '-p',
        '{"spec":{"holderIdentity":"seed-b"}}',
      ]),
    );
    const seedC = JSON.stringify({
      apiVersion: 'core.gardener.cloud/v1beta1',
      kind: 'Seed',
      metadata: { name: 'seed-c' },
      spec: { provider: { type: 'local' } },
    });
    assertForbidden(await kubectl(seedB, ['create', '-f', '-'], seedC), /may only register and change its own Seed/);
    const lease = JSON.stringify({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'seed-x', namespace: 'gardener-system-seed-lease' },
    });
    assertForbidden(await kubectl(seedB, ['create', '-f', '-'], lease), /may only write its own Lease/);
    assertForbidden(
      await kubectl(seedA, [
        'patch',
        'shoot',
        '-n',
        SHOOT_NAMESPACE,
        SHOOT,
        '--type',
        'merge',
        '-p',
        '{"spec":{"seedName":"seed-b"}}',
      ]),
      /may not change spec.seedName/,
    );
    const shoot = JSON.parse((await kubectl(seedA, ['get', '--raw', shootPath])).stdout);
    const binding = JSON.stringify({ ...shoot, spec: { ...shoot.spec, seedName: 'seed-a' } });
    assertForbidden(
      await kubectl(seedA, ['replace', '--raw', `${shootPath}/binding`, '-f', '-'], binding),
      /shoots\/binding/,
    );
  });

  it('answers kubectl auth can-i as it decides', async () => {
    const canI = async (kubeconfig: string, ...args: string[]) =>
      // `no - <the authorizer's reason>` for a refusal.
      (await kubectl(kubeconfig, ['auth', 'can-i', ...args, '-n', SHOOT_NAMESPACE])).stdout.trim().split(' ')[0];
    assert.equal(await canI(seedA, 'get', `shoots.core.gardener.cloud/${SHOOT}`), 'yes');
    assert.equal(await canI(seedB, 'get', `shoots.core.gardener.cloud/${SHOOT}`), 'no');
    assert.equal(await canI(seedA, 'list', 'shoots.core.gardener.cloud'), 'no');
    assert.equal(await canI(seedA, 'update', `shoots.core.gardener.cloud/${SHOOT}`, '--subresource', 'binding'), 'no');
    assert.equal(await canI(seedA, 'get', 'namespaces'), 'no');
  });

  it('moves the shoot to seed-b with both seeds doing their steps; then seed-a cannot read it', async () => {
    hostedWatch = kubectlStream(seedA, [
      'get',
      'shoots',
      '-A',
      '--field-selector',
      'status.seedName=seed-a',
      '--watch',
      '--output-watch-events',
      '-o',
      'json',
    ]);
    await hostedWatch.waitFor(/"type":\s*"ADDED"/);
    await triggerMigration(s.landscape.garden, 'seed-b');
    const restored = await waitForRestoreOn(s.landscape, 'seed-b');
    assert.equal(restored.status.seedName, 'seed-b');
    await hostedWatch.waitFor(/"type":\s*"DELETED"/);
    assertForbidden(await kubectl(seedA, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT]));
    assertForbidden(await kubectl(seedA, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT]));
    assertForbidden(await kubectl(seedA, ['get', 'secret', '-n', 'garden', 'backup-seed-b']));
    const hosted = await kubectl(seedA, [
      'get',
      'shoots',
      '-A',
      '--field-selector',
      'status.seedName=seed-a',
      '-o',
      'name',
    ]);
    assertOk(hosted);
    assert.equal(hosted.stdout, '');
    assertOk(await kubectl(seedB, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT]));
    assertOk(await kubectl(seedB, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT]));
  });
});
