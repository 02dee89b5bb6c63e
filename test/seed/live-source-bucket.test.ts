/**
 * The source bucket after a live migration (docs/live-migration.md, "The source bucket"): the
 * deletion of the Restore's `source-<entry>` deletes the shoot's backups in the source bucket only
 * once the destination's bucket holds a full snapshot at the entry's revision and at every source
 * backup's revision or above, read back and verified; until then it fails and deletes nothing. The
 * buckets are real local stores; the seed API is faked (the actuator reads two entries and their
 * secret). And the Restore's steps: the live source entry before the BackupEntry moves, its
 * deletion after etcd, no wait for it.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  type ExtensionBackupEntry,
  LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION,
} from '../../src/api/extensions/backup-entry.js';
import type { KubeObject } from '../../src/api/meta.js';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { newSnapshot } from '../../src/backup/snapstore/snapshot-name.js';
import type { Client } from '../../src/client/client.js';
import { backupEntryActuator } from '../../src/seed/extensions/backup-actuators.js';
import { reconcileFlow } from '../../src/seed/gardenlet/shoot-flows.js';
import { recordingComponents } from '../helpers/recording-components.js';

const ENTRY = 'shoot--dev--a--uid';
const PREFIX = `${ENTRY}/etcd-main`;

/** etcd's full snapshot bytes: whole pages, then the SHA-256 of them. */
function fullSnapshotBytes(): Buffer {
  const db = randomBytes(1024);
  return Buffer.concat([db, createHash('sha256').update(db).digest()]);
}

function extensionEntry(name: string, bucketName: string, annotations?: Record<string, string>): ExtensionBackupEntry {
  return {
    apiVersion: 'extensions.gardener.cloud/v1alpha1',
    kind: 'BackupEntry',
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { type: 'local', region: 'local', bucketName, secretRef: { name: `entry-${name}`, namespace: 'garden' } },
  };
}

/** The seed API as the actuator reads it: the destination entry and every entry's secret (`root`). */
function fakeSeed(root: string, destination: ExtensionBackupEntry): Client {
  const resource = (ref: { plural: string }) => ({
    find: async (namespace: string, name: string): Promise<KubeObject | null> => {
      if (ref.plural === 'backupentries') return name === destination.metadata.name ? destination : null;
      if (ref.plural === 'secrets') {
        return { metadata: { namespace, name }, data: { root: Buffer.from(root).toString('base64') } } as KubeObject;
      }
      return null;
    },
    deleteIfPresent: async () => {},
  });
  return { resource } as unknown as Client;
}

describe("a live migration's source entry deletes the source backups only after a verified full snapshot", () => {
  let root: string;
  let source: LocalSnapstore;
  let destination: LocalSnapstore;
  const destinationEntry = extensionEntry(ENTRY, 'bucket-b');
  const liveSource = (revision: number) =>
    extensionEntry(`source-${ENTRY}`, 'bucket-a', {
      [LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION]: String(revision),
    });
  const remove = (entry: ExtensionBackupEntry) => backupEntryActuator(fakeSeed(root, destinationEntry)).delete(entry);
  const sourceNames = async () => (await source.list()).map((o) => o.snapshot.name);
  const saveFull = (lastRevision: number, bytes = fullSnapshotBytes()): Promise<unknown> => {
    const snapshot = newSnapshot('Full', 0, lastRevision, { compression: 'gzip' });
    return destination.save(snapshot, gzipSync(bytes));
  };
  let sourceBackups: string[];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'live-source-bucket-'));
    source = new LocalSnapstore({ root, container: 'bucket-a', prefix: PREFIX });
    destination = new LocalSnapstore({ root, container: 'bucket-b', prefix: PREFIX });
    await source.save(newSnapshot('Full', 0, 10, { compression: 'none' }), fullSnapshotBytes());
    await source.save(newSnapshot('Incr', 11, 20, { compression: 'none' }), Buffer.from('[]'));
    sourceBackups = await sourceNames();
  });

  after(() => rm(root, { recursive: true, force: true }));

  it('fails while the destination bucket holds no full snapshot', async () => {
    await assert.rejects(
      remove(liveSource(25)),
      /still needed: .* no verified full snapshot at revision 25 .*there is none/,
    );
    assert.deepEqual(await sourceNames(), sourceBackups);
  });

  it("fails while the destination's full snapshot is below a source backup's revision, or the entry's", async () => {
    await saveFull(15);
    // The entry names 5, but the source holds a delta up to 20: a snapshot at 15 does not supersede it.
    await assert.rejects(remove(liveSource(5)), /at revision 20 or above yet \(the newest is Full-00000000-00000015/);
    await saveFull(22);
    await assert.rejects(remove(liveSource(25)), /at revision 25 or above yet \(the newest is Full-00000000-00000022/);
    assert.deepEqual(await sourceNames(), sourceBackups);
  });

  it('fails on a full snapshot that does not decode as an etcd snapshot', async () => {
    const corrupt = fullSnapshotBytes();
    corrupt[0] = corrupt[0]! ^ 0xff;
    await saveFull(30, corrupt);
    await assert.rejects(
      remove(liveSource(25)),
      /rejected: Full-00000000-00000030.* does not decode: .*SHA-256 mismatch/,
    );
    assert.deepEqual(await sourceNames(), sourceBackups);
  });

  it('keeps the classic check for an entry without the annotation: every backup copied', async () => {
    await assert.rejects(
      remove(extensionEntry(`source-${ENTRY}`, 'bucket-a')),
      /2 backup\(s\) .* are not \(completely\)/,
    );
    assert.deepEqual(await sourceNames(), sourceBackups);
  });

  it('deletes every source backup once a verified full snapshot reaches the revision, and again (idempotent)', async () => {
    const good = newSnapshot('Full', 0, 26, { compression: 'gzip', now: new Date(Date.now() - 1000) });
    await destination.save(good, gzipSync(fullSnapshotBytes()));
    await remove(liveSource(25));
    assert.deepEqual(await source.list(), []);
    await remove(liveSource(25));
    assert.ok(
      (await destination.list()).some((o) => o.snapshot.name === good.name),
      'the destination keeps its own',
    );
  });
});

describe('the Restore of a live-migrated control plane', () => {
  it('places the source entry before the BackupEntry moves, deletes it after etcd, and does not wait for it', async () => {
    const { components, calls } = recordingComponents();
    const flow = reconcileFlow(components, {
      operation: 'Restore',
      allowBackup: true,
      copyRequired: false,
      liveSourceBucket: true,
      skipReadiness: false,
    });
    const result = await flow.run();
    const at = (name: string) => calls.indexOf(name);
    assert.ok(at('sourceBackupEntry.deployAfterLiveMigration') >= 0);
    assert.ok(at('sourceBackupEntry.wait') > at('sourceBackupEntry.deployAfterLiveMigration'));
    assert.ok(at('backupEntry.restore') > at('sourceBackupEntry.wait'));
    assert.ok(at('sourceBackupEntry.destroy') > at('etcdMain.wait'));
    assert.equal(at('sourceBackupEntry.deploy'), -1);
    assert.equal(at('etcdCopyBackupsTask.deploy'), -1, 'nothing is copied');
    const skipped: readonly string[] = result.skipped;
    assert.ok(skipped.includes('Waiting until source backup entry has been deleted'));
  });

  it('leaves the classic Restore as it was: a copy, then the deletion waited for', async () => {
    const { components, calls } = recordingComponents();
    await reconcileFlow(components, {
      operation: 'Restore',
      allowBackup: true,
      copyRequired: true,
      liveSourceBucket: true,
      skipReadiness: false,
    }).run();
    assert.ok(calls.includes('sourceBackupEntry.deploy'));
    assert.ok(calls.includes('etcdCopyBackupsTask.deploy'));
    assert.ok(calls.indexOf('sourceBackupEntry.waitCleanup') > calls.indexOf('sourceBackupEntry.destroy'));
  });
});
