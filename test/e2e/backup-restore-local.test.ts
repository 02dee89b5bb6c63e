/**
 * Continuous backups to a local bucket and restore after data loss, on a real landscape (see
 * test/helpers/backup-restore-scenario.ts); and a corrupted delta snapshot is detected and
 * reported, the restore does not proceed, and it finishes once the object is intact again.
 * `make test` writes 1,000 keys here and runs only the corrupted delta's case, which ends in the
 * restore of every key; the S3 twin (backup-restore-s3) restores the backup issue's 10,000.
 * `make test-matrix` writes 10,000 here too and runs the plain restore as well.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import {
  assertAllBack,
  backupScenario,
  CONTROL_PLANE,
  itRestoresAfterDataLoss,
  SCENARIO_KEYS,
  SHOOT,
  SHOOT_NAMESPACE,
  waitUntilBackedUp,
} from '../helpers/backup-restore-scenario.js';
import { eventually } from '../helpers/processes.js';
import { fullTestMatrix, testMatrixOnly } from '../helpers/test-matrix.js';

const KEYS = fullTestMatrix() ? SCENARIO_KEYS : 1_000;

describe('backups to a local bucket', () => {
  const scenario = backupScenario(async () => ({ seeds: ['seed-a'], backup: 'local' }), KEYS);

  // Its S3 twin runs this restore, and the byte-flip case below ends in the same one.
  itRestoresAfterDataLoss(scenario, KEYS, {
    skip: testMatrixOnly('backup-restore-s3 and, after the corrupted delta is repaired, the case below'),
  });

  it('a byte flipped in a delta snapshot stops the restore with a clear error in the Etcd and the shoot', async () => {
    const s = scenario();
    const more = await s.client.createConfigMaps('bulk', 'late', 20, 4);
    for (const [name, version] of more) s.versions.set(name, version);
    const revision = Number((await s.client.listConfigMaps('bulk')).resourceVersion);
    await waitUntilBackedUp(s.store, revision);
    const newest = (await s.store.list()).at(-1)!.snapshot;
    assert.equal(newest.kind, 'Incr', `the newest snapshot is a delta: ${newest.name}`);
    assert.ok(s.store instanceof LocalSnapstore);
    const file = join(s.store.directory, newest.name);
    const original = await readFile(file);
    const flipped = Buffer.from(original);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    await writeFile(file, flipped);

    await s.killEtcdAndDestroyData();
    const failed = await eventually(
      async () => {
        const etcd = await s.etcd();
        const ready = (etcd.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready');
        return ready?.reason === 'RestoreFailed' ? { etcd, ready } : undefined;
      },
      90_000,
      'etcd-main reports the failed restore',
    );
    assert.equal(failed.etcd.status.ready, false);
    assert.match(
      failed.ready.message,
      new RegExp(`${newest.name.replaceAll('.', '\\.')}: (SHA-256 mismatch|not valid gzip data)`),
    );
    assert.match(failed.etcd.status.lastErrors[0].description, new RegExp(newest.name));
    const shoot = await eventually(
      async () => {
        const sh = await s.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
        const errors: { description: string }[] = sh.status?.lastErrors ?? [];
        return errors.some((e) => e.description.includes(newest.name)) ? sh : undefined;
      },
      120_000,
      "the shoot's lastErrors name the corrupted snapshot",
    );
    assert.ok(shoot.status.lastErrors.length > 0);
    const dataDir = join(s.landscape.etcdDir('seed-a', CONTROL_PLANE, 'etcd-main'), 'data');
    await assert.rejects(readFile(join(dataDir, 'member', 'snap', 'db')), 'no partial data dir was made');

    await writeFile(file, original);
    await assertAllBack(s, revision);
  });
});
