/**
 * Restoring a data dir from a store built by hand from a real etcd 3.4: a full snapshot from
 * etcd's snapshot API, then delta objects encoded from the watch events of later writes (puts,
 * deletes, multi-key transactions, leased keys). Every restore is checked by starting etcd on
 * the result and comparing every key, value and revision with the source. Corrupted, missing and
 * inconsistent objects must fail before the data dir changes. The restore's numbers (bytes
 * fetched, keys restored) add up to what the store and the snapshots hold.
 *
 * One file over 500 lines: every case restores from the one source etcd's history, built once here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Etcd3, type IKeyValue, type IWatchResponse } from 'etcd3';
import {
  dataDirStatus,
  RestoreError,
  type RestoreProgress,
  restoreFromStore,
} from '../../src/backup/restorer/index.js';
import { snapshotKeyCount } from '../../src/backup/restorer/restore-progress.js';
import { TMPFS_DIR } from '../../src/backup/restorer/work-area.js';
import { type DeltaEvent, encodeDeltaSnapshot, SnapshotIntegrityError } from '../../src/backup/snapshot-format.js';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { S3Snapstore } from '../../src/backup/snapstore/s3-snapstore.js';
import { newSnapshot } from '../../src/backup/snapstore/snapshot-name.js';
import type { Snapshot, Snapstore } from '../../src/backup/snapstore/snapstore.js';
import { freePort, startEtcd } from '../../src/process/etcd-process.js';
import { killOnExit, startTestEtcd, type TestEtcd } from '../helpers/etcd.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3rver } from '../helpers/s3rver.js';

const FAST_START_ARGS = ['--election-timeout=200', '--heartbeat-interval=20'];
const ALL_KEYS = { key: Buffer.from([0]), range_end: Buffer.from([0]) };

interface KeyDump {
  key: string;
  value: string;
  createRevision: string;
  modRevision: string;
  version: string;
  lease: string;
}

interface EtcdDump {
  revision: number;
  keys: KeyDump[];
}

async function dump(client: Etcd3): Promise<EtcdDump> {
  const res = await client.kv.range(ALL_KEYS);
  return {
    revision: Number(res.header.revision),
    keys: res.kvs.map((kv) => ({
      key: kv.key.toString('base64'),
      value: kv.value.toString('base64'),
      createRevision: kv.create_revision,
      modRevision: kv.mod_revision,
      version: kv.version,
      lease: kv.lease,
    })),
  };
}

async function currentRevision(client: Etcd3): Promise<number> {
  return Number((await client.kv.range({ key: Buffer.from([0]) })).header.revision);
}

/** etcd's snapshot stream as is: the bolt database followed by its SHA-256. */
async function snapshotBytes(client: Etcd3): Promise<Buffer> {
  const stream = (await client.maintenance.snapshot()) as unknown as AsyncIterable<{ blob: Buffer }>;
  const chunks: Buffer[] = [];
  for await (const response of stream) chunks.push(response.blob);
  return Buffer.concat(chunks);
}

function toKeyValue(kv: IKeyValue): DeltaEvent['kv'] {
  return {
    key: kv.key,
    value: kv.value ?? Buffer.alloc(0),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: Number(kv.lease),
  };
}

/** The watch events of every key from revision `from` through `through`, as a snapshotter records them. */
async function watchEvents(client: Etcd3, from: number, through: number): Promise<DeltaEvent[]> {
  const watcher = await client.watch().prefix('').startRevision(String(from)).withPreviousKV().create();
  const events: DeltaEvent[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`watch did not reach revision ${through}`)), 15_000);
      watcher.on('data', (res: IWatchResponse) => {
        for (const event of res.events) {
          events.push({
            type: String(event.type).toUpperCase() === 'DELETE' ? 'DELETE' : 'PUT',
            kv: toKeyValue(event.kv),
            ...(event.prev_kv ? { prevKv: toKeyValue(event.prev_kv) } : {}),
            time: new Date(),
          });
        }
        if ((events.at(-1)?.kv.modRevision ?? 0) >= through) {
          clearTimeout(timer);
          resolve();
        }
      });
      watcher.on('error', reject);
    });
  } finally {
    await watcher.cancel();
  }
  return events;
}

function between(events: readonly DeltaEvent[], from: number, through: number): DeltaEvent[] {
  return events.filter((e) => e.kv.modRevision >= from && e.kv.modRevision <= through);
}

let createdOn = 1_700_000_000;

/** Saves a full snapshot object for `bytes` (etcd's snapshot stream) at `revision`. */
async function saveFull(store: Snapstore, bytes: Buffer, revision: number, gzip: boolean): Promise<Snapshot> {
  const snapshot = newSnapshot('Full', 0, revision, {
    compression: gzip ? 'gzip' : 'none',
    now: new Date(createdOn++ * 1000),
  });
  await store.save(snapshot, gzip ? gzipSync(bytes) : bytes);
  return snapshot;
}

/** Saves a delta object of `events`, named from `start` (default the first event's revision) to the last event's. */
async function saveDelta(
  store: Snapstore,
  events: readonly DeltaEvent[],
  options: { gzip?: boolean; start?: number; bytes?: (encoded: Buffer) => Buffer } = {},
): Promise<Snapshot> {
  const snapshot = newSnapshot('Incr', options.start ?? events[0]!.kv.modRevision, events.at(-1)!.kv.modRevision, {
    compression: options.gzip ? 'gzip' : 'none',
    now: new Date(createdOn++ * 1000),
  });
  const encoded = (options.bytes ?? ((b) => b))(encodeDeltaSnapshot(events));
  await store.save(snapshot, options.gzip ? gzipSync(encoded) : encoded);
  return snapshot;
}

function flipByte(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = copy[index]! ^ 0xff;
  return copy;
}

/** Starts etcd on a restored data dir, runs `check` with a client, stops it. */
async function withEtcdOn<T>(dataDir: string, name: string, check: (client: Etcd3) => Promise<T>): Promise<T> {
  const etcd = await startEtcd({
    name,
    dataDir,
    confDir: `${dataDir}.conf`,
    extraArgs: FAST_START_ARGS,
    stopGraceMs: 5_000,
  });
  const forget = killOnExit(etcd.pid);
  const client = new Etcd3({ hosts: etcd.clientUrl });
  try {
    return await check(client);
  } finally {
    client.close();
    await etcd.stop();
    forget();
  }
}

/** The source etcd's history: base snapshot at `base`, later writes in three phases. */
interface Source {
  etcd: TestEtcd;
  client: Etcd3;
  snapshot: Buffer;
  /** The revision read before the snapshot (the full snapshot's name). */
  base: number;
  /** Ends of the later write phases. */
  middle: number;
  final: number;
  /** Events from `base - 3` through `final`. */
  events: DeltaEvent[];
  dump: EtcdDump;
  /** Lease IDs of the key leased before the snapshot and of the one leased after. */
  leases: { before: string; after: string };
}

async function buildSource(): Promise<Source> {
  const etcd = await startTestEtcd();
  const client = new Etcd3({ hosts: etcd.endpoints });
  const leaseBefore = client.lease(600, { autoKeepAlive: false });
  const leaseBeforeId = await leaseBefore.grant();
  for (const name of ['a', 'b', 'c', 'd', 'e']) await client.put(`/registry/pods/${name}`).value(`pod ${name}`);
  await leaseBefore.put('/registry/events/before').value('leased before');
  await client.kv.txn({
    compare: [],
    success: [
      { request_put: { key: Buffer.from('/registry/txn/one'), value: Buffer.from('1') } },
      { request_put: { key: Buffer.from('/registry/txn/two'), value: Buffer.from('2') } },
    ],
    failure: [],
  });
  await client.put('/registry/pods/a').value('pod a, second version');
  const base = await currentRevision(client);
  const snapshot = await snapshotBytes(client);

  // Phase 2: overwrite, delete, a put+delete transaction, a key leased after the snapshot, a big binary value.
  await client.put('/registry/pods/b').value('pod b, second version');
  await client.delete().key('/registry/pods/c');
  await client.kv.txn({
    compare: [],
    success: [
      { request_put: { key: Buffer.from('/registry/txn/one'), value: Buffer.from('1 again') } },
      { request_delete_range: { key: Buffer.from('/registry/txn/two') } },
      { request_put: { key: Buffer.from('/registry/txn/three'), value: Buffer.from('3') } },
    ],
    failure: [],
  });
  const leaseAfter = client.lease(600, { autoKeepAlive: false });
  const leaseAfterId = await leaseAfter.grant();
  await leaseAfter.put('/registry/events/after').value('leased after');
  await client.put(Buffer.from([0x2f, 0x00, 0xff, 0x01])).value(Buffer.from([0, 1, 2, 255]));
  await client.put('/registry/big').value(Buffer.alloc(300_000, 7));
  const middle = await currentRevision(client);

  // Phase 3: a range delete (several keys at one revision), a recreated key, an empty value.
  await client.delete().prefix('/registry/txn/');
  await client.put('/registry/pods/c').value('pod c, recreated');
  await client.put('/registry/empty').value('');
  for (let i = 0; i < 20; i++) await client.put(`/registry/configmaps/cm-${i % 4}`).value(`v${i}`);
  const final = await currentRevision(client);

  const events = await watchEvents(client, base - 3, final);
  return {
    etcd,
    client,
    snapshot,
    base,
    middle,
    final,
    events,
    dump: await dump(client),
    leases: { before: leaseBeforeId, after: leaseAfterId },
  };
}

let source: Source;
let workRoot: string;
let storeCount = 0;

before(async () => {
  workRoot = await mkdtemp(path.join(tmpdir(), 'restorer-test-'));
  source = await buildSource();
});

after(async () => {
  source?.client.close();
  await source?.etcd.cleanup();
  await rm(workRoot, { recursive: true, force: true });
});

function freshStore(): LocalSnapstore {
  return new LocalSnapstore({ root: workRoot, container: `store-${++storeCount}`, prefix: 'etcd-main' });
}

/** A data dir path whose parent exists, with an old data dir holding a marker file in place. */
async function existingDataDir(): Promise<string> {
  const dataDir = path.join(await mkdtemp(path.join(workRoot, 'target-')), 'data');
  await mkdir(path.join(dataDir, 'member'), { recursive: true });
  await writeFile(path.join(dataDir, 'member', 'marker'), 'the old data dir');
  return dataDir;
}

async function assertUntouched(dataDir: string): Promise<void> {
  assert.equal(await readFile(path.join(dataDir, 'member', 'marker'), 'utf8'), 'the old data dir');
  const siblings = await readdir(path.dirname(dataDir));
  assert.deepEqual(siblings, ['data'], 'no .part or other leftovers next to the data dir');
}

async function restore(store: Snapstore, dataDir: string, progress: string[] = [], numbers?: RestoreProgress[]) {
  const tempDir = path.join(path.dirname(dataDir), '..', 'tmp');
  await mkdir(tempDir, { recursive: true });
  return restoreFromStore({
    store,
    dataDir,
    memberName: 'etcd-main',
    peerUrl: `http://127.0.0.1:${await freePort()}`,
    tempDir,
    onProgress: (message) => progress.push(message),
    ...(numbers ? { onRestoreProgress: (p: RestoreProgress) => numbers.push(p) } : {}),
  });
}

/**
 * The numbers of a restore that ended: fetched bytes grow to the stored objects' sizes, keys to
 * the full snapshot's entries and the deltas' events; the stages in order.
 */
async function assertNumbersAddUp(numbers: readonly RestoreProgress[], store: Snapstore, deltaEvents: number) {
  const last = numbers.at(-1)!;
  const storedBytes = (await store.list()).reduce((sum, o) => sum + o.size, 0);
  const snapshotFile = path.join(workRoot, `snapshot-${storeCount}.db`);
  await writeFile(snapshotFile, source.snapshot);
  const snapshotKeys = await snapshotKeyCount('/usr/bin/etcdctl', snapshotFile);
  // etcdctl's count of the snapshot's entries: at least the 8 keys written before it, with their history.
  assert.ok(snapshotKeys !== undefined && snapshotKeys >= 8, String(snapshotKeys));
  assert.deepEqual(last, {
    stage: 'done',
    fetchedBytes: storedBytes,
    totalBytes: storedBytes,
    restoredKeys: snapshotKeys + deltaEvents,
    totalKeys: snapshotKeys + deltaEvents,
  });
  const stages = numbers.map((n) => n.stage).filter((stage, i, all) => stage !== all[i - 1]);
  assert.deepEqual(stages, ['fetching', 'restoring', 'replaying', 'done']);
  for (const [i, n] of numbers.entries()) {
    const before = numbers[i - 1];
    if (!before) continue;
    assert.ok(n.fetchedBytes >= before.fetchedBytes && n.restoredKeys >= before.restoredKeys, 'counts only grow');
  }
}

/** The restored data dir holds exactly the source's keys and revision; leases only where the snapshot had them. */
async function assertRestoredLikeSource(dataDir: string): Promise<void> {
  assert.equal((await dataDirStatus(dataDir)).status, 'valid');
  const restored = await withEtcdOn(dataDir, 'etcd-main', dump);
  assert.equal(restored.revision, source.final);
  const withoutLease = ({ lease: _lease, ...rest }: KeyDump) => rest;
  assert.deepEqual(restored.keys.map(withoutLease), source.dump.keys.map(withoutLease));
  const leaseOf = (key: string, d: EtcdDump) =>
    d.keys.find((k) => k.key === Buffer.from(key).toString('base64'))?.lease;
  assert.equal(leaseOf('/registry/events/before', restored), source.leases.before, 'the snapshot keeps its lease');
  assert.equal(leaseOf('/registry/events/after', source.dump), source.leases.after);
  assert.equal(leaseOf('/registry/events/after', restored), '0', 'replayed puts carry no lease');
}

describe('restoreFromStore', () => {
  it('restores a full snapshot and later deltas (gzip and plain) over an old data dir', async () => {
    const store = freshStore();
    const full = await saveFull(store, source.snapshot, source.base, true);
    const first = await saveDelta(store, between(source.events, source.base + 1, source.middle), { gzip: true });
    const second = await saveDelta(store, between(source.events, source.middle + 1, source.final));
    const dataDir = await existingDataDir();
    const progress: string[] = [];
    const numbers: RestoreProgress[] = [];
    const result = await restore(store, dataDir, progress, numbers);
    assert.deepEqual(result, { restored: true, revision: source.final, full, deltas: [first, second] });
    await assertNumbersAddUp(numbers, store, between(source.events, source.base + 1, source.final).length);
    assert.ok(progress.includes(`fetching ${full.name}`), progress.join('\n'));
    assert.ok(progress.includes(`applying delta 1/2 ${first.name}`), progress.join('\n'));
    assert.ok(progress.includes(`applying delta 2/2 ${second.name}`), progress.join('\n'));
    await assert.rejects(readFile(path.join(dataDir, 'member', 'marker')), { code: 'ENOENT' });
    assert.deepEqual(await readdir(path.dirname(dataDir)), ['data']);
    await assertRestoredLikeSource(dataDir);
  });

  it('skips the events of an overlapping first delta that the full snapshot already holds', async () => {
    const store = freshStore();
    await saveFull(store, source.snapshot, source.base, false);
    await saveDelta(store, between(source.events, source.base - 3, source.middle));
    await saveDelta(store, between(source.events, source.middle + 1, source.final), { gzip: true });
    const dataDir = path.join(await mkdtemp(path.join(workRoot, 'target-')), 'data');
    const numbers: RestoreProgress[] = [];
    const result = await restore(store, dataDir, [], numbers);
    assert.equal(result.restored && result.revision, source.final);
    // The events the snapshot holds already count as restored: the keys still add up.
    await assertNumbersAddUp(numbers, store, between(source.events, source.base - 3, source.final).length);
    await assertRestoredLikeSource(dataDir);
  });

  it('restores a full snapshot alone, removing work dirs that killed restores left', async () => {
    const store = freshStore();
    const full = await saveFull(store, source.snapshot, source.base, true);
    const dataDir = path.join(await mkdtemp(path.join(workRoot, 'target-')), 'data');
    const deadPid = spawnSync('true').pid;
    const stale = [TMPFS_DIR, path.join(workRoot, 'tmp')].map((dir) => path.join(dir, `etcd-restore-${deadPid}-left`));
    for (const dir of stale) await mkdir(dir, { recursive: true });
    const result = await restore(store, dataDir);
    assert.deepEqual(result, { restored: true, revision: source.base, full, deltas: [] });
    const remaining = await Promise.all(
      stale.map((dir) =>
        access(dir).then(
          () => dir,
          () => undefined,
        ),
      ),
    );
    // The restore worked on tmpfs or in its temp dir; the stale dir there is gone.
    assert.ok(remaining.filter(Boolean).length < stale.length, `stale work dirs left: ${remaining}`);
    for (const dir of stale) await rm(dir, { recursive: true, force: true });
    const restored = await withEtcdOn(dataDir, 'etcd-main', dump);
    assert.equal(restored.revision, source.base);
    assert.ok(restored.keys.some((k) => k.key === Buffer.from('/registry/txn/two').toString('base64')));
  });

  it('reports an empty store and leaves the data dir alone', async () => {
    const dataDir = await existingDataDir();
    assert.deepEqual(await restore(freshStore(), dataDir), { restored: false, reason: 'no-backups' });
    await assertUntouched(dataDir);
  });

  it('refuses a full snapshot with a flipped byte before touching the data dir', async () => {
    const store = freshStore();
    const full = await saveFull(store, flipByte(source.snapshot, 4096 + 100), source.base, false);
    await saveDelta(store, between(source.events, source.base + 1, source.final));
    const dataDir = await existingDataDir();
    await assert.rejects(restore(store, dataDir), (err: unknown) => {
      assert.ok(err instanceof SnapshotIntegrityError, String(err));
      assert.equal(err.object, full.name);
      assert.match(err.message, /SHA-256 mismatch/);
      return true;
    });
    await assertUntouched(dataDir);
  });

  it('refuses a corrupted delta (flipped byte, broken gzip) before touching the data dir', async () => {
    for (const corruption of ['flipped byte', 'broken gzip'] as const) {
      const store = freshStore();
      await saveFull(store, source.snapshot, source.base, true);
      await saveDelta(store, between(source.events, source.base + 1, source.middle));
      const bad =
        corruption === 'flipped byte'
          ? await saveDelta(store, between(source.events, source.middle + 1, source.final), {
              bytes: (b) => flipByte(b, 40),
            })
          : newSnapshot('Incr', source.middle + 1, source.final, {
              compression: 'gzip',
              now: new Date(createdOn++ * 1000),
            });
      if (corruption === 'broken gzip') {
        const gz = gzipSync(encodeDeltaSnapshot(between(source.events, source.middle + 1, source.final)));
        await store.save(bad, gz.subarray(0, gz.length - 10));
      }
      const dataDir = await existingDataDir();
      await assert.rejects(restore(store, dataDir), (err: unknown) => {
        assert.ok(err instanceof SnapshotIntegrityError, `${corruption}: ${String(err)}`);
        assert.equal(err.object, bad.name);
        return true;
      });
      await assertUntouched(dataDir);
    }
  });

  it('reports a missing delta as a gap, never a partial restore', async () => {
    const store = freshStore();
    await saveFull(store, source.snapshot, source.base, false);
    await saveDelta(store, between(source.events, source.base + 1, source.base + 3));
    const missing = await saveDelta(store, between(source.events, source.base + 4, source.middle));
    const after = await saveDelta(store, between(source.events, source.middle + 1, source.final));
    await store.delete(missing);
    const dataDir = await existingDataDir();
    await assert.rejects(restore(store, dataDir), (err: unknown) => {
      assert.ok(err instanceof RestoreError, String(err));
      assert.equal(err.object, after.name);
      assert.match(err.message, /gap in the backups/);
      assert.match(err.message, new RegExp(`revisions ${source.base + 4}\\.\\.${source.middle}`));
      return true;
    });
    await assertUntouched(dataDir);
  });

  it('refuses deltas whose events do not match their names or the restored revision', async () => {
    const middleEvents = between(source.events, source.middle + 1, source.final);
    const cases: { what: string; build(store: Snapstore): Promise<Snapshot>; message: RegExp }[] = [
      {
        what: 'events with a hole',
        build: (store) => saveDelta(store, [...middleEvents.slice(0, 2), ...middleEvents.slice(4)]),
        message: /lacks revisions/,
      },
      {
        what: 'a name claiming more than the events hold',
        build: async (store) => {
          const snapshot = newSnapshot('Incr', source.middle + 1, source.final + 5, {
            compression: 'none',
            now: new Date(createdOn++ * 1000),
          });
          await store.save(snapshot, encodeDeltaSnapshot(middleEvents));
          return snapshot;
        },
        message: /not the .* its name states/,
      },
      {
        // A delete of a key etcd does not have changes nothing: the revision does not move.
        what: 'an event etcd cannot replay',
        build: (store) =>
          saveDelta(store, [
            ...middleEvents.slice(0, 3),
            {
              type: 'DELETE',
              kv: { ...middleEvents[3]!.kv, key: Buffer.from('/no/such/key'), value: Buffer.alloc(0) },
              time: new Date(),
            },
          ]),
        message: /mismatched event revision while applying delta snapshot .*, expected \d+ but applied \d+/,
      },
    ];
    for (const { what, build, message } of cases) {
      const store = freshStore();
      await saveFull(store, source.snapshot, source.base, false);
      await saveDelta(store, between(source.events, source.base + 1, source.middle));
      const bad = await build(store);
      const dataDir = await existingDataDir();
      await assert.rejects(restore(store, dataDir), (err: unknown) => {
        assert.ok(err instanceof RestoreError, `${what}: ${String(err)}`);
        assert.equal(err.object, bad.name, what);
        assert.match(err.message, message, what);
        return true;
      });
      await assertUntouched(dataDir);
    }
  });

  it('replays 10 000 revisions, keeping the snapshot’s short leases alive meanwhile', async (t) => {
    const etcd = await startTestEtcd();
    const client = new Etcd3({ hosts: etcd.endpoints });
    try {
      // Shorter than the replay: without keep-alives etcd would revoke it and shift every later revision.
      const lease = client.lease(2, { autoKeepAlive: false });
      await lease.grant();
      await lease.put('/registry/masterleases/10.0.0.1').value('short-lived');
      const base = await currentRevision(client);
      const snapshot = await snapshotBytes(client);
      const count = 10_000;
      const keys = 500;
      const events: DeltaEvent[] = Array.from({ length: count }, (_, i) => ({
        type: 'PUT',
        kv: {
          key: Buffer.from(`/registry/leases/lease-${i % keys}`),
          value: Buffer.from(`renewed ${i}`),
          createRevision: base + 1 + (i % keys),
          modRevision: base + 1 + i,
          version: Math.floor(i / keys) + 1,
          lease: 0,
        },
        time: new Date(),
      }));
      const store = freshStore();
      await saveFull(store, snapshot, base, true);
      for (let from = 0; from < count; from += 2_500) {
        await saveDelta(store, events.slice(from, from + 2_500), { gzip: true });
      }
      const dataDir = path.join(await mkdtemp(path.join(workRoot, 'target-')), 'data');
      const started = Date.now();
      const result = await restore(store, dataDir);
      const ms = Date.now() - started;
      t.diagnostic(`restore of a full snapshot + 10 000 single-key revisions in 4 deltas: ${ms} ms`);
      assert.equal(result.restored && result.revision, base + count);
      await withEtcdOn(dataDir, 'etcd-main', async (restored) => {
        const state = await dump(restored);
        assert.equal(state.revision, base + count);
        const lastRound = state.keys.filter((k) =>
          Buffer.from(k.key, 'base64').toString().startsWith('/registry/leases/'),
        );
        assert.equal(lastRound.length, keys);
        for (const k of lastRound) {
          const i = Number(Buffer.from(k.key, 'base64').toString().split('-').at(-1)) + count - keys;
          assert.equal(Buffer.from(k.value, 'base64').toString(), `renewed ${i}`);
          assert.equal(k.modRevision, String(base + 1 + i));
          assert.equal(k.version, String(count / keys));
        }
        assert.ok(
          state.keys.some((k) => Buffer.from(k.key, 'base64').toString() === '/registry/masterleases/10.0.0.1'),
        );
      });
    } finally {
      client.close();
      await etcd.cleanup();
    }
  });

  it('restores from an S3 store (s3rver)', async () => {
    const s3 = await startS3rver();
    try {
      await s3.createBucket('backups');
      const store = new S3Snapstore({
        bucket: 'backups',
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
      await saveFull(store, source.snapshot, source.base, true);
      await saveDelta(store, between(source.events, source.base + 1, source.middle), { gzip: true });
      await saveDelta(store, between(source.events, source.middle + 1, source.final), { gzip: true });
      const dataDir = path.join(await mkdtemp(path.join(workRoot, 'target-')), 'data');
      const result = await restore(store, dataDir);
      assert.equal(result.restored && result.revision, source.final);
      await assertRestoredLikeSource(dataDir);
    } finally {
      await s3.stop();
    }
  });
});

describe('dataDirStatus', () => {
  it('tells missing, empty, invalid and valid data dirs apart', async () => {
    const root = await mkdtemp(path.join(workRoot, 'status-'));
    const dir = (name: string) => path.join(root, name);
    assert.deepEqual(await dataDirStatus(dir('missing')), { status: 'missing' });
    await mkdir(dir('empty'));
    assert.deepEqual(await dataDirStatus(dir('empty')), { status: 'empty' });
    await writeFile(dir('file'), 'not a directory');
    assert.equal((await dataDirStatus(dir('file'))).status, 'invalid');

    await mkdir(path.join(dir('no-db'), 'member', 'wal'), { recursive: true });
    const noDb = await dataDirStatus(dir('no-db'));
    assert.equal(noDb.status, 'invalid');
    assert.match(noDb.reason ?? '', /member\/snap\/db is missing/);

    await mkdir(path.join(dir('garbage-db'), 'member', 'snap'), { recursive: true });
    await writeFile(path.join(dir('garbage-db'), 'member', 'snap', 'db'), Buffer.alloc(4096, 1));
    assert.match((await dataDirStatus(dir('garbage-db'))).reason ?? '', /not a bolt database/);

    // A real data dir: valid; without its WAL files: invalid.
    const store = freshStore();
    await saveFull(store, source.snapshot, source.base, false);
    await restore(store, dir('real/data'));
    assert.deepEqual(await dataDirStatus(dir('real/data')), { status: 'valid' });
    const walDir = path.join(dir('real/data'), 'member', 'wal');
    for (const name of await readdir(walDir)) await rm(path.join(walDir, name));
    const noWal = await dataDirStatus(dir('real/data'));
    assert.equal(noWal.status, 'invalid');
    assert.match(noWal.reason ?? '', /holds no WAL file/);
    await rm(walDir, { recursive: true });
    assert.match((await dataDirStatus(dir('real/data'))).reason ?? '', /wal is missing/);
  });
});
