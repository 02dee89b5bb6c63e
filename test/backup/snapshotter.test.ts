/**
 * The snapshotter against real etcd 3.4 (plain and TLS) and real stores (local directory and
 * s3rver): full snapshots, delta chains and their contents, final snapshots, the memory-limit
 * flush, the compaction fallback, etcd restarts, stop() flushing, scheduled garbage collection
 * and a corrupted snapshot stream.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { SnapshotIntegrityError } from '../../src/backup/snapshot-format.js';
import { connectEtcd, currentRevision } from '../../src/backup/snapshotter/etcd-connection.js';
import { storeFullSnapshot } from '../../src/backup/snapshotter/full-snapshot.js';
import { Snapshotter, type SnapshotterOptions } from '../../src/backup/snapshotter/snapshotter.js';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { S3Snapstore } from '../../src/backup/snapstore/s3-snapstore.js';
import { newSnapshot } from '../../src/backup/snapstore/snapshot-name.js';
import { freePort } from '../../src/process/etcd-process.js';
import {
  assertChain,
  type BackupTestEtcd,
  eventSummary,
  listSnapshots,
  readDeltaEvents,
  readSnapshot,
  startBackupTestEtcd,
} from '../helpers/backup-fixture.js';
import { eventually, until } from '../helpers/processes.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, type S3rver, startS3rver } from '../helpers/s3rver.js';

const execFileAsync = promisify(execFile);
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
/** Never fires during a test (and never counts as missed right after a full snapshot). */
const YEARLY = '0 0 1 1 *';

let workDir: string;
let s3: S3rver;
let bucketCount = 0;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'snapshotter-test-'));
  s3 = await startS3rver();
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await s3?.stop();
  await rm(workDir, { recursive: true, force: true });
});

async function localStore(): Promise<LocalSnapstore> {
  const root = await mkdtemp(path.join(workDir, 'store-'));
  return new LocalSnapstore({ root, container: 'bucket', prefix: 'shoot--dev--a/etcd-main' });
}

async function s3Store(): Promise<S3Snapstore> {
  const bucket = `snapshotter-${process.pid}-${++bucketCount}`;
  await s3.createBucket(bucket);
  return new S3Snapstore({
    bucket,
    prefix: 'shoot--dev--a/etcd-main',
    credentials: {
      accessKeyId: S3RVER_ACCESS_KEY,
      secretAccessKey: S3RVER_SECRET_KEY,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
    },
    maxAttempts: 1,
  });
}

async function etcdWithClient(tls = false): Promise<BackupTestEtcd & { client: Etcd3 }> {
  const started = await startBackupTestEtcd(tls);
  const client = connectEtcd(started.connection);
  cleanups.push(async () => {
    client.close();
    await started.etcd.cleanup();
  });
  return { ...started, client };
}

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(workDir, 'spool-'));
}

function snapshotter(options: Omit<SnapshotterOptions, 'logger'>): Snapshotter {
  const created = new Snapshotter({ logger, fullSnapshotSchedule: YEARLY, deltaSnapshotPeriodMs: 60_000, ...options });
  cleanups.push(() => created.stop());
  return created;
}

for (const variant of [
  { store: 'local', tls: false, compression: 'none' },
  { store: 's3', tls: true, compression: 'gzip' },
] as const) {
  describe(`snapshotter: ${variant.store} store, ${variant.tls ? 'TLS' : 'plain'} etcd, compression ${variant.compression}`, () => {
    it('takes a full snapshot, deltas with exactly the changes made, flushes before a full (not a final one), and a final one once', async () => {
      const { client, connection } = await etcdWithClient(variant.tls);
      const store = variant.store === 'local' ? await localStore() : await s3Store();
      const spool = await tempDir();
      await client.put('/registry/before').value('start');
      const sidecar = snapshotter({ etcd: connection, store, compression: variant.compression, tempDir: spool });
      await sidecar.start();

      const [initial] = await listSnapshots(store);
      assert.ok(initial, 'an initial full snapshot');
      assert.equal(initial.kind, 'Full');
      assert.equal(initial.lastRevision, await currentRevision(client));
      assert.equal(initial.compression, variant.compression);
      assert.match(
        initial.name,
        variant.compression === 'gzip' ? /^Full-00000000-\d{8}-\d+\.gz$/ : /^Full-00000000-\d{8}-\d+$/,
      );

      // Puts, an overwrite, a delete and a two-key transaction (one revision, two events).
      await client.put('/registry/a').value('1');
      await client.put('/registry/b').value('2');
      await client.put('/registry/a').value('3');
      await client.delete().key('/registry/b');
      await client
        .if('/registry/c', 'Create', '==', 0)
        .then(client.put('/registry/c').value('4'), client.put('/registry/d').value('5'))
        .commit();
      const delta1 = await sidecar.triggerDeltaSnapshot();
      assert.ok(delta1);
      assert.equal(delta1.kind, 'Incr');
      assert.equal(delta1.startRevision, initial.lastRevision + 1);
      assert.equal(delta1.lastRevision, await currentRevision(client));
      const events = await readDeltaEvents(store, delta1);
      assert.deepEqual(eventSummary(events), [
        ['PUT', '/registry/a', '1'],
        ['PUT', '/registry/b', '2'],
        ['PUT', '/registry/a', '3'],
        ['DELETE', '/registry/b', ''],
        ['PUT', '/registry/c', '4'],
        ['PUT', '/registry/d', '5'],
      ]);
      assert.equal(events[4]?.kv.modRevision, events[5]?.kv.modRevision, 'a transaction is one revision');
      assert.equal(await sidecar.triggerDeltaSnapshot(), undefined, 'no events, no delta');

      // A full snapshot first saves what is pending as a delta.
      await client.put('/registry/e').value('6');
      const full = await sidecar.triggerFullSnapshot();
      let snapshots = await listSnapshots(store);
      assertChain(snapshots);
      assert.deepEqual(
        snapshots.map((s) => s.kind),
        ['Full', 'Incr', 'Incr', 'Full'],
      );
      assert.deepEqual(eventSummary(await readDeltaEvents(store, snapshots[2]!)), [['PUT', '/registry/e', '6']]);
      assert.equal(full.lastRevision, await currentRevision(client));

      // The full snapshot is a real etcd snapshot at (at least) its revision, readable by etcdctl.
      const file = path.join(spool, 'check.db');
      await writeFile(file, await readSnapshot(store, full));
      const { stdout } = await execFileAsync('/usr/bin/etcdctl', ['snapshot', 'status', file, '-w', 'json'], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      const status = JSON.parse(stdout) as { revision: number; totalKey: number };
      assert.ok(status.revision >= full.lastRevision, `db revision ${status.revision} ≥ ${full.lastRevision}`);

      // Deltas continue from the full snapshot.
      await client.put('/registry/f').value('7');
      const delta3 = await sidecar.triggerDeltaSnapshot();
      assert.equal(delta3?.startRevision, full.lastRevision + 1);
      assert.deepEqual(eventSummary(await readDeltaEvents(store, delta3!)), [['PUT', '/registry/f', '7']]);

      // A final snapshot does not save what is pending first (it holds it), and a second request finds it.
      await client.put('/registry/g').value('8');
      const beforeFinal = (await listSnapshots(store)).length;
      const final = await sidecar.triggerFullSnapshot({ final: true });
      assert.ok(final.isFinal);
      assert.equal(final.lastRevision, await currentRevision(client), 'the final snapshot holds the pending put');
      assert.deepEqual(
        (await listSnapshots(store)).slice(beforeFinal).map((s) => s.kind),
        ['Full'],
        'no delta saved before it',
      );
      assert.match(final.name, variant.compression === 'gzip' ? /\.gz\.final$/ : /^Full-\d+-\d+-\d+\.final$/);
      const again = await sidecar.triggerFullSnapshot({ final: true });
      assert.equal(again.name, final.name);
      snapshots = await listSnapshots(store);
      assert.equal(snapshots.filter((s) => s.isFinal).length, 1);
      assertChain(snapshots);

      const latest = await sidecar.latest();
      assert.equal(latest.fullSnapshot?.name, final.name);
      assert.deepEqual(latest.deltaSnapshots, []);
      assert.equal(sidecar.health().healthy, true);
      assert.equal(sidecar.health().lastSnapshot?.name, final.name);

      await sidecar.stop();
      assert.equal(sidecar.health().healthy, false, 'a stopped snapshotter is not healthy');
      assert.deepEqual(await readdir(spool).then((names) => names.filter((n) => n.endsWith('.part'))), []);
    });
  });
}

describe('snapshotter: deltas', () => {
  it('saves a delta once the buffer exceeds the memory limit, and stop() saves the rest', async () => {
    const { client, connection } = await etcdWithClient();
    const store = await localStore();
    const sidecar = snapshotter({ etcd: connection, store, deltaSnapshotMemoryLimit: 4_000 });
    await sidecar.start();
    const value = 'x'.repeat(500);
    const written: [string, string, string][] = [];
    for (let i = 0; i < 12; i++) {
      await client.put(`/registry/big-${i}`).value(value);
      written.push(['PUT', `/registry/big-${i}`, value]);
    }
    await until(async () => (await listSnapshots(store)).some((s) => s.kind === 'Incr'), 5_000, 'a delta is saved');
    await client.put('/registry/last').value('y');
    written.push(['PUT', '/registry/last', 'y']);
    await sidecar.stop();
    const snapshots = await listSnapshots(store);
    assertChain(snapshots);
    const deltas = snapshots.filter((s) => s.kind === 'Incr');
    assert.ok(deltas.length >= 2, `the memory limit split the events (${deltas.length} deltas)`);
    const saved = [];
    for (const delta of deltas) saved.push(...eventSummary(await readDeltaEvents(store, delta)));
    assert.deepEqual(saved, written, 'every event exactly once, in order');
    assert.equal(deltas.at(-1)?.lastRevision, await currentRevision(client), 'stop() saved everything');
  });

  it('bridges a compacted watch start with a full snapshot and goes on from it', async () => {
    const { client, connection } = await etcdWithClient();
    const store = await localStore();
    const first = snapshotter({ etcd: connection, store });
    await first.start();
    await first.stop();
    const [initial] = await listSnapshots(store);
    assert.ok(initial);
    for (let i = 0; i < 5; i++) await client.put(`/registry/k${i}`).value(String(i));
    const compactedAt = await currentRevision(client);
    await client.kv.compact({ revision: compactedAt, physical: true });

    const second = snapshotter({ etcd: connection, store });
    await second.start();
    const bridge = await eventually(
      async () => (await listSnapshots(store)).find((s) => s.kind === 'Full' && s.name !== initial.name),
      10_000,
      'a bridging full snapshot',
    );
    assert.ok(bridge.lastRevision >= compactedAt);
    await client.put('/registry/after').value('z');
    const delta = await second.triggerDeltaSnapshot();
    assert.equal(delta?.startRevision, bridge.lastRevision + 1);
    assert.deepEqual(eventSummary(await readDeltaEvents(store, delta!)), [['PUT', '/registry/after', 'z']]);
    assertChain(await listSnapshots(store));
    await second.stop();
  });

  it('keeps watching across an etcd restart; a failed snapshot makes it unhealthy until the next success', async () => {
    const { etcd, client, connection } = await etcdWithClient();
    const store = await localStore();
    const sidecar = snapshotter({ etcd: connection, store });
    await sidecar.start();
    await client.put('/registry/one').value('1');
    await etcd.stop();
    await assert.rejects(sidecar.triggerFullSnapshot(), /.+/);
    assert.equal(sidecar.health().healthy, false);
    assert.ok(sidecar.health().lastError);
    await etcd.restart();
    await eventually(
      async () => {
        await client.put('/registry/two').value('2');
        return true;
      },
      10_000,
      'etcd takes writes again',
    );
    const delta = await eventually(async () => sidecar.triggerDeltaSnapshot(), 10_000, 'a delta after the restart');
    assert.equal(sidecar.health().healthy, true);
    assert.equal(sidecar.health().lastError, undefined);
    const snapshots = await listSnapshots(store);
    assertChain(snapshots);
    const saved = [];
    for (const s of snapshots.filter((s) => s.kind === 'Incr'))
      saved.push(...eventSummary(await readDeltaEvents(store, s)));
    assert.deepEqual(saved, [
      ['PUT', '/registry/one', '1'],
      ['PUT', '/registry/two', '2'],
    ]);
    assert.equal(delta.lastRevision, await currentRevision(client));
  });
});

describe('snapshotter: start and garbage collection', () => {
  it('takes an initial full snapshot only when the schedule fired since the latest one', async () => {
    const { client, connection } = await etcdWithClient();
    await client.put('/registry/x').value('1');
    const revision = await currentRevision(client);
    // A full snapshot from before the last hourly firing: missed, so a new one is taken.
    const stale = await localStore();
    await stale.save(
      newSnapshot('Full', 0, revision, { compression: 'none', now: new Date(Date.now() - 2 * 3_600_000) }),
      Buffer.from('old'),
    );
    const hourly = snapshotter({ etcd: connection, store: stale, fullSnapshotSchedule: '0 */1 * * *' });
    await hourly.start();
    assert.equal((await listSnapshots(stale)).filter((s) => s.kind === 'Full').length, 2);
    await hourly.stop();
    // A full snapshot taken after the last firing: deltas go on from it.
    const fresh = await localStore();
    await fresh.save(newSnapshot('Full', 0, revision, { compression: 'none' }), Buffer.from('new'));
    const yearly = snapshotter({ etcd: connection, store: fresh });
    await yearly.start();
    await client.put('/registry/y').value('2');
    const delta = await yearly.triggerDeltaSnapshot();
    assert.equal(delta?.startRevision, revision + 1);
    assert.equal((await listSnapshots(fresh)).filter((s) => s.kind === 'Full').length, 1);
    await yearly.stop();
  });

  it('refuses to start when etcd is behind the store', async () => {
    const { connection } = await etcdWithClient();
    const store = await localStore();
    await store.save(newSnapshot('Full', 0, 1_000_000, { compression: 'none' }), Buffer.from('ahead'));
    const sidecar = snapshotter({ etcd: connection, store });
    await assert.rejects(
      sidecar.start(),
      /is at revision \d+, behind the latest snapshot Full-00000000-01000000-\d+ .*restore/,
    );
    assert.equal(sidecar.health().healthy, false);
  });

  it('refuses to start when etcd is unreachable, naming it', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const sidecar = snapshotter({ etcd: { endpoint }, store: await localStore() });
    await assert.rejects(sidecar.start(), (err: Error) => err.message.includes(`etcd ${endpoint}`));
  });

  it('collects garbage periodically', async () => {
    const { client, connection } = await etcdWithClient();
    const store = await localStore();
    const sidecar = snapshotter({
      etcd: connection,
      store,
      garbageCollection: { policy: 'LimitBased', maxBackups: 1, periodMs: 1_000 },
    });
    await sidecar.start();
    await client.put('/registry/a').value('1');
    await sidecar.triggerFullSnapshot();
    await client.put('/registry/b').value('2');
    const latest = await sidecar.triggerFullSnapshot();
    await until(
      async () => (await listSnapshots(store)).map((s) => s.name).join() === latest.name,
      5_000,
      'only the latest full snapshot is left',
    );
  });
});

describe('full snapshot verification', () => {
  let etcdBytes: Buffer;
  let revision: number;

  before(async () => {
    const { client } = await etcdWithClient();
    await client.put('/registry/a').value('a'.repeat(10_000));
    revision = await currentRevision(client);
    const chunks: Buffer[] = [];
    const stream = (await client.maintenance.snapshot()) as unknown as AsyncIterable<{ blob: Buffer }>;
    for await (const response of stream) chunks.push(response.blob);
    etcdBytes = Buffer.concat(chunks);
  });

  async function* inChunks(bytes: Buffer, size = 4096): AsyncIterable<Buffer> {
    for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
  }

  for (const [what, corrupt] of [
    [
      'a flipped byte',
      (bytes: Buffer) => {
        const copy = Buffer.from(bytes);
        copy[Math.floor(copy.length / 2)]! ^= 0x01;
        return copy;
      },
    ],
    ['a missing hash', (bytes: Buffer) => bytes.subarray(0, bytes.length - 32)],
    ['a truncated stream', (bytes: Buffer) => bytes.subarray(0, bytes.length - 100)],
  ] as const) {
    it(`refuses ${what}: nothing is uploaded, no temp file is left`, async () => {
      const store = await localStore();
      const spool = await tempDir();
      await assert.rejects(
        storeFullSnapshot(revision, inChunks(corrupt(etcdBytes)), store, { tempDir: spool, compression: 'gzip' }),
        (err) => err instanceof SnapshotIntegrityError && /etcd snapshot stream for Full-00000000-/.test(err.message),
      );
      assert.deepEqual(await listSnapshots(store), []);
      assert.deepEqual(await readdir(store.directory).catch(() => []), [], 'not even a partial upload is left');
      assert.deepEqual(await readdir(spool), []);
    });
  }

  it('fails with the store named when the upload fails, and stops reading', async () => {
    const spool = await tempDir();
    let consumed = 0;
    const failing = {
      location: 's3://unreachable/prefix',
      async save(_snapshot: unknown, data: AsyncIterable<Buffer>) {
        for await (const chunk of data) {
          consumed += chunk.length;
          throw new Error('connection refused');
        }
      },
    } as unknown as LocalSnapstore;
    await assert.rejects(
      storeFullSnapshot(revision, inChunks(etcdBytes), failing, { tempDir: spool }),
      /saving to s3:\/\/unreachable\/prefix failed: connection refused/,
    );
    assert.ok(consumed > 0);
    assert.deepEqual(await readdir(spool), []);
  });

  it('saves the intact stream', async () => {
    const store = await localStore();
    const snapshot = await storeFullSnapshot(revision, inChunks(etcdBytes), store, { tempDir: await tempDir() });
    assert.deepEqual(await readSnapshot(store, snapshot), etcdBytes);
  });
});
