/**
 * What the seed tells the garden of its shoots' newest snapshots (backup-age-reporter.ts): one
 * annotation per hosted shoot's own BackupEntry, written when it has none or the newest snapshot
 * is a step newer, never for a Restore's source entry or a shoot whose sidecar saved nothing here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BackupEntry, LATEST_SNAPSHOT_ANNOTATION } from '../../src/api/core-gardener/backup-entry.js';
import { SNAPSHOT_REPORT_STEP_MS, snapshotAnnotations } from '../../src/seed/gardenlet/backup-age-reporter.js';

function entry(name: string, uid: string, annotations?: Record<string, string>): BackupEntry {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'BackupEntry',
    metadata: {
      name,
      namespace: 'garden-dev',
      ownerReferences: [{ apiVersion: 'core.gardener.cloud/v1beta1', kind: 'Shoot', name: 'x', uid, controller: true }],
      ...(annotations ? { annotations } : {}),
    },
    spec: { bucketName: 'b', seedName: 'seed-a' },
  };
}

describe('snapshotAnnotations', () => {
  const at = new Date('2026-01-01T00:00:10.000Z');
  const latest = (namespace: string) => (namespace === 'shoot--dev--a' ? at : undefined);

  it('writes the newest snapshot of the entry’s control plane when none is shown or it is a step newer', () => {
    const write = [{ namespace: 'garden-dev', name: 'shoot--dev--a--u1', at: at.toISOString() }];
    const showing = (ms: number) =>
      entry('shoot--dev--a--u1', 'u1', { [LATEST_SNAPSHOT_ANNOTATION]: new Date(at.getTime() - ms).toISOString() });
    assert.deepEqual(snapshotAnnotations([entry('shoot--dev--a--u1', 'u1')], latest), write);
    assert.deepEqual(snapshotAnnotations([showing(0)], latest), []);
    assert.deepEqual(
      snapshotAnnotations([showing(SNAPSHOT_REPORT_STEP_MS - 1)], latest),
      [],
      'a delta later: no write',
    );
    assert.deepEqual(snapshotAnnotations([showing(SNAPSHOT_REPORT_STEP_MS)], latest), write);
    assert.deepEqual(snapshotAnnotations([showing(-5000)], latest), [], 'a newer time shown is kept');
  });

  it('leaves source entries, unknown snapshots and foreign names alone', () => {
    const entries = [
      entry('source-shoot--dev--a--u1', 'u1'),
      entry('shoot--dev--b--u2', 'u2'),
      entry('shoot--dev--a--u1', 'other-uid'),
    ];
    assert.deepEqual(snapshotAnnotations(entries, latest), []);
  });
});
