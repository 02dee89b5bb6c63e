/**
 * Live control plane migration (issue 17, docs/live-migration.md) of a single-member shoot on one
 * host: the shoot gets `migration.gardener.cloud/live-migrate: "true"`, then the seed document's
 * binding command, verbatim. A continuity probe (a write every 20 ms, a reader, a watch opened
 * before the move) runs throughout. Afterwards: the control plane runs only on seed-b (no etcd,
 * data directory or namespace of the shoot on seed-a); every acknowledged write is stored with
 * its resourceVersion; the watch never got a 410 and missed no event (it resumed from its last
 * resourceVersion: the same cluster's revisions); the machine is Ready through the stable address;
 * the admin kubeconfig issued before the move works; the record says Completed, and backups go
 * to seed-b's bucket without a copy task. The shoot's old backups in seed-a's bucket are deleted
 * (the Restore's `source-<entry>` of a live migration) once seed-b's bucket holds a full snapshot
 * at the revision that entry names or above, read back and verified. Then a live migration back to seed-a is aborted
 * (`migration.gardener.cloud/abort-live-migration`) as soon as the record exists: the garden binds
 * the shoot to seed-b again, seed-a keeps nothing of it, and seed-b's etcd is as it was — one
 * member, the same key-space hash at the revision read before the abort.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { liveMigrationRecord } from '../../src/api/core-gardener/live-migration.js';
import { shootStateResource } from '../../src/api/core-gardener/shoot-state.js';
import { LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION } from '../../src/api/extensions/backup-entry.js';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { parseSnapshotName } from '../../src/backup/snapstore/snapshot-name.js';
import { verifyFullSnapshotObject } from '../../src/backup/superseding-snapshot.js';
import { checked } from '../../src/client/client.js';
import type { Json } from '../helpers/api-client.js';
import { entryObjects, seedBucketDir } from '../helpers/backup-buckets.js';
import {
  type ContinuityReport,
  describeContinuity,
  describePauseTimes,
  startContinuityProbe,
} from '../helpers/continuity-probe.js';
import { kubectl, kubectlStream } from '../helpers/kubectl.js';
import type { TestLandscape } from '../helpers/landscape.js';
import {
  abortedLiveMigration,
  assertLiveContinuity,
  assertServesAfterMove,
  CONTROL_PLANE,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerLiveMigration,
} from '../helpers/migration.js';
import { etcdPidsUnder, eventually } from '../helpers/processes.js';

async function getJson(kubeconfig: string, args: string[]): Promise<Json> {
  const res = await kubectl(kubeconfig, [...args, '-o', 'json']);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

describe('live migration of a single-member shoot from seed-a to seed-b', () => {
  let shoot: ShootOnLandscape;
  let l: TestLandscape;
  let report: ContinuityReport;
  /** The shoot's BackupEntry (`<control plane>--<uid>`): its objects are under `<entry>/` in a bucket. */
  let entryName: string;
  /** What seed-a's bucket held of the shoot before the move. */
  let sourceObjectsBefore: string[];
  /** The garden's BackupEntries as they changed during the move (`kubectl get -w -o json`). */
  let entriesDuringMove: string;

  before(async () => {
    shoot = await startShootOnLandscape();
    l = shoot.landscape;
    entryName = `${CONTROL_PLANE}--${(await l.shoot(SHOOT_NAMESPACE, SHOOT)).metadata.uid}`;
    const ns = await shoot.client.request('POST', '/api/v1/namespaces', { metadata: { name: 'probe' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
    const probe = await startContinuityProbe(shoot.kubeconfig, { namespace: 'probe', prefix: 'live' });
    const entries = kubectlStream(l.garden, ['get', 'backupentries', '-n', SHOOT_NAMESPACE, '-w', '-o', 'json']);
    try {
      await probe.moreWrites(50, 30_000);
      sourceObjectsBefore = await entryObjects(l, 'seed-a', entryName);
      await triggerLiveMigration(l.garden, 'seed-b');
      const restored = await l.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 240_000);
      assert.equal(restored.status.seedName, 'seed-b');
      await probe.moreWrites(50, 30_000);
    } finally {
      entries.stop();
      entriesDuringMove = entries.output();
      report = await probe.stop();
    }
  });

  after(async () => {
    await shoot?.stop();
  });

  it('keeps every acknowledged write, and the watch saw every event without a 410', async (t) => {
    t.diagnostic(describeContinuity(report));
    t.diagnostic(describePauseTimes(report));
    await assertLiveContinuity(report, shoot.client, 'probe');
  });

  it('runs the control plane only on seed-b, with the record Completed and no copy of backups', async () => {
    assert.deepEqual(await etcdPidsUnder(join(l.dir, 'seeds', 'seed-a')), []);
    assert.equal(existsSync(join(l.dir, 'seeds', 'seed-a', 'state', 'controlplanes', CONTROL_PLANE)), false);
    const ns = await kubectl(l.seedKubeconfig('seed-a'), ['get', 'namespace', CONTROL_PLANE]);
    assert.match(ns.stderr, /NotFound/);
    assert.equal((await etcdPidsUnder(join(l.dir, 'seeds', 'seed-b'))).length, 1);
    const etcd = await getJson(l.seedKubeconfig('seed-b'), ['get', 'etcd', '-n', CONTROL_PLANE, 'etcd-main']);
    assert.equal(etcd.status.ready, true);
    const copyTask = await kubectl(l.seedKubeconfig('seed-b'), ['get', 'etcdcopybackupstask', '-n', CONTROL_PLANE]);
    assert.doesNotMatch(copyTask.stdout, /etcd/, 'no copy task');
    const state = checked(
      shootStateResource,
      await getJson(l.garden, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT]),
    );
    assert.equal(liveMigrationRecord(state)?.phase, 'Completed');
    assert.ok(liveMigrationRecord(state)?.verification, 'the data was verified at a revision');
  });

  it("deletes the shoot's backups in seed-a's bucket once seed-b's holds a verified full snapshot taken after the move", async () => {
    const revisions = (objects: string[]) =>
      objects.flatMap((o) => parseSnapshotName(basename(o).replace(/\.tmp.*$/, ''))?.lastRevision ?? []);
    const sourceRevisions = revisions(sourceObjectsBefore);
    assert.ok(
      sourceRevisions.length > 0,
      `seed-a's bucket held backups of the shoot: ${sourceObjectsBefore.join(', ')}`,
    );
    // The Restore's source entry named the anchor: seed-b's etcd revision after seed-a's members left.
    const annotation = new RegExp(
      `"${LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION.replaceAll('.', '\\.')}": "(\\d+)"`,
    );
    const anchor = Number(annotation.exec(entriesDuringMove)?.[1]);
    assert.ok(anchor > 0, `the source entry named a revision: ${entriesDuringMove.slice(-2000)}`);
    assert.ok(anchor >= Math.max(...sourceRevisions), 'the anchor is at or above every backup seed-a held');
    await eventually(
      async () => ((await entryObjects(l, 'seed-a', entryName)).length === 0 ? true : undefined),
      120_000,
      "seed-a's bucket holds nothing of the shoot",
    );
    await eventually(
      async () => {
        const source = await kubectl(l.garden, ['get', 'backupentry', '-n', SHOOT_NAMESPACE, `source-${entryName}`]);
        return /NotFound/.test(source.stderr) ? true : undefined;
      },
      30_000,
      'the source BackupEntry is gone',
    );
    const state = checked(
      shootStateResource,
      await getJson(l.garden, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT]),
    );
    assert.ok(
      anchor > (liveMigrationRecord(state)?.verification?.revision ?? Infinity),
      'anchored after the verification',
    );
    const bucket = await seedBucketDir(l, 'seed-b');
    const store = new LocalSnapstore({
      root: join(bucket, '..'),
      container: basename(bucket),
      prefix: `${entryName}/etcd-main`,
    });
    const full = (await store.list()).filter((o) => o.snapshot.kind === 'Full' && o.snapshot.lastRevision >= anchor);
    assert.ok(full.length > 0, `seed-b's bucket holds a full snapshot at revision ${anchor} or above`);
    assert.equal(await verifyFullSnapshotObject(store, full.at(-1)!.snapshot), undefined);
    const read = await shoot.client.request('GET', '/api/v1/namespaces/probe/configmaps/live-0');
    assert.equal(read.status, 200, "the shoot's first write before the move is intact");
  });

  it('serves the kubeconfig issued before the move; the machine is Ready through the stable address', async () => {
    await assertServesAfterMove(shoot);
  });

  it('aborts a live migration back to seed-a before the point of no return: seed-b as it was', async () => {
    const aborted = await abortedLiveMigration(l, shoot.client, { from: 'seed-b', to: 'seed-a', namespace: 'probe' });
    const ns = await kubectl(l.seedKubeconfig('seed-a'), ['get', 'namespace', CONTROL_PLANE]);
    assert.match(ns.stderr, /NotFound/);
    assert.equal(aborted.membersBefore.length, 1);
    assert.deepEqual(
      aborted.membersAfter.map((m) => [m.id, m.isLearner]),
      aborted.membersBefore.map((m) => [m.id, m.isLearner]),
      "seed-b's cluster has its one member again",
    );
    assert.equal(aborted.hashAfter, aborted.hashBefore, 'the same data at that revision');
    const read = await shoot.client.request('GET', '/api/v1/namespaces/probe/configmaps/before-abort');
    assert.equal(read.status, 200, 'the API serves on seed-b throughout');
  });
});
