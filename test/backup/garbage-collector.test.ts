/**
 * Garbage collection policies with a fixed `now`: the pure selection, and its application to a
 * local store.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { collectGarbage, selectGarbage } from '../../src/backup/garbage-collector.js';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { compareSnapshots, newSnapshot } from '../../src/backup/snapstore/snapshot-name.js';
import type { Snapshot } from '../../src/backup/snapstore/snapstore.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A Wednesday, 10:30 UTC. */
const NOW = new Date('2024-03-13T10:30:00Z');

/** Builds a store history: a full every `ageMs` given, each followed by `deltas` deltas 1 min apart. */
function history(ages: readonly number[], deltas = 2): Snapshot[] {
  const snapshots: Snapshot[] = [];
  let revision = 0;
  for (const age of [...ages].sort((a, b) => b - a)) {
    const created = NOW.getTime() - age;
    revision += 10;
    snapshots.push(newSnapshot('Full', 0, revision, { compression: 'none', now: new Date(created) }));
    for (let i = 1; i <= deltas; i++) {
      const start = revision + 1;
      revision += 5;
      snapshots.push(
        newSnapshot('Incr', start, revision, { compression: 'none', now: new Date(created + i * 60_000) }),
      );
    }
  }
  return snapshots.sort(compareSnapshots);
}

const names = (snapshots: readonly Snapshot[]) => snapshots.map((s) => s.name).sort();
const fulls = (snapshots: readonly Snapshot[]) => snapshots.filter((s) => s.kind === 'Full');
const deltasOf = (snapshots: readonly Snapshot[], full: Snapshot) => {
  const index = snapshots.indexOf(full);
  const nextFull = snapshots.findIndex((s, i) => i > index && s.kind === 'Full');
  return snapshots.slice(index + 1, nextFull < 0 ? undefined : nextFull);
};

describe('garbage collection: LimitBased', () => {
  it('keeps the newest maxBackups fulls, the latest one with its deltas, and deletes older deltas', () => {
    const snapshots = history([10 * HOUR, 8 * HOUR, 6 * HOUR, 4 * HOUR, 2 * HOUR]);
    const all = fulls(snapshots);
    const latest = all.at(-1)!;
    const garbage = selectGarbage(snapshots, 'LimitBased', NOW, { maxBackups: 3 });
    const kept = snapshots.filter((s) => !garbage.includes(s));
    assert.deepEqual(names(fulls(kept)), names(all.slice(-3)));
    assert.deepEqual(names(kept.filter((s) => s.kind === 'Incr')), names(deltasOf(snapshots, latest)));
    // Deltas go before fulls, so an interrupted run never leaves deltas without their full.
    const firstFull = garbage.findIndex((s) => s.kind === 'Full');
    assert.ok(garbage.slice(firstFull).every((s) => s.kind === 'Full'));
  });

  it('keeps deltas of older streams within the retention period', () => {
    const snapshots = history([3 * HOUR, 2 * HOUR, HOUR / 2]);
    const garbage = selectGarbage(snapshots, 'LimitBased', NOW, { maxBackups: 7, deltaRetentionMs: 2.5 * HOUR });
    const [oldest, middle] = fulls(snapshots);
    assert.deepEqual(names(garbage), names(deltasOf(snapshots, oldest!)));
    assert.equal(garbage.filter((s) => deltasOf(snapshots, middle!).includes(s)).length, 0);
  });

  it('never deletes the latest full and its deltas, even with maxBackups 0', () => {
    const snapshots = history([2 * HOUR, HOUR]);
    const latest = fulls(snapshots).at(-1)!;
    const garbage = selectGarbage(snapshots, 'LimitBased', NOW, { maxBackups: 0 });
    assert.ok(!garbage.includes(latest));
    assert.ok(deltasOf(snapshots, latest).every((s) => !garbage.includes(s)));
    assert.equal(fulls(garbage).length, 1);
  });

  it('deletes nothing from a store without a full snapshot', () => {
    const deltas = [newSnapshot('Incr', 5, 9, { compression: 'none', now: new Date(NOW.getTime() - 40 * DAY) })];
    assert.deepEqual(selectGarbage(deltas, 'LimitBased', NOW, { maxBackups: 1 }), []);
    assert.deepEqual(selectGarbage(deltas, 'Exponential', NOW), []);
  });
});

describe('garbage collection: Exponential', () => {
  it('keeps the current hour, then one per hour, per day for 7 days, per week for 4 weeks', () => {
    const ages = [
      // Current hour (10:00–10:30): all kept.
      5 * 60_000,
      20 * 60_000,
      // Hour 09: keep the last (09:50), drop 09:10.
      40 * 60_000,
      80 * 60_000,
      // Hour 05: one, kept.
      5 * HOUR,
      // Yesterday-ish but within 24 h (2024-03-12 12:30): kept as its own hour.
      22 * HOUR,
      // 2024-03-11: 10:30 and 20:30 → keep 20:30 only.
      2 * DAY,
      2 * DAY - 10 * HOUR,
      // 2024-03-08 (5 days): one, kept.
      5 * DAY,
      // Weeks: 2024-02-26..03-03 holds 10 and 13 days → keep 10 days (2024-03-03).
      10 * DAY,
      13 * DAY,
      // 2024-02-19 week: 20 days → kept.
      20 * DAY,
      // Older than 4 weeks: deleted.
      30 * DAY,
      60 * DAY,
    ];
    const snapshots = history(ages, 1);
    const byAge = new Map(fulls(snapshots).map((s) => [NOW.getTime() - s.createdOn * 1000, s]));
    const garbage = selectGarbage(snapshots, 'Exponential', NOW);
    const deletedAges = [...byAge].filter(([, s]) => garbage.includes(s)).map(([age]) => age);
    assert.deepEqual(
      deletedAges.sort((a, b) => a - b),
      [80 * 60_000, 2 * DAY, 13 * DAY, 30 * DAY, 60 * DAY],
    );
    // Deltas of every stream but the latest go (retention 0); the latest's stay.
    const latest = fulls(snapshots).at(-1)!;
    const deltas = snapshots.filter((s) => s.kind === 'Incr');
    for (const delta of deltas) {
      assert.equal(garbage.includes(delta), !deltasOf(snapshots, latest).includes(delta), delta.name);
    }
  });

  it('keeps even a month-old latest full', () => {
    const snapshots = history([60 * DAY, 40 * DAY]);
    const garbage = selectGarbage(snapshots, 'Exponential', NOW);
    assert.deepEqual(names(fulls(snapshots).filter((s) => !garbage.includes(s))), [fulls(snapshots).at(-1)!.name]);
  });
});

describe('collectGarbage on a store', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('deletes what the policy selects and reports it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gc-'));
    dirs.push(dir);
    const store = new LocalSnapstore({ root: dir, container: 'bucket', prefix: 'etcd' });
    const snapshots = history([3 * HOUR, 2 * HOUR, HOUR]);
    for (const snapshot of snapshots) await store.save(snapshot, Buffer.from(snapshot.name));
    const deleted = await collectGarbage(store, 'LimitBased', NOW, { maxBackups: 2 });
    assert.deepEqual(names(deleted), names(selectGarbage(snapshots, 'LimitBased', NOW, { maxBackups: 2 })));
    const left = (await store.list()).map((o) => o.snapshot);
    assert.deepEqual(names(left), names(snapshots.filter((s) => !deleted.some((d) => d.name === s.name))));
    assert.equal(fulls(left).length, 2);
    assert.deepEqual(await collectGarbage(store, 'LimitBased', NOW, { maxBackups: 2 }), []);
  });
});
