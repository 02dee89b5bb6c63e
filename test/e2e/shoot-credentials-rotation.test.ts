/**
 * Two-phase credentials rotation across a control plane migration (issue 16, item 3): the
 * example shoot with data and a machine on seed-a; `gardener.cloud/operation:
 * rotate-credentials-start` on seed-a, after which the admin kubeconfig from before and one issued
 * now both work; a migration to seed-b with the seed document's command, after which both still
 * work; `rotate-credentials-complete` on seed-b, after which only the new one works (the old
 * client certificate gets 401 even with the new CA). Every object is intact and the node, which
 * took its new kubeconfig on by itself, stays Ready throughout. Admission refuses an unknown
 * operation and a complete before the rotation is Prepared, each a 422 naming the annotation.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import type { Json } from '../helpers/api-client.js';
import { kubectl } from '../helpers/kubectl.js';
import {
  CONTROL_PLANE,
  MACHINE,
  readyNodes,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
  waitForRestoreOn,
} from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';
import { type ShootClient, shootClient } from '../helpers/shoot-client.js';

const DATA_NAMESPACE = 'rotation-data';
const OPERATION = 'gardener.cloud/operation';

describe('credentials rotation started on seed-a, completed on seed-b', () => {
  let shoot: ShootOnLandscape;
  let newKubeconfig: string;
  let dataBefore: string;

  before(async () => {
    shoot = await startShootOnLandscape();
    newKubeconfig = join(shoot.landscape.dir, 'shoot-rotated.kubeconfig');
  });

  after(async () => {
    await shoot?.stop();
  });

  const annotate = (value: string) =>
    kubectl(shoot.landscape.garden, ['annotate', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT, `${OPERATION}=${value}`]);

  /** The ConfigMaps and Secrets of the data namespace, as kubectl shows them through `kubeconfig`. */
  async function data(kubeconfig: string): Promise<string> {
    const got = await kubectl(kubeconfig, ['get', 'configmaps,secrets', '-n', DATA_NAMESPACE, '-o', 'json']);
    assert.equal(got.code, 0, got.stderr);
    const items = (JSON.parse(got.stdout) as Json).items
      .filter((o: Json) => o.metadata.name !== 'kube-root-ca.crt')
      .map((o: Json) => ({ kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, data: o.data }));
    return JSON.stringify(items);
  }

  async function waitForPhase(phase: string): Promise<Json> {
    return eventually(
      async () => {
        const s = await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
        const rotation = s.status?.credentials?.rotation ?? {};
        const done =
          rotation.certificateAuthorities?.phase === phase &&
          rotation.serviceAccountKey?.phase === phase &&
          s.metadata.annotations?.[OPERATION] === undefined &&
          s.status.lastOperation?.state === 'Succeeded';
        return done ? s : undefined;
      },
      180_000,
      `the credentials rotation ${phase}`,
    );
  }

  /** The machine's node renews its Lease after `since` (it reaches the API server with its current kubeconfig). */
  async function nodeRenewsAfter(since: string, client: ShootClient = shoot.client): Promise<void> {
    await eventually(
      async () => {
        const got = await client
          .request('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${MACHINE}`)
          .catch(() => undefined);
        return ((got?.body as Json | undefined)?.spec?.renewTime ?? '') > since ? true : undefined;
      },
      90_000,
      `the node renews its Lease after ${since}`,
    );
    assert.deepEqual(await readyNodes(client), [MACHINE]);
  }

  const machineKubeconfig = () =>
    loadKubeconfig(join(shoot.landscape.dir, 'infrastructure', CONTROL_PLANE, MACHINE, 'kubeconfig'));

  it('has data and a Ready node on seed-a; admission refuses an unknown operation and a premature complete', async () => {
    const ns = await kubectl(shoot.kubeconfig, ['create', 'namespace', DATA_NAMESPACE]);
    assert.equal(ns.code, 0, ns.stderr);
    for (let i = 0; i < 5; i++) {
      const cm = await kubectl(shoot.kubeconfig, [
        'create',
        'configmap',
        `cm-${i}`,
        '-n',
        DATA_NAMESPACE,
        `--from-literal=i=${i}`,
      ]);
      assert.equal(cm.code, 0, cm.stderr);
    }
    const secret = await kubectl(shoot.kubeconfig, [
      'create',
      'secret',
      'generic',
      'token',
      '-n',
      DATA_NAMESPACE,
      '--from-literal=t=s3cr3t',
    ]);
    assert.equal(secret.code, 0, secret.stderr);
    dataBefore = await data(shoot.kubeconfig);
    await eventually(
      async () => ((await readyNodes(shoot.client)).length === 1 ? true : undefined),
      60_000,
      'a Ready node',
    );

    const unknown = await annotate('rotate-everything');
    assert.notEqual(unknown.code, 0);
    assert.match(
      unknown.stderr,
      /metadata\.annotations\[gardener\.cloud\/operation\]: Unsupported value: "rotate-everything"/,
    );
    const early = await annotate('rotate-credentials-complete');
    assert.notEqual(early.code, 0);
    assert.match(
      early.stderr,
      /Forbidden: cannot complete rotation of all credentials if \.status\.credentials\.rotation\.certificateAuthorities\.phase is not 'Prepared'/,
    );
    const s = await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
    assert.equal(s.metadata.annotations?.[OPERATION], undefined, 'nothing was stored');
  });

  it('rotate-credentials-start: the old and a new admin kubeconfig both work, the node takes the new CAs on', async () => {
    const oldCaPem = loadKubeconfig(shoot.kubeconfig).caPem!;
    const started = await annotate('rotate-credentials-start');
    assert.equal(started.code, 0, started.stderr);
    const s = await waitForPhase('Prepared');
    assert.ok(s.status.credentials.rotation.certificateAuthorities.lastInitiationFinishedTime);
    const preparedAt = new Date().toISOString();

    await shoot.landscape.adminKubeconfig(SHOOT_NAMESPACE, SHOOT, newKubeconfig);
    const fresh = loadKubeconfig(newKubeconfig);
    assert.equal(certificates(fresh.caPem!).length, 2, 'the new kubeconfig trusts the old and the new cluster CA');
    assert.ok(fresh.caPem!.includes(oldCaPem.trim()), 'the old CA among them');

    assert.equal(await data(shoot.kubeconfig), dataBefore, 'the old kubeconfig works');
    assert.equal(await data(newKubeconfig), dataBefore, 'the new kubeconfig works');
    await eventually(
      async () => (certificates(machineKubeconfig().caPem ?? '').length === 2 ? true : undefined),
      60_000,
      "the machine's kubeconfig trusts both CAs",
    );
    await nodeRenewsAfter(preparedAt);
  });

  it('both kubeconfigs still work after the migration to seed-b, the rotation still Prepared', async () => {
    await triggerMigration(shoot.landscape.garden, 'seed-b');
    const restored = await waitForRestoreOn(shoot.landscape, 'seed-b');
    assert.equal(restored.status.credentials.rotation.certificateAuthorities.phase, 'Prepared');
    const restoredAt = new Date().toISOString();
    assert.equal(await data(shoot.kubeconfig), dataBefore, 'the old kubeconfig works on seed-b');
    assert.equal(await data(newKubeconfig), dataBefore, 'the new kubeconfig works on seed-b');
    await nodeRenewsAfter(restoredAt);
  });

  it('rotate-credentials-complete on seed-b: only the new kubeconfig works, the old certificate gets 401', async () => {
    const completed = await annotate('rotate-credentials-complete');
    assert.equal(completed.code, 0, completed.stderr);
    const s = await waitForPhase('Completed');
    assert.equal(s.status.seedName, 'seed-b');
    assert.ok(s.status.credentials.rotation.certificateAuthorities.lastCompletionTime);
    const completedAt = new Date().toISOString();

    assert.equal(await data(newKubeconfig), dataBefore, 'the new kubeconfig works, every object intact');
    const old = await kubectl(shoot.kubeconfig, ['get', 'configmaps', '-n', DATA_NAMESPACE]);
    assert.notEqual(old.code, 0, 'the old kubeconfig no longer works');

    // The old client certificate, presented to a server the client trusts: refused as unauthenticated.
    const oldCredentials = loadKubeconfig(shoot.kubeconfig);
    const fresh = loadKubeconfig(newKubeconfig);
    const mixed = join(shoot.landscape.dir, 'old-certificate.kubeconfig');
    await writeFile(
      mixed,
      buildKubeconfig({
        clusterName: 'old-certificate',
        server: fresh.server,
        caPem: fresh.caPem!,
        user: { name: 'old', clientCertPem: oldCredentials.clientCertPem!, clientKeyPem: oldCredentials.clientKeyPem! },
      }),
      { mode: 0o600 },
    );
    const refused = await kubectl(mixed, ['get', 'configmaps', '-n', DATA_NAMESPACE]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Unauthorized/);

    // A kubeconfig issued now trusts the new CA alone.
    const after = join(shoot.landscape.dir, 'shoot-after.kubeconfig');
    await shoot.landscape.adminKubeconfig(SHOOT_NAMESPACE, SHOOT, after);
    assert.equal(certificates(loadKubeconfig(after).caPem!).length, 1);
    assert.equal(await data(after), dataBefore);
    await eventually(
      async () => (certificates(machineKubeconfig().caPem ?? '').length === 1 ? true : undefined),
      60_000,
      "the machine's kubeconfig trusts the new CA alone",
    );
    // The test's own client has the old kubeconfig: it is refused now.
    const client = await shootClient(after);
    try {
      await nodeRenewsAfter(completedAt, client);
    } finally {
      client.close();
    }
  });
});

function certificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
