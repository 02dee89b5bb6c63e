/**
 * The druid's EtcdCopyBackupsTask controller on a real seed, driven through the seed API with
 * kubectl: a task copies every snapshot of the source store into the target and reports
 * Succeeded; a task whose source cannot be reached reports why in `status.lastError` and keeps
 * retrying until the source is reachable; an operator's status patch ends a task. A shoot's copy
 * reports its bytes on the shoot's garden BackupEntry (restore-progress-reporter.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { backupBucketResource } from '../../src/api/core-gardener/backup-bucket.js';
import { backupEntryResource } from '../../src/api/core-gardener/backup-entry.js';
import { parseRestoreProgress, RESTORE_PROGRESS_ANNOTATION } from '../../src/api/core-gardener/restore-progress.js';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { newSnapshot } from '../../src/backup/snapstore/snapshot-name.js';
import { issueSeedKubeconfigInDir } from '../../src/garden/seed-credentials.js';
import { shootLabels } from '../../src/seed/gardenlet/shoot-labels.js';
import { type Seed, startSeed } from '../../src/seed/seed.js';
import type { Json } from '../helpers/api-client.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';
import { eventually } from '../helpers/processes.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, type S3rver, startS3rver } from '../helpers/s3rver.js';

const NS = 'shoot--dev--copy';

describe('EtcdCopyBackupsTask', () => {
  let g: TestGarden;
  let dir: string;
  let seed: Seed;
  let s3: S3rver | undefined;

  const apply = async (manifest: unknown) => {
    const res = await kubectl(seed.adminKubeconfig, ['apply', '-f', '-'], JSON.stringify(manifest));
    assert.equal(res.code, 0, res.stderr);
  };
  const task = async (name: string): Promise<Json> =>
    JSON.parse(
      (await kubectl(seed.adminKubeconfig, ['get', 'etcdcopybackupstask', '-n', NS, name, '-o', 'json'])).stdout,
    );
  const condition = (t: Json, type: string) => (t.status?.conditions ?? []).find((c: Json) => c.type === type);
  const localSecret = (name: string, root: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS },
    stringData: { root },
  });
  const taskManifest = (name: string, source: Json, target: Json) => ({
    apiVersion: 'druid.gardener.cloud/v1alpha1',
    kind: 'EtcdCopyBackupsTask',
    metadata: { name, namespace: NS },
    spec: { sourceStore: source, targetStore: target, waitForFinalSnapshot: { enabled: true, timeout: '1s' } },
  });

  before(async () => {
    g = await startTestGarden();
    dir = await mkdtemp(join(tmpdir(), 'transplant-copytask-'));
    await issueSeedKubeconfigInDir(g.dir, 'seed-c', join(dir, 'garden.kubeconfig'));
    seed = await startSeed({
      name: 'seed-c',
      dir: join(dir, 'seed'),
      gardenKubeconfig: join(dir, 'garden.kubeconfig'),
      logger: pino({ level: 'silent' }),
    });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });
  after(async () => {
    await seed?.stop().catch(() => undefined);
    await s3?.stop();
    await g?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies every snapshot of the source into the target and reports Succeeded', async () => {
    const source = new LocalSnapstore({
      root: join(dir, 'src-root'),
      container: 'bucket-a',
      prefix: 'entry/etcd-main',
    });
    const snapshots = [
      newSnapshot('Full', 0, 10, { compression: 'none' }),
      newSnapshot('Incr', 11, 20, { compression: 'none' }),
      newSnapshot('Full', 0, 30, { compression: 'none', final: true }),
    ];
    for (const [i, s] of snapshots.entries()) await source.save(s, Buffer.alloc(4096 + i, i + 1));
    await apply(localSecret('source-etcd-backup', join(dir, 'src-root')));
    await apply(localSecret('etcd-backup', join(dir, 'dst-root')));
    await apply(
      taskManifest(
        'copy',
        {
          provider: 'local',
          container: 'bucket-a',
          prefix: 'entry/etcd-main',
          secretRef: { name: 'source-etcd-backup' },
        },
        { provider: 'local', container: 'bucket-b', prefix: 'entry/etcd-main', secretRef: { name: 'etcd-backup' } },
      ),
    );
    const done = await eventually(
      async () => {
        const t = await task('copy');
        return condition(t, 'Succeeded')?.status === 'True' ? t : undefined;
      },
      20_000,
      'the task succeeds',
    );
    assert.equal(condition(done, 'Failed')?.status, 'False');
    assert.ok(done.metadata.finalizers.includes('druid.gardener.cloud/etcd-druid'));
    const target = new LocalSnapstore({
      root: join(dir, 'dst-root'),
      container: 'bucket-b',
      prefix: 'entry/etcd-main',
    });
    const copied = (await target.list()).map((o) => o.snapshot.name);
    // The final marker is dropped in the target, as etcdbrctl copy does.
    assert.deepEqual(
      copied,
      snapshots.map((s) => s.name.replace(/\.final$/, '')),
    );
    for (const s of snapshots) {
      const name = s.name.replace(/\.final$/, '');
      assert.deepEqual(await readFile(join(target.directory, name)), await readFile(join(source.directory, s.name)));
    }
    const listed = await kubectl(seed.adminKubeconfig, ['get', 'etcdcopybackupstasks', '-n', NS]);
    assert.match(listed.stdout, /copy\s+Succeeded/);
  });

  it("reports a shoot's copy on its garden BackupEntry, which the project's members may read", async () => {
    const entry = 'shoot--dev--copy--u1';
    const prefix = `${entry}/etcd-main`;
    const entries = g.garden.hosted.client.resource(backupEntryResource);
    await g.garden.hosted.client.resource(backupBucketResource).create('', {
      metadata: { name: 'bucket-c' },
      spec: { provider: { type: 'local' }, seedName: 'seed-c', secretRef: { name: 'local', namespace: 'garden-dev' } },
    });
    await entries.create('garden-dev', {
      metadata: { name: entry, namespace: 'garden-dev' },
      spec: { bucketName: 'bucket-c', seedName: 'seed-c' },
    });
    const source = new LocalSnapstore({ root: join(dir, 'src-root'), container: 'bucket-a', prefix });
    const sizes = [8192, 4096];
    await source.save(newSnapshot('Full', 0, 10, { compression: 'none' }), Buffer.alloc(sizes[0]!, 1));
    await source.save(newSnapshot('Incr', 11, 20, { compression: 'none' }), Buffer.alloc(sizes[1]!, 2));
    await apply(localSecret('source-etcd-backup', join(dir, 'src-root')));
    await apply(localSecret('etcd-backup', join(dir, 'dst-root')));
    const manifest = taskManifest(
      'shoot-copy',
      { provider: 'local', container: 'bucket-a', prefix, secretRef: { name: 'source-etcd-backup' } },
      { provider: 'local', container: 'bucket-b', prefix, secretRef: { name: 'etcd-backup' } },
    );
    const shoot = { metadata: { name: 'copy', namespace: 'garden-dev' } };
    await apply({ ...manifest, metadata: { ...manifest.metadata, labels: shootLabels(shoot) } });
    const total = sizes[0]! + sizes[1]!;
    const copied = { phase: 'Copy', done: true, copiedBytes: total, copyTotalBytes: total };
    const numbers = (value: string | undefined) => {
      const { updated, ...rest } = parseRestoreProgress(value) ?? { updated: '' };
      return Number.isNaN(Date.parse(updated)) ? undefined : rest;
    };
    await eventually(
      async () => {
        const found = await entries.get('garden-dev', entry);
        const shown = numbers(found.metadata.annotations?.[RESTORE_PROGRESS_ANNOTATION]);
        return JSON.stringify(shown) === JSON.stringify(copied) ? shown : undefined;
      },
      30_000,
      "the copy's end is reported on the BackupEntry",
    );
    const read = await kubectl(g.memberKubeconfig, ['get', 'backupentry', '-n', 'garden-dev', entry, '-o', 'json']);
    assert.equal(read.code, 0, read.stderr);
    const annotations = JSON.parse(read.stdout).metadata.annotations;
    assert.deepEqual(numbers(annotations[RESTORE_PROGRESS_ANNOTATION]), copied, 'a project member reads it');
  });

  it('an unreachable source is a clear lastError, retried until the source can be reached', async () => {
    s3 = await startS3rver();
    await s3.createBucket('source-bucket');
    const unreachable = 'http://127.0.0.1:9';
    await apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'source-s3', namespace: NS },
      stringData: {
        accessKeyID: S3RVER_ACCESS_KEY,
        secretAccessKey: S3RVER_SECRET_KEY,
        region: 'us-east-1',
        endpoint: unreachable,
        s3ForcePathStyle: 'true',
      },
    });
    await apply(
      taskManifest(
        'copy-unreachable',
        { provider: 's3', container: 'source-bucket', prefix: 'entry/etcd-main', secretRef: { name: 'source-s3' } },
        { provider: 'local', container: 'bucket-c', prefix: 'entry/etcd-main', secretRef: { name: 'etcd-backup' } },
      ),
    );
    const failing = await eventually(
      async () => {
        const t = await task('copy-unreachable');
        return t.status?.lastError ? t : undefined;
      },
      30_000,
      'the task reports its error',
    );
    assert.match(failing.status.lastError, /source store/);
    assert.match(failing.status.lastError, /127\.0\.0\.1:9|unreachable|ECONNREFUSED/i);
    assert.equal(condition(failing, 'Succeeded')?.status, 'False');
    assert.notEqual(condition(failing, 'Failed')?.status, 'True', 'an unreachable store is retried, not given up');

    // The source becomes reachable (the secret now names the running endpoint): the retry copies.
    await apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'source-s3', namespace: NS },
      stringData: { endpoint: s3.endpoint },
    });
    const done = await eventually(
      async () => {
        const t = await task('copy-unreachable');
        return condition(t, 'Succeeded')?.status === 'True' ? t : undefined;
      },
      90_000,
      'the retried task succeeds',
    );
    assert.equal(done.status.lastError, undefined);
  });

  it("an operator's status patch (the seed document's manual workaround) ends a task that cannot copy", async () => {
    await apply(
      taskManifest(
        'copy-manual',
        { provider: 'local', container: 'bucket-x', prefix: 'p', secretRef: { name: 'missing-secret' } },
        { provider: 'local', container: 'bucket-y', prefix: 'p', secretRef: { name: 'etcd-backup' } },
      ),
    );
    await eventually(
      async () => ((await task('copy-manual')).status?.lastError ? true : undefined),
      30_000,
      'an error',
    );
    const now = new Date().toISOString().replace(/\.\d+Z$/, '+00:00');
    const patched = await kubectl(seed.adminKubeconfig, [
      'patch',
      '-n',
      NS,
      'etcdcopybackupstask',
      'copy-manual',
      '--subresource',
      'status',
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        status: {
          conditions: [
            {
              type: 'Succeeded',
              status: 'True',
              reason: 'manual copy successful',
              message: 'manual copy successful',
              lastTransitionTime: now,
              lastUpdateTime: now,
            },
          ],
        },
      }),
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    // The controller leaves a finished task alone: the operator's condition stays as written.
    await new Promise((r) => setTimeout(r, 3000));
    const t = await task('copy-manual');
    assert.equal(t.status.conditions.length, 1);
    assert.equal(condition(t, 'Succeeded').reason, 'manual copy successful');
  });
});
