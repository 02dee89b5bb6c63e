/**
 * The classic migration of a highly available shoot (docs/ha-control-planes.md, increment 6),
 * reached the other way than test/e2e/ha-shoot.test.ts (created HA): the example shoot is
 * created with one etcd member and made highly available with `kubectl patch` of
 * `failureTolerance: node` while a writer creates a ConfigMap every 20 ms (the druid scales
 * etcd-main from 1 to 3 members; the kube-apiserver becomes 2 replicas). Then the seed
 * document's binding command moves it to seed-b, whose druid restores a 3-member cluster from
 * the backups. Every acknowledged write is there through the API and in each of seed-b's 3
 * members (read from each member alone, serializable), and no Etcd is left on seed-a; `transplant
 * down` then stops the 3 members too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Json } from '../helpers/api-client.js';
import { getJson, kubectl } from '../helpers/kubectl.js';
import {
  CONTROL_PLANE,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
} from '../helpers/migration.js';
import { etcdPidsUnder, eventually } from '../helpers/processes.js';
import { checkWrites, startShootWriter } from '../helpers/shoot-writer.js';
import { transplant } from '../helpers/transplant-cli.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the classic migration of a highly available shoot from seed-a to seed-b', () => {
  let shoot: ShootOnLandscape;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-migration-ha-'));
    shoot = await startShootOnLandscape();
    const ns = await shoot.client.request('POST', '/api/v1/namespaces', { metadata: { name: 'writes' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
  });

  after(async () => {
    await shoot?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const etcdMain = (seed: string): Promise<Json> =>
    getJson(shoot.landscape.seedKubeconfig(seed), ['get', 'etcd', 'etcd-main', '-n', CONTROL_PLANE]);

  /** The names of the ConfigMaps in `writes` that one member holds itself (a serializable read of that member alone). */
  async function namesInMember(
    clientUrl: string,
    files: { ca: string; cert: string; key: string },
  ): Promise<Set<string>> {
    const { stdout } = await promisify(execFile)(
      '/usr/bin/etcdctl',
      [
        `--endpoints=${clientUrl}`,
        `--cacert=${files.ca}`,
        `--cert=${files.cert}`,
        `--key=${files.key}`,
        '--consistency=s',
        'get',
        '--prefix',
        '--keys-only',
        '/registry/configmaps/writes/',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    return new Set(
      stdout
        .split('\n')
        .filter((line) => line.startsWith('/registry/configmaps/writes/'))
        .map((key) => key.slice('/registry/configmaps/writes/'.length)),
    );
  }

  /** seed-b's etcd client certificate, CA and key as files (0600) for etcdctl. */
  async function clientFiles(seed: string): Promise<{ ca: string; cert: string; key: string }> {
    const secret = await getJson(shoot.landscape.seedKubeconfig(seed), [
      'get',
      'secret',
      'etcd-client-tls',
      '-n',
      CONTROL_PLANE,
    ]);
    const files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
    for (const [key, path] of [
      ['ca.crt', files.ca],
      ['tls.crt', files.cert],
      ['tls.key', files.key],
    ] as const) {
      await writeFile(path, Buffer.from(secret.data[key], 'base64'), { mode: 0o600 });
    }
    return files;
  }

  it("every acknowledged write is in each of the destination's 3 members", async (t) => {
    assert.equal((await etcdMain('seed-a')).spec.replicas, 1);
    const writer = startShootWriter(shoot.client, { namespace: 'writes', prefix: 'w', intervalMs: 20 });
    while (writer.acknowledgedCount < 50) await sleep(20);

    const ha = JSON.stringify({ spec: { controlPlane: { highAvailability: { failureTolerance: { type: 'node' } } } } });
    const patched = await kubectl(shoot.landscape.garden, [
      'patch',
      'shoot',
      '-n',
      SHOOT_NAMESPACE,
      SHOOT,
      '--type',
      'merge',
      '-p',
      ha,
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    await eventually(
      async () => {
        const s = await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
        const last = s.status?.lastOperation;
        const reconciled =
          last?.type === 'Reconcile' &&
          last.state === 'Succeeded' &&
          s.status.observedGeneration === s.metadata.generation;
        const etcd = reconciled ? await etcdMain('seed-a') : undefined;
        const members: Json[] = etcd?.status?.members ?? [];
        return members.length === 3 && members.every((m) => m.status === 'Ready') ? true : undefined;
      },
      180_000,
      'the shoot reconciled with 3 Ready members of etcd-main on seed-a',
    );
    const atScaleUp = writer.acknowledgedCount;
    await eventually(
      async () => (writer.acknowledgedCount >= atScaleUp + 50 ? true : undefined),
      60_000,
      'the writer gets 50 more writes through on the highly available control plane',
    );

    await triggerMigration(shoot.landscape.garden, 'seed-b');
    const restored = await shoot.landscape.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 240_000);
    assert.equal(restored.status.seedName, 'seed-b');
    const atRestore = writer.acknowledgedCount;
    await eventually(
      async () => (writer.acknowledgedCount >= atRestore + 50 ? true : undefined),
      60_000,
      'the writer gets 50 more writes through on seed-b',
    );
    const records = await writer.stop();
    t.diagnostic(`${records.acknowledged.length} writes acknowledged, ${records.failed.length} failed`);

    const { items } = await shoot.client.listConfigMaps('writes');
    const check = checkWrites(records, items);
    assert.deepEqual(check.missing, [], 'no acknowledged create is missing through the API');
    assert.deepEqual(check.changed, [], 'every acknowledged create has its resourceVersion and content');

    const etcd = await etcdMain('seed-b');
    assert.equal(etcd.spec.replicas, 3);
    const members: Json[] = etcd.status.members;
    assert.deepEqual(
      members.map((m) => [m.name, m.status]),
      [0, 1, 2].map((i) => [`etcd-main-${i}`, 'Ready']),
    );
    const files = await clientFiles('seed-b');
    const acknowledged = records.acknowledged.map((w) => w.name);
    for (const member of members) {
      // A follower applies what the leader committed a moment later: each is asked until it has them.
      await eventually(
        async () => {
          const names = await namesInMember(member.clientUrl, files);
          return acknowledged.every((name) => names.has(name)) ? true : undefined;
        },
        30_000,
        `every acknowledged write in ${member.name} of seed-b`,
      );
    }
    const gone = await getJson(shoot.landscape.seedKubeconfig('seed-a'), ['get', 'etcds', '-n', CONTROL_PLANE]);
    assert.deepEqual(gone.items, [], 'no etcd of the shoot is left on seed-a');
  });

  it("transplant down stops the landscape and seed-b's 3 members with it", async () => {
    const l = shoot.landscape;
    assert.equal((await etcdPidsUnder(join(l.dir, 'seeds', 'seed-b'))).length, 3);
    const down = await transplant(['down', '--dir', l.dir]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await etcdPidsUnder(l.dir), [], 'no etcd outlives down');
  });
});
