/**
 * The checks of the handover primitives before they change anything, against a faked neighbour:
 * members that answer etcd's JSON gateway as the test says (health, status, member list) and
 * record the changes they are asked for. The real-etcd path is in test/seed/druid-live-join.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, beforeEach, describe, it } from 'node:test';
import { EtcdClusterOpError, isCaughtUp, moveLeader, removeMember } from '../../src/process/etcd-cluster-ops.js';

interface FakeMember {
  id: string;
  learner: boolean;
  healthy: boolean;
  applied: number;
}

/** The cluster as the fake members report it, and the changes they were asked for. */
const cluster = { leader: '1', committed: 100, members: [] as FakeMember[], asked: [] as string[] };
const servers: Server[] = [];
const urls = new Map<string, string>();

async function fakeMember(id: string): Promise<void> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const self = cluster.members.find((m) => m.id === id)!;
      const reply = (value: unknown) => res.end(JSON.stringify(value));
      switch (req.url) {
        case '/health':
          return reply({ health: String(self.healthy) });
        case '/v3/maintenance/status':
          return reply({
            header: { member_id: id, revision: '7' },
            leader: cluster.leader,
            raftIndex: String(id === cluster.leader ? cluster.committed : self.applied),
            raftAppliedIndex: String(self.applied),
            isLearner: self.learner,
          });
        case '/v3/cluster/member/list':
          return reply({
            members: cluster.members.map((m) => ({
              ID: m.id,
              name: `member-${m.id}`,
              peerURLs: [`https://127.0.0.1:1${m.id}`],
              clientURLs: [urls.get(m.id)],
              isLearner: m.learner,
            })),
          });
        default:
          cluster.asked.push(`${id} ${req.url} ${body}`);
          return reply({});
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  urls.set(id, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

for (const id of ['1', '2', '3', '4']) await fakeMember(id);
after(() => {
  for (const server of servers) server.close();
});

beforeEach(() => {
  cluster.leader = '1';
  cluster.committed = 100;
  cluster.asked = [];
  cluster.members = ['1', '2', '3'].map((id) => ({ id, learner: false, healthy: true, applied: 100 }));
});

const endpoints = () => [...urls.values()];
const member = (id: string) => cluster.members.find((m) => m.id === id)!;

describe('handover primitives: checks before every change', () => {
  it('isCaughtUp compares the member’s applied index with the leader’s committed one', async () => {
    member('2').applied = 90;
    assert.deepEqual(await isCaughtUp(endpoints(), undefined, '2'), { caughtUp: false, applied: 90, committed: 100 });
    assert.equal((await isCaughtUp(endpoints(), undefined, '3')).caughtUp, true);
  });

  it('moveLeader refuses a member still lagging after its wait, and a learner, and sends nothing', async () => {
    member('2').applied = 99;
    await assert.rejects(moveLeader(endpoints(), undefined, '2'), /applied index 99, the leader committed 100/);
    cluster.members.push({ id: '4', learner: true, healthy: true, applied: 100 });
    await assert.rejects(moveLeader(endpoints(), undefined, '4'), /it is a learner/);
    assert.deepEqual(cluster.asked, []);
  });

  it('moveLeader waits for a voter an entry behind to catch up, then asks the leader', async () => {
    member('2').applied = 99;
    const catchUp = setTimeout(() => {
      member('2').applied = 100;
    }, 300);
    await assert.rejects(moveLeader(endpoints(), undefined, '2'), /reports leader 1/);
    clearTimeout(catchUp);
    assert.deepEqual(cluster.asked, ['1 /v3/maintenance/transfer-leadership {"targetID":"2"}']);
  });

  it('moveLeader asks the leader for a caught-up voter', async () => {
    // The fake does not move the leadership, so the confirmation fails: it is checked, not assumed.
    await assert.rejects(moveLeader(endpoints(), undefined, '3'), /reports leader 1/);
    assert.deepEqual(cluster.asked, ['1 /v3/maintenance/transfer-leadership {"targetID":"3"}']);
  });

  it('removeMember refuses the leader, and a removal that would leave no healthy quorum', async () => {
    await assert.rejects(removeMember(endpoints(), undefined, '1'), /move the leadership first/);
    member('3').healthy = false;
    await assert.rejects(
      removeMember(endpoints(), undefined, '2'),
      (err: Error) =>
        err instanceof EtcdClusterOpError &&
        /1 of the 2 remaining voters are healthy, a quorum needs 2 \(unhealthy: member-3 \(3\)\)/.test(err.message),
    );
    assert.deepEqual(cluster.asked, []);
  });

  it('removeMember asks a healthy remaining voter, never the member removed', async () => {
    member('3').healthy = false;
    cluster.members.push({ id: '4', learner: false, healthy: true, applied: 100 });
    // Voters 1, 2 (healthy) and 3 (not) remain: two of three are a quorum.
    await removeMember(endpoints(), undefined, '4');
    assert.deepEqual(cluster.asked, ['1 /v3/cluster/member/remove {"ID":"4"}']);
  });

  it('removeMember holds the readers only while the removal leaves one voter, and lets them go after the answer', async () => {
    const holdReads = async () => {
      cluster.asked.push('hold');
      return () => cluster.asked.push('release');
    };
    // Voters 1, 2, 3: two remain, no read round can be stranded.
    await removeMember(endpoints(), undefined, '3', { holdReads });
    assert.deepEqual(cluster.asked, ['1 /v3/cluster/member/remove {"ID":"3"}']);
    cluster.asked = [];
    cluster.members = cluster.members.filter((m) => m.id !== '3');
    await removeMember(endpoints(), undefined, '2', { holdReads });
    assert.deepEqual(cluster.asked, ['hold', '1 /v3/cluster/member/remove {"ID":"2"}', 'release']);
  });
});
