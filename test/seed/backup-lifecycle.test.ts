/**
 * BackupBucket and BackupEntry lifecycles between a real garden and real seeds (local directory
 * and s3rver): the seed's bucket in the garden and in the seed, BackupBucketsReady, an entry's
 * `etcd-backup` secret, the references the garden refuses, deletion removing the entry's backups
 * (after the deletion grace period when one is set), and a bucket whose store cannot be reached
 * reported on the seed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { conditionOf } from '../../src/api/core-gardener/conditions.js';
import { extensionBackupEntryResource } from '../../src/api/extensions/backup-entry.js';
import type { KubeObject } from '../../src/api/meta.js';
import { issueSeedKubeconfigInDir } from '../../src/garden/seed-credentials.js';
import {
  GARDEN_BACKUP_ENTRY_NAMESPACE_LABEL,
  gardenBackupEntryOf,
} from '../../src/seed/gardenlet/backup-entry-controller.js';
import type { SeedBackupConfig } from '../../src/seed/gardenlet/seed-registration.js';
import { type Seed, startSeed } from '../../src/seed/seed.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';
import { eventually, until } from '../helpers/processes.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, type S3rver, startS3rver } from '../helpers/s3rver.js';

const silent = pino({ level: 'silent' });
const FULL_SNAPSHOT = 'Full-00000000-00000010-1767225600';

describe('backup buckets and entries', () => {
  let g: TestGarden;
  let dir: string;
  let s3: S3rver;
  const seeds: Seed[] = [];

  const garden = (group: string, plural: string) => g.garden.server.store(group, plural);
  const gardenGet = (group: string, plural: string, ns: string, name: string) => garden(group, plural).find(ns, name);
  /** `kubectl annotate` of the garden BackupEntry `name` in garden-dev. */
  const annotateEntry = (name: string, annotation: string) =>
    kubectl(g.kubeconfig, ['annotate', 'backupentry', '-n', 'garden-dev', name, annotation]);
  const seedObject = (name: string) => gardenGet('core.gardener.cloud', 'seeds', '', name) as Promise<KubeObject>;

  async function startTestSeed(name: string, backup: SeedBackupConfig, graceMs?: number): Promise<Seed> {
    await issueSeedKubeconfigInDir(g.dir, name, join(dir, `${name}.kubeconfig`));
    const seed = await startSeed({
      name,
      dir: join(dir, name),
      gardenKubeconfig: join(dir, `${name}.kubeconfig`),
      logger: silent,
      backup,
      heartbeatIntervalMs: 500,
      ...(graceMs !== undefined ? { backupEntryDeletionGracePeriodMs: graceMs } : {}),
    });
    seeds.push(seed);
    return seed;
  }

  async function readyBucket(seedName: string): Promise<KubeObject> {
    const uid = (await seedObject(seedName)).metadata.uid!;
    return eventually(
      async () => {
        const bucket = await gardenGet('core.gardener.cloud', 'backupbuckets', '', uid);
        return (bucket?.status as { lastOperation?: { state?: string } })?.lastOperation?.state === 'Succeeded'
          ? bucket
          : undefined;
      },
      15_000,
      `the BackupBucket of ${seedName} is reconciled`,
    );
  }

  /** Creates the garden BackupEntry `name` in garden-dev and waits until its gardenlet reports it reconciled. */
  async function createReconciledEntry(name: string, bucketName: string, seedName: string): Promise<KubeObject> {
    const created = await kubectl(
      g.kubeconfig,
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'BackupEntry',
        metadata: { name, namespace: 'garden-dev' },
        spec: { bucketName, seedName },
      }),
    );
    assert.equal(created.code, 0, created.stderr);
    return eventually(
      async () => {
        const e = await gardenGet('core.gardener.cloud', 'backupentries', 'garden-dev', name);
        return (e?.status as { lastOperation?: { state?: string } })?.lastOperation?.state === 'Succeeded'
          ? e
          : undefined;
      },
      15_000,
      'the BackupEntry is reconciled',
    );
  }

  before(async () => {
    g = await startTestGarden();
    dir = await mkdtemp(join(tmpdir(), 'transplant-backup-'));
    s3 = await startS3rver();
  });
  after(async () => {
    for (const seed of seeds) await seed.stop().catch(() => undefined);
    await s3?.stop();
    await g?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('a local seed gets its BackupBucket (named after its UID) in the garden and the seed, and its directory', async () => {
    const seed = await startTestSeed('seed-l', { provider: 'local', region: 'local', root: join(dir, 'buckets') });
    const seedObj = await seedObject('seed-l');
    const bucket = await readyBucket('seed-l');
    assert.equal(bucket.metadata.name, seedObj.metadata.uid);
    assert.deepEqual(bucket.spec, {
      provider: { type: 'local', region: 'local' },
      secretRef: { namespace: 'garden', name: 'backup-seed-l' },
      seedName: 'seed-l',
    });
    assert.deepEqual(bucket.metadata.finalizers, ['gardener']);
    assert.equal(bucket.metadata.ownerReferences?.[0]?.uid, seedObj.metadata.uid);
    assert.equal(bucket.metadata.ownerReferences?.[0]?.kind, 'Seed');
    const status = bucket.status as { observedGeneration: number; lastError?: unknown };
    assert.equal(status.observedGeneration, bucket.metadata.generation);
    assert.equal(status.lastError, undefined);

    const extension = await seed.hosted
      .store('extensions.gardener.cloud', 'backupbuckets')
      .get('', bucket.metadata.name!);
    assert.deepEqual(extension.spec, {
      type: 'local',
      region: 'local',
      secretRef: { name: `bucket-${bucket.metadata.name}`, namespace: 'garden' },
    });
    assert.equal((extension.status as { lastOperation: { state: string } }).lastOperation.state, 'Succeeded');
    const table = await kubectl(seed.adminKubeconfig, ['get', 'backupbuckets.extensions.gardener.cloud']);
    assert.match(table.stdout, new RegExp(`${bucket.metadata.name}\\s+local\\s+local\\s+Succeeded`));

    const info = await stat(join(dir, 'buckets', bucket.metadata.name!));
    assert.ok(info.isDirectory());
    assert.equal(info.mode & 0o777, 0o700);

    await until(
      async () => conditionOf(await seedObject('seed-l'), 'BackupBucketsReady')?.status === 'True',
      10_000,
      'BackupBucketsReady is True',
    );
    const condition = conditionOf(await seedObject('seed-l'), 'BackupBucketsReady')!;
    assert.equal(condition.reason, 'BackupBucketsAvailable');
  });

  it('a BackupEntry gets the etcd-backup secret in its control-plane namespace and reports Succeeded', async () => {
    const seed = seeds[0]!;
    const bucket = await readyBucket('seed-l');
    await seed.hosted
      .store('', 'namespaces')
      .create(
        '',
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shoot--dev--alpha' } },
        seed.hosted.systemContext,
      );
    const name = 'shoot--dev--alpha--3f1c9a0e-0000-4000-8000-000000000001';
    const entry = await createReconciledEntry(name, bucket.metadata.name!, 'seed-l');
    assert.equal((entry.status as { seedName: string }).seedName, 'seed-l');
    assert.deepEqual(entry.metadata.finalizers, ['gardener']);
    const secret = await seed.hosted.store('', 'secrets').get('shoot--dev--alpha', 'etcd-backup');
    const data = secret.data as Record<string, string>;
    assert.deepEqual(Object.keys(data).sort(), ['bucketName', 'root']);
    assert.equal(Buffer.from(data.bucketName!, 'base64').toString(), bucket.metadata.name);
    assert.equal(Buffer.from(data.root!, 'base64').toString(), join(dir, 'buckets'));
    const listed = await kubectl(seed.adminKubeconfig, ['get', 'backupentries.extensions.gardener.cloud', name]);
    assert.match(listed.stdout, /local\s+local\s+\S+\s+Succeeded/);

    // The extension entry names its garden entry, so the gardenlet's watch maps it back after a
    // restart too; one from before that label gets it at the garden entry's next reconcile.
    const extensions = seed.hosted.client.resource(extensionBackupEntryResource);
    assert.deepEqual(gardenBackupEntryOf(await extensions.get('', name)), [{ namespace: 'garden-dev', name }]);
    await extensions.patch('', name, { metadata: { labels: { [GARDEN_BACKUP_ENTRY_NAMESPACE_LABEL]: null } } });
    assert.deepEqual(gardenBackupEntryOf(await extensions.get('', name)), []);
    const touched = await annotateEntry(name, 'example.io/touch=1');
    assert.equal(touched.code, 0, touched.stderr);
    await until(
      async () => gardenBackupEntryOf(await extensions.get('', name)).length === 1,
      10_000,
      'the extension entry is labelled again',
    );
  });

  it('gardener.cloud/operation=reconcile on an entry repairs a lost etcd-backup secret and is then dropped', async () => {
    const seed = seeds[0]!;
    const name = 'shoot--dev--alpha--3f1c9a0e-0000-4000-8000-000000000001';
    await seed.hosted.store('', 'secrets').delete('shoot--dev--alpha', 'etcd-backup', seed.hosted.systemContext, {});
    const annotated = await annotateEntry(name, 'gardener.cloud/operation=reconcile');
    assert.equal(annotated.code, 0, annotated.stderr);
    await eventually(
      () => seed.hosted.store('', 'secrets').find('shoot--dev--alpha', 'etcd-backup'),
      15_000,
      'the etcd-backup secret is back',
    );
    await until(
      async () => {
        const entry = await gardenGet('core.gardener.cloud', 'backupentries', 'garden-dev', name);
        const state = (entry?.status as { lastOperation?: { state?: string } })?.lastOperation?.state;
        return !entry?.metadata.annotations?.['gardener.cloud/operation'] && state === 'Succeeded';
      },
      15_000,
      'the entry is reconciled and the annotation dropped',
    );
  });

  it('the garden refuses an entry in an unknown bucket and deleting a bucket that entries use', async () => {
    const badEntry = await kubectl(
      g.kubeconfig,
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'BackupEntry',
        metadata: { name: 'shoot--dev--nobucket--1', namespace: 'garden-dev' },
        spec: { bucketName: 'no-such-bucket', seedName: 'seed-l' },
      }),
    );
    assert.notEqual(badEntry.code, 0);
    assert.match(
      badEntry.stderr,
      /backupentries.core.gardener.cloud "shoot--dev--nobucket--1" is forbidden: backupbucket.core.gardener.cloud "no-such-bucket" named in spec.bucketName not found/,
    );
    const bucket = await readyBucket('seed-l');
    const refused = await kubectl(g.kubeconfig, ['delete', 'backupbucket', bucket.metadata.name!]);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /cannot delete BackupBucket because BackupEntries are still referencing it, backupEntryNames: garden-dev\/shoot--dev--alpha--/,
    );
  });

  it("deleting the entry removes its secret, extension object and backups, keeping the bucket and others' objects", async () => {
    const seed = seeds[0]!;
    const bucket = await readyBucket('seed-l');
    const name = 'shoot--dev--alpha--3f1c9a0e-0000-4000-8000-000000000001';
    const bucketDir = join(dir, 'buckets', bucket.metadata.name!);
    const others = [join(bucketDir, 'a-backup'), join(bucketDir, `${name}0`, 'etcd-main', 'v2', FULL_SNAPSHOT)];
    const own = [join(bucketDir, name, 'etcd-main', 'v2', FULL_SNAPSHOT), join(bucketDir, name, 'v2', '.tmp-1')];
    for (const file of [...others, ...own]) {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, 'data');
    }
    const deleted = await kubectl(g.kubeconfig, ['delete', 'backupentry', '-n', 'garden-dev', name, '--timeout=15s']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(await gardenGet('core.gardener.cloud', 'backupentries', 'garden-dev', name), undefined);
    assert.equal(await seed.hosted.store('extensions.gardener.cloud', 'backupentries').find('', name), undefined);
    assert.equal(await seed.hosted.store('', 'secrets').find('shoot--dev--alpha', 'etcd-backup'), undefined);
    assert.equal(await seed.hosted.store('', 'secrets').find('garden', `entry-${name}`), undefined);
    assert.equal(existsSync(join(bucketDir, name)), false, "the entry's backups go, and its directory");
    for (const file of others) assert.ok(existsSync(file), `${file} stays`);
  });

  it("a deleted shoot's entry waits for the deletion grace period, saying so, then its backups go", async () => {
    await startTestSeed('seed-g', { provider: 'local', region: 'local', root: join(dir, 'buckets-g') }, 6_000);
    const bucket = await readyBucket('seed-g');
    const name = 'shoot--dev--gamma--3f1c9a0e-0000-4000-8000-000000000003';
    const backup = join(dir, 'buckets-g', bucket.metadata.name!, name, 'etcd-main', 'v2', FULL_SNAPSHOT);
    await mkdir(dirname(backup), { recursive: true });
    await writeFile(backup, 'data');
    await createReconciledEntry(name, bucket.metadata.name!, 'seed-g');
    const deleted = await kubectl(g.kubeconfig, ['delete', 'backupentry', '-n', 'garden-dev', name, '--wait=false']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const pending = await eventually(
      async () => {
        const e = await gardenGet('core.gardener.cloud', 'backupentries', 'garden-dev', name);
        const last = (e?.status as { lastOperation?: { type: string; state: string; description: string } })
          ?.lastOperation;
        return last?.state === 'Pending' ? { last, deletedAt: Date.parse(e!.metadata.deletionTimestamp!) } : undefined;
      },
      5_000,
      'the entry reports its deletion as scheduled',
    );
    assert.equal(pending.last.type, 'Delete');
    assert.equal(
      pending.last.description,
      `Deletion of backup entry is scheduled for ${new Date(pending.deletedAt + 6_000).toISOString()}`,
    );
    assert.ok(existsSync(backup), 'the backups stay during the grace period');
    await until(
      async () => (await gardenGet('core.gardener.cloud', 'backupentries', 'garden-dev', name)) === undefined,
      20_000,
      'the entry is gone after the grace period',
    );
    assert.ok(Date.now() >= pending.deletedAt + 6_000, 'not before the grace period is over');
    assert.equal(existsSync(dirname(dirname(dirname(backup)))), false, 'its backups went with it');
  });

  it('an s3 seed creates its bucket in the store and hands entries the S3 credentials', async () => {
    const seed = await startTestSeed('seed-s', {
      provider: 's3',
      region: 'us-east-1',
      credentials: {
        accessKeyId: S3RVER_ACCESS_KEY,
        secretAccessKey: S3RVER_SECRET_KEY,
        region: 'us-east-1',
        endpoint: s3.endpoint,
        forcePathStyle: true,
      },
    });
    const bucket = await readyBucket('seed-s');
    await s3.client.send(new HeadBucketCommand({ Bucket: bucket.metadata.name! }));
    const gardenSecret = await gardenGet('', 'secrets', 'garden', 'backup-seed-s');
    assert.deepEqual(Object.keys(gardenSecret!.data as object).sort(), [
      'accessKeyID',
      'endpoint',
      'region',
      's3ForcePathStyle',
      'secretAccessKey',
    ]);

    await seed.hosted
      .store('', 'namespaces')
      .create(
        '',
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shoot--dev--beta' } },
        seed.hosted.systemContext,
      );
    const name = 'shoot--dev--beta--3f1c9a0e-0000-4000-8000-000000000002';
    await garden('core.gardener.cloud', 'backupentries').create(
      'garden-dev',
      {
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'BackupEntry',
        metadata: { name },
        spec: { bucketName: bucket.metadata.name, seedName: 'seed-s' },
      },
      g.garden.hosted.systemContext,
    );
    const secret = await eventually(
      () => seed.hosted.store('', 'secrets').find('shoot--dev--beta', 'etcd-backup'),
      15_000,
      'the etcd-backup secret exists',
    );
    const data = Object.fromEntries(
      Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    assert.deepEqual(data, {
      accessKeyID: S3RVER_ACCESS_KEY,
      secretAccessKey: S3RVER_SECRET_KEY,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      s3ForcePathStyle: 'true',
      bucketName: bucket.metadata.name,
    });
  });

  it("an entry moved into a bucket of another provider replaces its extension entry, keeping the old bucket's backups", async () => {
    const s3Bucket = (await readyBucket('seed-s')).metadata.name!;
    const localBucket = (await readyBucket('seed-l')).metadata.name!;
    const name = 'shoot--dev--beta--3f1c9a0e-0000-4000-8000-000000000002';
    const key = `${name}/etcd-main/v2/${FULL_SNAPSHOT}`;
    await s3.client.send(new PutObjectCommand({ Bucket: s3Bucket, Key: key, Body: 'data' }));
    // What a Restore does when the destination's bucket is of another provider (gardener#10527).
    const patched = await kubectl(g.kubeconfig, [
      'patch',
      'backupentry',
      '-n',
      'garden-dev',
      name,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { bucketName: localBucket } }),
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    const extensions = seeds.find((s) => s.name === 'seed-s')!.hosted.client.resource(extensionBackupEntryResource);
    await eventually(
      async () => {
        const extension = await extensions.find('', name);
        return extension?.spec.type === 'local' && extension.status?.lastOperation?.state === 'Succeeded'
          ? true
          : undefined;
      },
      20_000,
      'the extension entry is of type local',
    );
    await s3.client.send(new HeadObjectCommand({ Bucket: s3Bucket, Key: key }));
  });

  it('a bucket whose store cannot be reached is an error on the bucket and BackupBucketsReady False', async () => {
    await startTestSeed('seed-down', {
      provider: 's3',
      region: 'us-east-1',
      credentials: {
        accessKeyId: S3RVER_ACCESS_KEY,
        secretAccessKey: S3RVER_SECRET_KEY,
        region: 'us-east-1',
        // Nothing listens on port 9 of the loopback address.
        endpoint: 'http://127.0.0.1:9',
        forcePathStyle: true,
      },
    });
    const uid = (await seedObject('seed-down')).metadata.uid!;
    const condition = await eventually(
      async () => {
        const c = conditionOf(await seedObject('seed-down'), 'BackupBucketsReady');
        return c?.status === 'False' ? c : undefined;
      },
      30_000,
      'BackupBucketsReady turns False',
    );
    assert.equal(condition.reason, 'BackupBucketsError');
    assert.match(condition.message ?? '', new RegExp(`\\* ${uid}: Error reconciling BackupBucket: .*cannot reach`));
    const bucket = await gardenGet('core.gardener.cloud', 'backupbuckets', '', uid);
    assert.equal((bucket!.status as { lastOperation: { state: string } }).lastOperation.state, 'Error');
    const table = await kubectl(g.kubeconfig, ['get', 'seeds', 'seed-down', '--no-headers']);
    assert.match(table.stdout, /seed-down\s+NotReady/);
  });
});
