/**
 * The backup lifecycle's guards on a real landscape (seed-a, seed-b, local buckets), with the
 * example shoot on seed-a:
 *
 * - A Restore's source BackupEntry whose copy the destination does not hold completely (an object
 *   missing, one with other bytes of the same size) is not deleted, and nothing of its bucket goes;
 *   the garden entry says why. Once the destination holds everything, its copy goes and the
 *   destination's backups stay. The situation is the one a Restore on seed-a from seed-b's bucket
 *   leaves: `source-<entry>` names seed-b's bucket, the shoot's own entry seed-a's.
 * - `transplant backup delete` refuses a prefix a BackupEntry uses (and without garden access),
 *   lists in a dry run, deletes a prefix no entry uses, and one in use with --force.
 *
 * After a migration and after a shoot's deletion the buckets hold nothing of it: migration.test.ts
 * and migration-deletion.test.ts check that on their landscapes.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareSnapshots, parseSnapshotName } from '../../src/backup/snapstore/snapshot-name.js';
import { entryObjects, seedBucketDir } from '../helpers/backup-buckets.js';
import { getJson, kubectl } from '../helpers/kubectl.js';
import type { TestLandscape } from '../helpers/landscape.js';
import {
  CONTROL_PLANE,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
} from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';
import { transplant } from '../helpers/transplant-cli.js';

describe('backup lifecycle on a landscape', () => {
  let shoot: ShootOnLandscape;
  let l: TestLandscape;
  let entry: string;
  let bucketA: string;
  let bucketB: string;
  /** The newest full snapshot of the shoot in seed-a's bucket (garbage collection keeps it for a day). */
  let latestFull: string;

  before(async () => {
    shoot = await startShootOnLandscape();
    l = shoot.landscape;
    entry = `${CONTROL_PLANE}--${(await l.shoot(SHOOT_NAMESPACE, SHOOT)).metadata.uid}`;
    bucketA = await seedBucketDir(l, 'seed-a');
    bucketB = await seedBucketDir(l, 'seed-b');
    latestFull = await eventually(
      async () => {
        const names = await readdir(join(bucketA, entry, 'etcd-main', 'v2')).catch(() => []);
        const fulls = names.flatMap((n) => {
          const s = parseSnapshotName(n);
          return s?.kind === 'Full' ? [s] : [];
        });
        return fulls.sort(compareSnapshots).at(-1)?.name;
      },
      60_000,
      "a full snapshot of etcd-main in seed-a's bucket",
    );
  });

  after(async () => {
    await shoot?.stop();
  });

  const v2 = (bucket: string) => join(bucket, entry, 'etcd-main', 'v2');

  it("refuses to delete a source entry's copy the destination does not hold completely, then deletes it once it does", async () => {
    const original = await readFile(join(v2(bucketA), latestFull));
    const flipped = Buffer.from(original);
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 0xff;
    const absent = 'Full-00000000-00000001-1767225600';
    await mkdir(v2(bucketB), { recursive: true });
    await writeFile(join(v2(bucketB), latestFull), flipped);
    await writeFile(join(v2(bucketB), absent), Buffer.from('only here'));
    const source = `source-${entry}`;
    const created = await kubectl(
      l.garden,
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'BackupEntry',
        metadata: { name: source, namespace: SHOOT_NAMESPACE },
        spec: { bucketName: basename(bucketB), seedName: 'seed-a' },
      }),
    );
    assert.equal(created.code, 0, created.stderr);
    await eventually(
      async () => {
        const last = (await getJson(l.garden, ['get', 'backupentry', '-n', SHOOT_NAMESPACE, source])).status
          ?.lastOperation;
        return last?.state === 'Succeeded' ? true : undefined;
      },
      60_000,
      'the source entry is reconciled',
    );

    const deleted = await kubectl(l.garden, ['delete', 'backupentry', '-n', SHOOT_NAMESPACE, source, '--wait=false']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const error = await eventually(
      async () => {
        const got = await getJson(l.garden, ['get', 'backupentry', '-n', SHOOT_NAMESPACE, source]);
        return got.status?.lastError?.description as string | undefined;
      },
      60_000,
      "the source entry's deletion reports an error",
    );
    assert.match(error, /2 backup\(s\) in .* are not \(completely\) in /);
    assert.deepEqual(await entryObjects(l, 'seed-b', entry), [`etcd-main/v2/${absent}`, `etcd-main/v2/${latestFull}`]);
    assert.ok((await readFile(join(v2(bucketB), latestFull))).equals(flipped), 'the source copy is untouched');

    // The manual command refuses this prefix while the entry exists (and without the garden to ask).
    const store = ['--store-root', join(l.dir, 'backups', 'seed-b'), '--store-container', basename(bucketB)];
    const refused = await transplant([
      'backup',
      'delete',
      ...store,
      '--store-prefix',
      entry,
      '--garden-kubeconfig',
      l.garden,
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`BackupEntry ${SHOOT_NAMESPACE}/${source} still uses ${entry}/ .*--force`));
    const blind = await transplant(['backup', 'delete', ...store, '--store-prefix', `${entry}/etcd-main`]);
    assert.notEqual(blind.code, 0);
    assert.match(blind.stderr, /without --garden-kubeconfig/);
    const dry = await transplant(['backup', 'delete', ...store, '--store-prefix', entry, '--force', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would delete 2 object\(s\), .* \(dry run\)\n$/);
    assert.equal((await entryObjects(l, 'seed-b', entry)).length, 2, 'a dry run deletes nothing');

    // Once the destination holds everything the source holds, the copy goes; the destination's stays.
    await writeFile(join(v2(bucketB), latestFull), original);
    await rm(join(v2(bucketB), absent));
    await eventually(
      async () =>
        (await kubectl(l.garden, ['get', 'backupentry', '-n', SHOOT_NAMESPACE, source])).code !== 0 ? true : undefined,
      60_000,
      'the source entry is gone',
    );
    assert.deepEqual(await entryObjects(l, 'seed-b', entry), []);
    assert.ok((await readFile(join(v2(bucketA), latestFull))).equals(original), "seed-a's backups stay");
  });

  it('deletes a prefix by hand: one no BackupEntry uses, and one in use only with --force', async () => {
    const store = ['--store-root', join(l.dir, 'backups', 'seed-b'), '--store-container', basename(bucketB)];
    const leftover = 'shoot--dev--gone--0000';
    await mkdir(join(bucketB, leftover, 'etcd-main', 'v2'), { recursive: true });
    await copyFile(join(v2(bucketA), latestFull), join(bucketB, leftover, 'etcd-main', 'v2', latestFull));
    const size = (await readFile(join(v2(bucketA), latestFull))).length;
    const done = await transplant([
      'backup',
      'delete',
      ...store,
      '--store-prefix',
      leftover,
      '--garden-kubeconfig',
      l.garden,
    ]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, new RegExp(`^deleted ${leftover}/etcd-main/v2/${latestFull} `, 'm'));
    assert.match(done.stdout, /deleted 1 object\(s\), .* under /);
    assert.deepEqual(await readdir(bucketB), [], "seed-b's bucket is empty, and still there");
    assert.ok(size > 0);

    const inUse = ['--store-root', join(l.dir, 'backups', 'seed-a'), '--store-container', basename(bucketA)];
    const before = await entryObjects(l, 'seed-a', entry);
    const deleteEntryPrefix = (...extra: string[]) =>
      transplant(['backup', 'delete', ...inUse, '--store-prefix', entry, '--garden-kubeconfig', l.garden, ...extra]);
    const refused = await deleteEntryPrefix();
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`BackupEntry ${SHOOT_NAMESPACE}/${entry} still uses`));
    const kept = new Set(await entryObjects(l, 'seed-a', entry));
    assert.deepEqual(
      before.filter((o) => !kept.has(o)),
      [],
      'the refused delete removed nothing (the running etcd may have saved new ones since)',
    );
    const forced = await deleteEntryPrefix('--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /warning: deleting .* which BackupEntry/);
    const left = new Set(await entryObjects(l, 'seed-a', entry));
    assert.ok(
      before.every((o) => !left.has(o)),
      'every object the prefix held is gone (the running etcd may have saved new ones since)',
    );
  });
});
