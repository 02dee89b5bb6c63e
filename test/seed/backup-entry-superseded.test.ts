/**
 * A BackupEntry handed over by a migration changes under a running reconcile of the destination's
 * BackupEntry controller: the Restore points it at the destination's bucket moments after the
 * source placed it there, and the garden then refuses the read of the old bucket (403). That
 * refusal means "superseded", not a failure; a refusal for the entry as it still stands is one.
 * The garden is faked (a unit test of the reconciler's decision).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LATEST_SNAPSHOT_ANNOTATION } from '../../src/api/core-gardener/backup-entry.js';
import { RESTORE_PROGRESS_ANNOTATION } from '../../src/api/core-gardener/restore-progress.js';
import { forbidden, notFound } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { Client } from '../../src/client/client.js';
import { BackupEntryReconciler, backupEntryRelevantState } from '../../src/seed/gardenlet/backup-entry-controller.js';

const NAMESPACE = 'garden-dev';
const NAME = 'shoot--dev--a--uid';
const SOURCE_BUCKET = 'bucket-of-seed-a';

function entry(bucketName: string, seedName: string): KubeObject {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'BackupEntry',
    metadata: { namespace: NAMESPACE, name: NAME, finalizers: ['gardener'] },
    spec: { bucketName, seedName },
    status: { seedName },
  } as KubeObject;
}

/** A garden whose entry is `stored` (read after read) and which refuses every BackupBucket read. */
function gardenRefusingBuckets(stored: KubeObject[]): Client {
  let reads = 0;
  const resource = (ref: { plural: string; group?: string }) => ({
    get: async (_namespace: string, name: string) => {
      if (ref.plural !== 'backupentries') throw notFound({ group: ref.group ?? '', resource: ref.plural }, name);
      return stored[Math.min(reads++, stored.length - 1)];
    },
    find: async (_namespace: string, name: string) => {
      if (ref.plural === 'backupbuckets') {
        throw forbidden({ group: 'core.gardener.cloud', resource: 'backupbuckets' }, name, 'no relationship found');
      }
      return null;
    },
    patch: async () => stored[0],
  });
  return { resource } as unknown as Client;
}

const reconcilerFor = (garden: Client) => new BackupEntryReconciler({ seedName: 'seed-b', garden, seed: {} as Client });

describe('the destination BackupEntry controller when the garden refuses the bucket', () => {
  it('drops the reconcile of a version the Restore has already replaced (another bucket now)', async () => {
    const garden = gardenRefusingBuckets([entry(SOURCE_BUCKET, 'seed-b'), entry('bucket-of-seed-b', 'seed-b')]);
    assert.deepEqual(await reconcilerFor(garden).reconcile({ namespace: NAMESPACE, name: NAME }), {});
  });

  it('fails when the entry as stored still names the refused bucket and this seed', async () => {
    const garden = gardenRefusingBuckets([entry(SOURCE_BUCKET, 'seed-b')]);
    await assert.rejects(reconcilerFor(garden).reconcile({ namespace: NAMESPACE, name: NAME }), /is forbidden/);
  });
});

describe('backupEntryRelevantState', () => {
  const entry = (annotations: Record<string, string>, resourceVersion: string, bucketName = 'bucket-a') => ({
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'BackupEntry',
    metadata: { name: 'e', namespace: 'garden-dev', resourceVersion, annotations },
    spec: { bucketName, seedName: 'seed-a' },
  });

  it("ignores the reporters' annotations and the resourceVersion, nothing else", () => {
    const base = backupEntryRelevantState(entry({ other: 'x' }, '1'));
    const reported = entry(
      {
        other: 'x',
        [LATEST_SNAPSHOT_ANNOTATION]: '2026-12-07T08:00:00Z',
        [RESTORE_PROGRESS_ANNOTATION]: '{"phase":"Copy","updated":"2026-12-07T08:00:00Z"}',
      },
      '2',
    );
    assert.equal(backupEntryRelevantState(reported), base);
    assert.notEqual(backupEntryRelevantState(entry({ other: 'y' }, '3')), base, 'another annotation counts');
    assert.notEqual(backupEntryRelevantState(entry({ other: 'x' }, '4', 'bucket-b')), base, 'the spec counts');
  });
});
