/**
 * Live control plane migration of a highly available shoot (issue 17, docs/live-migration.md L4)
 * on one host: the example shoot created with `failureTolerance: node` (3 etcd members, 2
 * kube-apiserver replicas behind the endpoint proxy) gets `migration.gardener.cloud/live-migrate:
 * "true"`, then the seed document's binding command, verbatim. A continuity probe (a write every
 * 20 ms, a reader, a watch opened before the move) runs throughout, and the cluster's membership
 * is sampled: never more than one learner, never more than 3 members of either seed, 6 voters at
 * the widest. Afterwards: every acknowledged write is stored; the watch never got a 410 and missed
 * no event; the cluster has 3 members, all seed-b's, and no etcd of the shoot runs on seed-a; the
 * admin kubeconfig issued before the move works and the machine is Ready through the endpoint.
 * Then a live migration back to seed-a is aborted once the record exists: seed-b's 3 members and
 * its data (HashKV at a revision) are as they were.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { liveMigrationRecord } from '../../src/api/core-gardener/live-migration.js';
import { shootStateResource } from '../../src/api/core-gardener/shoot-state.js';
import { checked } from '../../src/client/client.js';
import { memberList } from '../../src/process/etcd-cluster-ops.js';
import type { EtcdTls } from '../../src/process/etcd-process.js';
import { type ContinuityReport, describeContinuity, startContinuityProbe } from '../helpers/continuity-probe.js';
import {
  describeMembership,
  haInvariantViolations,
  type Membership,
  sampleMembership,
  seedOf,
} from '../helpers/etcd-membership.js';
import { getJson, kubectl } from '../helpers/kubectl.js';
import type { TestLandscape } from '../helpers/landscape.js';
import {
  abortedLiveMigration,
  assertLiveContinuity,
  assertServesAfterMove,
  CONTROL_PLANE,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  seedEtcdClientTls,
  startShootOnLandscape,
  triggerLiveMigration,
} from '../helpers/migration.js';
import { etcdPidsUnder } from '../helpers/processes.js';

describe('live migration of a highly available shoot from seed-a to seed-b', () => {
  let shoot: ShootOnLandscape;
  let l: TestLandscape;
  let report: ContinuityReport;
  let samples: Membership[] = [];
  let tls: EtcdTls;

  before(async () => {
    shoot = await startShootOnLandscape({ failureTolerance: 'node' });
    l = shoot.landscape;
    const ns = await shoot.client.request('POST', '/api/v1/namespaces', { metadata: { name: 'probe' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
    const etcd = await getJson(l.seedKubeconfig('seed-a'), ['get', 'etcd', '-n', CONTROL_PLANE, 'etcd-main']);
    assert.equal(etcd.spec.replicas, 3, 'the shoot is highly available');
    tls = await seedEtcdClientTls(l, 'seed-a');
    const membership = sampleMembership(etcd.status.endpoint, tls, { processesUnder: l.dir });
    const probe = await startContinuityProbe(shoot.kubeconfig, { namespace: 'probe', prefix: 'live-ha' });
    try {
      await probe.moreWrites(50, 30_000);
      await triggerLiveMigration(l.garden, 'seed-b');
      const restored = await l.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 300_000);
      assert.equal(restored.status.seedName, 'seed-b');
      await probe.moreWrites(50, 30_000);
    } finally {
      report = await probe.stop();
      samples = await membership.stop();
    }
  });

  after(async () => {
    await shoot?.stop();
  });

  it('keeps every acknowledged write, and the watch saw every event without a 410', async (t) => {
    t.diagnostic(describeContinuity(report));
    await assertLiveContinuity(report, shoot.client, 'probe');
  });

  it('grew the cluster one learner at a time to 6 voters and shrank it to seed-b’s 3', (t) => {
    const shapes = [...new Set(samples.map(describeMembership))];
    t.diagnostic(`membership seen: ${shapes.join(' → ')}`);
    assert.ok(
      samples.every((s) => s.learners <= 1 && s.voters['seed-a'] <= 3 && s.voters['seed-b'] <= 3),
      'one learner at a time, at most 3 members of each seed',
    );
    assert.deepEqual(haInvariantViolations(samples), [], 'a quorum of the voters runs at every sample');
    assert.ok(
      samples.some((s) => s.voters['seed-a'] === 3 && s.voters['seed-b'] === 3),
      '6 voters before the source members leave',
    );
    const last = samples.at(-1);
    assert.deepEqual(last, { voters: { 'seed-a': 0, 'seed-b': 3 }, learners: 0, runningVoters: 3 });
  });

  it('runs the control plane only on seed-b: 3 members there, none on seed-a', async () => {
    assert.deepEqual(await etcdPidsUnder(join(l.dir, 'seeds', 'seed-a')), []);
    assert.equal((await etcdPidsUnder(join(l.dir, 'seeds', 'seed-b'))).length, 3);
    const ns = await kubectl(l.seedKubeconfig('seed-a'), ['get', 'namespace', CONTROL_PLANE]);
    assert.match(ns.stderr, /NotFound/);
    const etcd = await getJson(l.seedKubeconfig('seed-b'), ['get', 'etcd', '-n', CONTROL_PLANE, 'etcd-main']);
    assert.equal(etcd.status.ready, true);
    const members = await memberList([etcd.status.endpoint], tls);
    assert.deepEqual(
      members.map((m) => [seedOf(m), m.isLearner]),
      [
        ['seed-b', false],
        ['seed-b', false],
        ['seed-b', false],
      ],
    );
    const state = checked(
      shootStateResource,
      await getJson(l.garden, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT]),
    );
    assert.equal(liveMigrationRecord(state)?.phase, 'Completed');
    assert.equal(liveMigrationRecord(state)?.source.etcd['etcd-main']?.length, 3, 'the source published 3 members');
  });

  it('serves the kubeconfig issued before the move; the machine is Ready through the endpoint', async () => {
    await assertServesAfterMove(shoot);
  });

  it("aborts a live migration back to seed-a before the point of no return: seed-b's 3 members as they were", async () => {
    const aborted = await abortedLiveMigration(l, shoot.client, { from: 'seed-b', to: 'seed-a', namespace: 'probe' });
    assert.equal(aborted.membersBefore.length, 3);
    assert.deepEqual(
      aborted.membersAfter.map((m) => [m.id, m.isLearner]),
      aborted.membersBefore.map((m) => [m.id, m.isLearner]),
      "seed-b's cluster has its 3 members again",
    );
    assert.equal(aborted.hashAfter, aborted.hashBefore, 'the same data at that revision');
    const read = await shoot.client.request('GET', '/api/v1/namespaces/probe/configmaps/before-abort');
    assert.equal(read.status, 200, 'the API serves on seed-b throughout');
  });
});
