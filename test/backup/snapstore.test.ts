/**
 * Snapshot names, the local provider (conformance suite), credentials and openSnapstore.
 * The s3 provider runs the same suite in snapstore-s3.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CONFORMANCE_PREFIX, runSnapstoreConformance } from '../../src/backup/snapstore/conformance.js';
import { s3CredentialsFromEnv, storageContainerFromEnv } from '../../src/backup/snapstore/credentials.js';
import { SnapstoreError } from '../../src/backup/snapstore/errors.js';
import { LOCAL_TEMP_PREFIX, LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { openSnapstore, parseStorageProvider } from '../../src/backup/snapstore/open-snapstore.js';
import { S3Snapstore } from '../../src/backup/snapstore/s3-snapstore.js';
import {
  compareSnapshots,
  newSnapshot,
  parseSnapshotName,
  snapshotName,
  withFinal,
} from '../../src/backup/snapstore/snapshot-name.js';

describe('snapshot names', () => {
  it('formats and parses etcd-backup-restore names', () => {
    const cases: [string, ReturnType<typeof parseSnapshotName>][] = [
      [
        'Full-00000000-00012345-1700000000.gz',
        {
          kind: 'Full',
          startRevision: 0,
          lastRevision: 12345,
          createdOn: 1700000000,
          compression: 'gzip',
          isFinal: false,
          name: 'Full-00000000-00012345-1700000000.gz',
        },
      ],
      [
        'Full-00000000-00012345-1700000000.gz.final',
        {
          kind: 'Full',
          startRevision: 0,
          lastRevision: 12345,
          createdOn: 1700000000,
          compression: 'gzip',
          isFinal: true,
          name: 'Full-00000000-00012345-1700000000.gz.final',
        },
      ],
      [
        'Full-00000000-00000007-1700000000.final',
        {
          kind: 'Full',
          startRevision: 0,
          lastRevision: 7,
          createdOn: 1700000000,
          compression: 'none',
          isFinal: true,
          name: 'Full-00000000-00000007-1700000000.final',
        },
      ],
      [
        'Incr-00012346-00012400-1700000020',
        {
          kind: 'Incr',
          startRevision: 12346,
          lastRevision: 12400,
          createdOn: 1700000020,
          compression: 'none',
          isFinal: false,
          name: 'Incr-00012346-00012400-1700000020',
        },
      ],
      [
        'Full-00000000-8391520845-1763683200',
        {
          kind: 'Full',
          startRevision: 0,
          lastRevision: 8391520845,
          createdOn: 1763683200,
          compression: 'none',
          isFinal: false,
          name: 'Full-00000000-8391520845-1763683200',
        },
      ],
    ];
    for (const [name, expected] of cases) {
      const parsed = parseSnapshotName(name);
      assert.deepEqual(parsed, expected, name);
      assert.ok(parsed);
      assert.equal(snapshotName(parsed), name);
    }
  });

  it('rejects names that are not snapshots', () => {
    for (const name of [
      '',
      'notes.txt',
      '.tmp-abc',
      'Chunk-00000000-00000001-1700000000',
      'full-00000000-00000001-1700000000',
      'Full-00000000-00000001',
      'Full-00000000-00000001-1700000000-1',
      'Full-0000000x-00000001-1700000000',
      'Full-00000000-00000001-17000000x0.gz',
      'Full-00000000-00000001-1700000000.Z',
      'Full-00000000-00000001-1700000000.zlib',
      'Full-00000000-00000001-1700000000.final.gz',
      'Full-00000000-00000001-1700000000.gz.gz',
      'Full-00000000-00000001-1700000000.',
      'Incr-00000010-00000009-1700000000',
      'Full-+0000000-00000001-1700000000',
    ]) {
      assert.equal(parseSnapshotName(name), undefined, name);
    }
  });

  it('names new snapshots and toggles the final marker', () => {
    const now = new Date(1_700_000_000_500);
    const full = newSnapshot('Full', 0, 99, { now, final: true });
    assert.equal(full.name, 'Full-00000000-00000099-1700000000.gz.final');
    assert.deepEqual(parseSnapshotName(full.name), full);
    assert.equal(withFinal(full, false).name, 'Full-00000000-00000099-1700000000.gz');
    assert.equal(newSnapshot('Incr', 100, 120, { now, compression: 'none' }).name, 'Incr-00000100-00000120-1700000000');
    assert.throws(() => newSnapshot('Incr', 10, 9), RangeError);
    assert.throws(() => newSnapshot('Incr', 10, 11, { final: true }), RangeError);
    assert.throws(() => newSnapshot('Full', -1, 11), RangeError);
    assert.throws(() => newSnapshot('Full', 0, 1.5), RangeError);
  });

  it('orders by lastRevision, then createdOn', () => {
    const a = newSnapshot('Full', 0, 10, { now: new Date(2000_000) });
    const b = newSnapshot('Incr', 5, 10, { now: new Date(1000_000) });
    const c = newSnapshot('Incr', 11, 12, { now: new Date(500_000) });
    assert.deepEqual(
      [c, a, b].sort(compareSnapshots).map((s) => s.name),
      [b.name, a.name, c.name],
    );
  });
});

runSnapstoreConformance('local', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'snapstore-local-'));
  const store = new LocalSnapstore({ root, container: 'bucket', prefix: CONFORMANCE_PREFIX });
  const v2 = path.join(root, 'bucket', CONFORMANCE_PREFIX, 'v2');
  const container = path.join(root, 'bucket');
  return {
    store,
    reopen: (prefix) => new LocalSnapstore({ root, container: 'bucket', prefix }),
    async putRawAt(key, data) {
      await mkdir(path.dirname(path.join(container, key)), { recursive: true });
      await writeFile(path.join(container, key), data);
    },
    async rawKeys() {
      const entries = await readdir(container, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => path.relative(container, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
        .sort();
    },
    async putRaw(name, data) {
      await mkdir(v2, { recursive: true });
      await writeFile(path.join(v2, name), data);
    },
    async interruptSave(_snapshot, data) {
      // A crash between write and rename leaves only the temp file.
      await mkdir(v2, { recursive: true });
      await writeFile(path.join(v2, `${LOCAL_TEMP_PREFIX}deadbeef`), data.subarray(0, data.length / 2));
    },
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('local snapstore', () => {
  it('lays objects out as <root>/<container>/<prefix>/v2/<name> and lists an absent directory as empty', async (t) => {
    const root = await mkdtemp(path.join(tmpdir(), 'snapstore-layout-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const store = new LocalSnapstore({ root, container: 'c', prefix: 'p/q' });
    assert.deepEqual(await store.list(), []);
    assert.equal(store.directory, path.join(root, 'c', 'p', 'q', 'v2'));
    const s = newSnapshot('Full', 0, 1);
    await store.save(s, Buffer.from('x'));
    const other = new LocalSnapstore({ root: '/nonexistent', container: path.join(root, 'c'), prefix: 'p/q' });
    assert.deepEqual(
      (await other.list()).map((o) => o.snapshot.name),
      [s.name],
    );
  });
});

describe('s3 credentials', () => {
  it('reads an etcdbrctl credentials directory (files)', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'creds-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'accessKeyID'), 'AKIDEXAMPLE\n');
    await writeFile(path.join(dir, 'secretAccessKey'), 'sekrit-value');
    await writeFile(path.join(dir, 'region'), 'eu-west-1');
    await writeFile(path.join(dir, 'endpoint'), 'http://minio:9000');
    await writeFile(path.join(dir, 's3ForcePathStyle'), 'true');
    assert.deepEqual(await s3CredentialsFromEnv({ AWS_APPLICATION_CREDENTIALS: dir }), {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'sekrit-value',
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
    });
  });

  it('prefers a JSON file, also one inside the directory, and takes SOURCE_ for the source store', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'creds-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const json = path.join(dir, 'target.json');
    await writeFile(json, JSON.stringify({ accessKeyID: 'T', secretAccessKey: 'TS', region: 'r1', bucketName: 'b' }));
    const srcDir = path.join(dir, 'src');
    await mkdir(srcDir);
    await writeFile(
      path.join(srcDir, 'creds.json'),
      JSON.stringify({ accessKeyID: 'S', secretAccessKey: 'SS', region: 'r2', s3ForcePathStyle: false }),
    );
    const env = {
      AWS_APPLICATION_CREDENTIALS_JSON: json,
      AWS_APPLICATION_CREDENTIALS: '/nonexistent',
      SOURCE_AWS_APPLICATION_CREDENTIALS: srcDir,
      AWS_ACCESS_KEY_ID: 'ignored',
      SOURCE_STORAGE_CONTAINER: 'source-bucket',
    };
    assert.deepEqual(await s3CredentialsFromEnv(env), {
      accessKeyId: 'T',
      secretAccessKey: 'TS',
      region: 'r1',
      bucketName: 'b',
    });
    assert.deepEqual(await s3CredentialsFromEnv(env, 'SOURCE_'), {
      accessKeyId: 'S',
      secretAccessKey: 'SS',
      region: 'r2',
      forcePathStyle: false,
    });
    assert.equal(storageContainerFromEnv(env, 'SOURCE_'), 'source-bucket');
    assert.equal(storageContainerFromEnv(env), undefined);
  });

  it('falls back to the standard AWS_* variables (prefixed for the source)', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'A',
      AWS_SECRET_ACCESS_KEY: 'B',
      AWS_REGION: 'r',
      AWS_ENDPOINT_URL: 'http://x:1',
      SOURCE_AWS_ACCESS_KEY_ID: 'SA',
      SOURCE_AWS_SECRET_ACCESS_KEY: 'SB',
      SOURCE_AWS_DEFAULT_REGION: 'sr',
    };
    assert.deepEqual(await s3CredentialsFromEnv(env), {
      accessKeyId: 'A',
      secretAccessKey: 'B',
      region: 'r',
      endpoint: 'http://x:1',
    });
    assert.deepEqual(await s3CredentialsFromEnv(env, 'SOURCE_'), {
      accessKeyId: 'SA',
      secretAccessKey: 'SB',
      region: 'sr',
    });
  });

  it('explains missing or malformed credentials without echoing secrets', async (t) => {
    await assert.rejects(s3CredentialsFromEnv({}, 'SOURCE_'), (err: Error) => {
      assert.ok(SnapstoreError.is(err, 'Config'));
      assert.match(err.message, /SOURCE_AWS_APPLICATION_CREDENTIALS/);
      return true;
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'creds-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'secretAccessKey'), 'top-secret-123');
    await assert.rejects(s3CredentialsFromEnv({ AWS_APPLICATION_CREDENTIALS: dir }), (err: Error) => {
      assert.match(err.message, /lack accessKeyID, region/);
      assert.doesNotMatch(err.message, /top-secret-123/);
      return true;
    });
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"secretAccessKey": "top-secret-123",');
    await assert.rejects(s3CredentialsFromEnv({ AWS_APPLICATION_CREDENTIALS_JSON: bad }), (err: Error) => {
      assert.match(err.message, /not valid JSON/);
      assert.doesNotMatch(err.message, /top-secret-123/);
      return true;
    });
  });
});

describe('openSnapstore', () => {
  it('opens local and s3 stores', async () => {
    const local = await openSnapstore({ provider: 'local', root: '/var/backups', container: 'c', prefix: 'p' });
    assert.ok(local instanceof LocalSnapstore);
    assert.equal(local.location, '/var/backups/c/p');
    const s3 = await openSnapstore({
      provider: 's3',
      container: 'bucket',
      prefix: 'shoot/etcd',
      env: { AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'B', AWS_REGION: 'r' },
    });
    assert.ok(s3 instanceof S3Snapstore);
    assert.equal(s3.location, 's3://bucket/shoot/etcd');
    assert.equal(s3.keyPrefix, 'shoot/etcd/v2');
    s3.close();
  });

  it('parses etcdbrctl provider names', () => {
    assert.equal(parseStorageProvider('S3'), 's3');
    assert.equal(parseStorageProvider('Local'), 'local');
    assert.equal(parseStorageProvider(''), 'local');
    assert.throws(() => parseStorageProvider('GCS'), /unsupported "GCS"/);
  });
});
