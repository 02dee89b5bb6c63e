/**
 * Live control plane migration (issue 17, docs/live-migration.md) of a single-member shoot on one
 * host: the shoot gets `migration.gardener.cloud/live-migrate: "true"`, then the seed document's
 * binding command, verbatim. A continuity probe (a write every 20 ms, a reader, a watch opened
 * before the move) runs throughout. Afterwards: the control plane runs only on seed-b (no etcd,
 * data directory or namespace of the shoot on seed-a); every acknowledged write is stored with
 * its resourceVersion; the watch never got a 410 and missed no event (it resumed from its last
 * resourceVersion: the same cluster's revisions); the machine is Ready through the stable address;
 * the admin kubeconfig issued before the move works; the record says Completed, and backups go
 * to seed-b's bucket without a copy task. Then a live migration back to seed-a is aborted
 * (`migration.gardener.cloud/abort-live-migration`) as soon as the record exists: the garden binds
 * the shoot to seed-b again, seed-a keeps nothing of it, and seed-b's etcd is as it was — one
 * member, the same key-space hash at the revision read before the abort.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { liveMigrationRecord } from '../../src/api/core-gardener/live-migration.js';
import { shootStateResource } from '../../src/api/core-gardener/shoot-state.js';
import { checked } from '../../src/client/client.js';
import type { Json } from '../helpers/api-client.js';
import {
  type ContinuityReport,
  describeContinuity,
  describePauseTimes,
  startContinuityProbe,
} from '../helpers/continuity-probe.js';
import { kubectl } from '../helpers/kubectl.js';
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
import { etcdPidsUnder } from '../helpers/processes.js';

async function getJson(kubeconfig: string, args: string[]): Promise<Json> {
  const res = await kubectl(kubeconfig, [...args, '-o', 'json']);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

describe('live migration of a single-member shoot from seed-a to seed-b', () => {
  let shoot: ShootOnLandscape;
  let l: TestLandscape;
  let report: ContinuityReport;

  before(async () => {
    shoot = await startShootOnLandscape();
    l = shoot.landscape;
    const ns = await shoot.client.request('POST', '/api/v1/namespaces', { metadata: { name: 'probe' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
    const probe = await startContinuityProbe(shoot.kubeconfig, { namespace: 'probe', prefix: 'live' });
    try {
      await probe.moreWrites(50, 30_000);
      await triggerLiveMigration(l.garden, 'seed-b');
      const restored = await l.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 240_000);
      assert.equal(restored.status.seedName, 'seed-b');
      await probe.moreWrites(50, 30_000);
    } finally {
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
