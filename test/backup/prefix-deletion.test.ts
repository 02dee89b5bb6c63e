/**
 * The order a prefix is deleted in (`deletionOrder`) and `deletePrefix` on a local store: oldest
 * backups first, deltas before their full snapshot, other objects last; a dry run deletes nothing.
 * And which garden BackupEntries use a prefix, for `transplant backup delete`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { BackupEntry } from '../../src/api/core-gardener/backup-entry.js';
import { deletePrefix, deletionOrder } from '../../src/backup/prefix-deletion.js';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { newSnapshot } from '../../src/backup/snapstore/snapshot-name.js';
import { entriesUsingPrefix } from '../../src/cli/backup/prefix-in-use.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);
const orphan = newSnapshot('Incr', 1, 4, { now: at(0), compression: 'none' });
const full1 = newSnapshot('Full', 0, 5, { now: at(10), compression: 'none' });
const delta1a = newSnapshot('Incr', 6, 8, { now: at(20), compression: 'none' });
const delta1b = newSnapshot('Incr', 9, 12, { now: at(30), compression: 'none' });
const full2 = newSnapshot('Full', 0, 12, { now: at(40), compression: 'none', final: true });
const delta2 = newSnapshot('Incr', 13, 15, { now: at(50), compression: 'none' });

describe('prefix deletion', () => {
  it('deletes the oldest backups first, each backup’s deltas before its full snapshot, other objects last', () => {
    const keys = [full2, delta1b, 'v2/.tmp-1', orphan, delta2, full1, delta1a].map((o) =>
      typeof o === 'string' ? o : `etcd-main/v2/${o.name}`,
    );
    const ordered = deletionOrder(keys.map((key) => ({ key, size: 1 }))).map((o) => o.key.replace('etcd-main/v2/', ''));
    assert.deepEqual(ordered, [
      orphan.name,
      delta1b.name,
      delta1a.name,
      full1.name,
      delta2.name,
      full2.name,
      'v2/.tmp-1',
    ]);
  });

  it('counts in a dry run, then deletes everything and leaves no directory of the prefix', async (t) => {
    const root = await mkdtemp(path.join(tmpdir(), 'prefix-deletion-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const member = new LocalSnapstore({ root, container: 'bucket', prefix: 'entry/etcd-main' });
    const entry = new LocalSnapstore({ root, container: 'bucket', prefix: 'entry' });
    await member.save(full1, Buffer.from('full'));
    await member.save(delta1a, Buffer.from('delta'));
    const seen: string[] = [];
    assert.deepEqual(await deletePrefix(entry, { dryRun: true, onObject: (o) => seen.push(o.key) }), {
      count: 2,
      bytes: 9,
    });
    assert.deepEqual(seen, [`etcd-main/v2/${delta1a.name}`, `etcd-main/v2/${full1.name}`]);
    assert.equal((await member.list()).length, 2);
    assert.deepEqual(await deletePrefix(entry), { count: 2, bytes: 9 });
    assert.deepEqual(await member.list(), []);
    assert.deepEqual(await readdir(path.join(root, 'bucket')), []);
  });
});

describe('which BackupEntries use a prefix (transplant backup delete)', () => {
  const entry = (name: string, bucketName: string): BackupEntry => ({
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'BackupEntry',
    metadata: { name, namespace: 'garden-dev' },
    spec: { bucketName },
  });
  const entries = [entry('shoot--dev--a--1', 'bucket-a'), entry('source-shoot--dev--b--2', 'bucket-a')];

  it('finds an entry whose prefix is the one given, inside it or contains it, in the same bucket only', () => {
    for (const prefix of ['shoot--dev--a--1', '/shoot--dev--a--1/', 'shoot--dev--a--1/etcd-main', '']) {
      assert.deepEqual(
        entriesUsingPrefix(entries, 'bucket-a', prefix).includes('garden-dev/shoot--dev--a--1'),
        true,
        prefix,
      );
    }
    assert.deepEqual(entriesUsingPrefix(entries, 'bucket-a', 'shoot--dev--b--2/etcd-main'), [
      'garden-dev/source-shoot--dev--b--2',
    ]);
    assert.deepEqual(entriesUsingPrefix(entries, 'bucket-b', 'shoot--dev--a--1'), []);
    assert.deepEqual(entriesUsingPrefix(entries, 'bucket-a', 'shoot--dev--a--10'), []);
    assert.deepEqual(entriesUsingPrefix(entries, 'bucket-a', 'shoot--dev--a'), []);
  });
});
