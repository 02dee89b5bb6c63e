/**
 * A shoot's life on a real landscape (`transplant up`): created from examples/ with kubectl, its
 * control plane (real etcd + kube-apiserver) serves at its own address, an admin kubeconfig from
 * `shoots/adminkubeconfig` works with kubectl, a seed killed with -9 comes back with the data and
 * the old kubeconfig, and deleting the shoot leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import { kubectl, kubectlStream } from '../helpers/kubectl.js';
import { alive, etcdPidsUnder, eventually } from '../helpers/processes.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

describe('shoot lifecycle on a landscape', () => {
  let dir: string;
  let garden: string;
  let shootKubeconfig: string;
  const landscape = async () => JSON.parse(await readFile(join(dir, 'landscape.json'), 'utf8')) as LandscapeFile;
  const shoot = async () =>
    JSON.parse((await kubectl(garden, ['get', 'shoot', '-n', 'garden-dev', 'my-shoot', '-o', 'json'])).stdout);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-shoot-'));
    await run(process.execPath, [
      cli,
      'up',
      '--dir',
      dir,
      '--seeds',
      'seed-a,seed-b',
      '--detach',
      '--log-level',
      'warn',
    ]);
    garden = join(dir, 'garden.kubeconfig');
    shootKubeconfig = join(dir, 'my-shoot.kubeconfig');
  });

  after(async () => {
    const l = await landscape().catch(() => undefined);
    await run(process.execPath, [cli, 'down', '--dir', dir]).catch(() => undefined);
    for (const pid of [l?.supervisorPid, l?.garden.pid, ...Object.values(l?.seeds ?? {}).map((s) => s.pid)]) {
      if (alive(pid)) process.kill(pid!, 'SIGKILL');
    }
    for (const pid of await etcdPidsUnder(dir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('kubectl apply creates the shoot; lastOperation reaches Create Succeeded on seed-a', async () => {
    const applied = await kubectl(garden, ['apply', '-f', examples]);
    assert.equal(applied.code, 0, applied.stderr);
    const done = await eventually(
      async () => {
        const s = await shoot();
        return s.status?.lastOperation?.type === 'Create' && s.status.lastOperation.state === 'Succeeded'
          ? s
          : undefined;
      },
      60_000,
      'the shoot is created',
    );
    assert.equal(done.status.seedName, 'seed-a');
    assert.equal(done.status.lastOperation.progress, 100);
    assert.equal(done.status.technicalID, 'shoot--dev--my-shoot');
    assert.match(done.status.advertisedAddresses[0].url, /^https:\/\/127\.\d+\.\d+\.\d+:\d+$/);
  });

  it('shows the control plane in the seed API and the persisted secrets in the ShootState', async () => {
    const seedA = join(dir, 'seeds', 'seed-a.kubeconfig');
    const listed = await kubectl(seedA, ['get', 'etcds,namespaces,dnsrecords', '-A']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /shoot--dev--my-shoot\s+etcd\.druid\.gardener\.cloud\/etcd-main\s+true/);
    assert.match(listed.stdout, /namespace\/shoot--dev--my-shoot/);
    assert.match(listed.stdout, /dnsrecord/);
    const state = JSON.parse(
      (await kubectl(garden, ['get', 'shootstate', '-n', 'garden-dev', 'my-shoot', '-o', 'json'])).stdout,
    );
    const names = (state.spec.gardener as { name: string; type: string }[])
      .filter((g) => g.type === 'secret')
      .map((g) => g.name);
    for (const wanted of [
      'ca',
      'ca-client',
      'ca-etcd',
      'service-account-key',
      'kube-apiserver-static-token',
      'etcd-encryption-key',
    ]) {
      assert.ok(names.includes(wanted), `ShootState lacks ${wanted}: ${names.join(', ')}`);
    }
  });

  it("backs the shoot's etcd up into its seed's BackupBucket through its BackupEntry", async () => {
    const seedA = join(dir, 'seeds', 'seed-a.kubeconfig');
    const getJson = async (kubeconfig: string, args: string[]) => {
      const got = await kubectl(kubeconfig, [...args, '-o', 'json']);
      assert.equal(got.code, 0, got.stderr);
      return JSON.parse(got.stdout);
    };
    const seed = await getJson(garden, ['get', 'seed', 'seed-a']);
    const uid: string = seed.metadata.uid;
    const ready = seed.status.conditions.find((c: { type: string }) => c.type === 'BackupBucketsReady');
    assert.equal(ready?.status, 'True', JSON.stringify(ready));

    const bucket = await getJson(garden, ['get', 'backupbucket', uid]);
    assert.equal(bucket.spec.seedName, 'seed-a');
    assert.equal(bucket.status.lastOperation.state, 'Succeeded');
    const extensionBucket = await getJson(seedA, ['get', 'backupbuckets.extensions.gardener.cloud', uid]);
    assert.equal(extensionBucket.status.lastOperation.state, 'Succeeded');
    const bucketDir = join((await landscape()).seeds['seed-a']!.backupRoot!, uid);
    assert.equal((await stat(bucketDir)).mode & 0o777, 0o700);

    const shootUid: string = (await shoot()).metadata.uid;
    const entryName = `shoot--dev--my-shoot--${shootUid}`;
    const entry = await getJson(garden, ['get', 'backupentry', '-n', 'garden-dev', entryName]);
    assert.deepEqual(entry.spec, { bucketName: uid, seedName: 'seed-a' });
    assert.equal(entry.status.lastOperation.state, 'Succeeded');
    assert.equal(entry.metadata.ownerReferences[0].uid, shootUid);
    const extensionEntry = await getJson(seedA, ['get', 'backupentries.extensions.gardener.cloud', entryName]);
    assert.equal(extensionEntry.status.lastOperation.state, 'Succeeded');

    const secret = await getJson(seedA, ['get', 'secret', '-n', 'shoot--dev--my-shoot', 'etcd-backup']);
    assert.deepEqual(Object.keys(secret.data).sort(), ['bucketName', 'root']);
    assert.equal(Buffer.from(secret.data.bucketName, 'base64').toString(), uid);
    const etcd = await getJson(seedA, ['get', 'etcd', '-n', 'shoot--dev--my-shoot', 'etcd-main']);
    assert.deepEqual(etcd.spec.backup.store, {
      provider: 'local',
      container: uid,
      prefix: `${entryName}/etcd-main`,
      secretRef: { name: 'etcd-backup' },
    });
    assert.equal(etcd.spec.backup.garbageCollectionPolicy, 'Exponential');
    assert.ok(etcd.spec.backup.fullSnapshotSchedule && etcd.spec.backup.deltaSnapshotPeriod);
  });

  it('refuses a BackupEntry in an unknown bucket and deleting a bucket in use, with clear messages', async () => {
    const entry = JSON.stringify({
      apiVersion: 'core.gardener.cloud/v1beta1',
      kind: 'BackupEntry',
      metadata: { name: 'shoot--dev--ghost--1', namespace: 'garden-dev' },
      spec: { bucketName: 'no-such-bucket', seedName: 'seed-a' },
    });
    const created = await kubectl(garden, ['create', '-f', '-'], entry);
    assert.notEqual(created.code, 0);
    assert.match(
      created.stderr,
      /backupentries.core.gardener.cloud "shoot--dev--ghost--1" is forbidden: backupbucket.core.gardener.cloud "no-such-bucket" named in spec.bucketName not found/,
    );
    const uid = (await kubectl(garden, ['get', 'seed', 'seed-a', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const deleted = await kubectl(garden, ['delete', 'backupbucket', uid]);
    assert.notEqual(deleted.code, 0);
    assert.match(deleted.stderr, /cannot delete BackupBucket because BackupEntries are still referencing it/);
  });

  it('an admin kubeconfig from shoots/adminkubeconfig works with kubectl, including watch', async () => {
    const request = JSON.stringify({
      apiVersion: 'authentication.gardener.cloud/v1alpha1',
      kind: 'AdminKubeconfigRequest',
      spec: { expirationSeconds: 3600 },
    });
    const created = await kubectl(
      garden,
      [
        'create',
        '--raw',
        '/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots/my-shoot/adminkubeconfig',
        '-f',
        '-',
      ],
      request,
    );
    assert.equal(created.code, 0, created.stderr);
    await writeFile(shootKubeconfig, Buffer.from(JSON.parse(created.stdout).status.kubeconfig, 'base64'), {
      mode: 0o600,
    });
    assert.equal((await kubectl(shootKubeconfig, ['create', 'namespace', 'app'])).code, 0);
    assert.equal(
      (await kubectl(shootKubeconfig, ['create', 'configmap', 'one', '-n', 'app', '--from-literal=k=v1'])).code,
      0,
    );
    assert.equal(
      (
        await kubectl(shootKubeconfig, [
          'create',
          'secret',
          'generic',
          's',
          '-n',
          'app',
          '--from-literal=password=hunter2',
        ])
      ).code,
      0,
    );
    const secret = JSON.parse(
      (await kubectl(shootKubeconfig, ['get', 'secret', 's', '-n', 'app', '-o', 'json'])).stdout,
    );
    assert.equal(Buffer.from(secret.data.password, 'base64').toString(), 'hunter2');
    const watch = kubectlStream(shootKubeconfig, ['get', 'configmaps', '-n', 'app', '-w']);
    try {
      await watch.waitFor(/one/);
      await kubectl(shootKubeconfig, ['create', 'configmap', 'two', '-n', 'app', '--from-literal=k=v2']);
      await watch.waitFor(/two/);
    } finally {
      watch.stop();
    }
    // The shoot's kube-controller-manager (on seed-a, holding its Lease) gave the new namespace
    // its default ServiceAccount, as on any cluster.
    await eventually(
      async () =>
        (await kubectl(shootKubeconfig, ['get', 'serviceaccount', 'default', '-n', 'app'])).code === 0
          ? true
          : undefined,
      30_000,
      'the namespace app has its default ServiceAccount',
    );
    const lease = JSON.parse(
      (await kubectl(shootKubeconfig, ['get', 'lease', 'kube-controller-manager', '-n', 'kube-system', '-o', 'json']))
        .stdout,
    );
    assert.match(lease.spec.holderIdentity, /^seed-a_/);
    // Its garbage collector: kubectl's cascading deletes work as on a real cluster.
    const uidOf = async (name: string) =>
      JSON.parse((await kubectl(shootKubeconfig, ['get', 'configmap', name, '-n', 'app', '-o', 'json'])).stdout)
        .metadata.uid;
    const dependentOf = async (name: string, owner: string) =>
      kubectl(
        shootKubeconfig,
        ['apply', '-n', 'app', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name,
            ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid: await uidOf(owner) }],
          },
        }),
      );
    for (const owner of ['owner-a', 'owner-b']) {
      assert.equal((await kubectl(shootKubeconfig, ['create', 'configmap', owner, '-n', 'app'])).code, 0);
    }
    assert.equal((await dependentOf('dependent', 'owner-a')).code, 0);
    assert.equal((await dependentOf('orphan', 'owner-b')).code, 0);
    assert.equal((await kubectl(shootKubeconfig, ['delete', 'configmap', 'owner-a', '-n', 'app'])).code, 0);
    await eventually(
      async () =>
        (await kubectl(shootKubeconfig, ['get', 'configmap', 'dependent', '-n', 'app'])).code !== 0 ? true : undefined,
      30_000,
      'the dependent of a deleted ConfigMap is collected',
    );
    const orphaned = await kubectl(shootKubeconfig, [
      'delete',
      'configmap',
      'owner-b',
      '-n',
      'app',
      '--cascade=orphan',
    ]);
    assert.equal(orphaned.code, 0, orphaned.stderr);
    const orphan = await eventually(
      async () => {
        const cm = JSON.parse(
          (await kubectl(shootKubeconfig, ['get', 'configmap', 'orphan', '-n', 'app', '-o', 'json'])).stdout,
        );
        return cm.metadata.ownerReferences === undefined ? cm : undefined;
      },
      30_000,
      'the orphan no longer names its owner',
    );
    assert.equal(orphan.metadata.name, 'orphan');
  });

  it('a seed killed with -9 brings the control plane back: same data, same kubeconfig', async () => {
    const before = (await landscape()).seeds['seed-a']!.pid!;
    process.kill(before, 'SIGKILL');
    const value = await eventually(
      async () => {
        const got = await kubectl(shootKubeconfig, [
          'get',
          'configmap',
          'two',
          '-n',
          'app',
          '-o',
          'jsonpath={.data.k}',
        ]);
        return got.code === 0 ? got.stdout : undefined;
      },
      60_000,
      'the shoot API serves again',
    );
    assert.equal(value, 'v2');
    assert.notEqual((await landscape()).seeds['seed-a']!.pid, before);
  });

  it('deleting the shoot leaves no process, data directory or object behind', async () => {
    const runtime = join(dir, 'seeds', 'seed-a', 'state');
    assert.ok((await etcdPidsUnder(runtime)).length > 0, 'an etcd runs for the shoot');
    const deleted = await kubectl(garden, ['delete', 'shoot', '-n', 'garden-dev', 'my-shoot', '--wait=false']);
    assert.equal(deleted.code, 0, deleted.stderr);
    await eventually(
      async () =>
        (await kubectl(garden, ['get', 'shoot', '-n', 'garden-dev', 'my-shoot'])).code !== 0 ? true : undefined,
      60_000,
      'the shoot is gone',
    );
    assert.deepEqual(await etcdPidsUnder(runtime), []);
    const seedA = join(dir, 'seeds', 'seed-a.kubeconfig');
    const left = await kubectl(seedA, ['get', 'etcds,dnsrecords,infrastructures,controlplanes', '-A', '-o', 'name']);
    assert.equal(left.stdout.trim(), '');
    assert.notEqual((await kubectl(seedA, ['get', 'namespace', 'shoot--dev--my-shoot'])).code, 0);
    assert.notEqual((await kubectl(garden, ['get', 'shootstate', '-n', 'garden-dev', 'my-shoot'])).code, 0);
    const entries = await kubectl(garden, ['get', 'backupentries', '-n', 'garden-dev', '-o', 'name']);
    assert.doesNotMatch(entries.stdout, /my-shoot/, 'the BackupEntry goes with the shoot');
    const bucket = (await kubectl(garden, ['get', 'seed', 'seed-a', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    assert.ok(existsSync(join((await landscape()).seeds['seed-a']!.backupRoot!, bucket)), 'the bucket stays');
    assert.equal(existsSync(join(runtime, 'controlplanes', 'shoot--dev--my-shoot')), false);
    const refused = await kubectl(shootKubeconfig, ['get', 'ns', '--request-timeout=3s']);
    assert.notEqual(refused.code, 0, 'the shoot API no longer serves');
  });

  it('a seed killed in the middle of the create flow finishes it after the restart', async () => {
    const manifest = JSON.parse(
      (await kubectl(garden, ['create', '-f', join(examples, '30-shoot.yaml'), '--dry-run=client', '-o', 'json']))
        .stdout,
    );
    manifest.metadata.name = 'crash-me';
    const created = await kubectl(garden, ['create', '-f', '-'], JSON.stringify(manifest));
    assert.equal(created.code, 0, created.stderr);
    const processing = await eventually(
      async () => {
        const s = JSON.parse(
          (await kubectl(garden, ['get', 'shoot', '-n', 'garden-dev', 'crash-me', '-o', 'json'])).stdout,
        );
        const op = s.status?.lastOperation;
        return op?.type === 'Create' && op.state === 'Processing' ? op : undefined;
      },
      30_000,
      'the create flow runs',
    );
    process.kill((await landscape()).seeds['seed-a']!.pid!, 'SIGKILL');
    assert.notEqual(processing.progress, 100);
    const done = await eventually(
      async () => {
        const s = JSON.parse(
          (await kubectl(garden, ['get', 'shoot', '-n', 'garden-dev', 'crash-me', '-o', 'json'])).stdout,
        );
        return s.status?.lastOperation?.state === 'Succeeded' ? s : undefined;
      },
      90_000,
      'the create flow finishes after the restart',
    );
    assert.equal(done.status.lastOperation.type, 'Create');
    assert.equal(done.status.seedName, 'seed-a');
    const runtime = join(dir, 'seeds', 'seed-a', 'state');
    assert.equal(
      (await etcdPidsUnder(join(runtime, 'controlplanes', 'shoot--dev--crash-me'))).length,
      1,
      'exactly one etcd for the shoot',
    );
  });
});
