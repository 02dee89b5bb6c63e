/**
 * The etcd side of a live migration (docs/live-migration.md, L1) with real etcd processes: two
 * druids (two reconcilers with their own runtime dirs and namespaces) stand for two seeds on one
 * host. The destination's Etcd with `bootstrapWithExistingCluster` joins the source's cluster
 * member by member while a writer writes every 20 ms; then the handover primitives: key spaces
 * compared, leadership moved, the source handed over and its members removed. Every acknowledged
 * write is then read from the destination at its own revision.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { conditionOf } from '../../src/api/core-gardener/conditions.js';
import { ETCD_HANDED_OVER_ANNOTATION, type Etcd, etcdResource } from '../../src/api/druid/index.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import { checked } from '../../src/client/client.js';
import {
  checkKeySpace,
  compareKeySpace,
  EtcdClusterOpError,
  hashAtCurrentRevision,
  isCaughtUp,
  leaderStatus,
  memberList,
  moveLeader,
  RevisionCompactedError,
  removeMember,
} from '../../src/process/etcd-cluster-ops.js';
import { etcdGateway } from '../../src/process/etcd-gateway.js';
import type { EtcdTls } from '../../src/process/etcd-process.js';
import { isProcessAlive } from '../../src/process/processes.js';
import { coreDefinitions } from '../../src/registry/core/index.js';
import { druidDefinitions } from '../../src/registry/druid/index.js';
import {
  EtcdReconciler,
  type EtcdState,
  etcdMemberNames,
  etcdMemberPaths,
  etcdPaths,
  findEtcdProcesses,
  readEtcdState,
  stopEtcdAt,
} from '../../src/seed/druid/index.js';
import { issueEtcdServerCertificate } from '../../src/shoot/shoot-certificates.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { killOnExit } from '../helpers/etcd.js';
import { testContext as ctx, storeClient } from '../helpers/store-client.js';

const logger = pino({ level: 'silent' });
const storage = openSqliteStore({ path: ':memory:' });
const etcds = new GenericStore(druidDefinitions.find((d) => d.kind === 'Etcd')!, storage, new AdmissionChain([]));
const secrets = new GenericStore(coreDefinitions.find((d) => d.kind === 'Secret')!, storage, new AdmissionChain([]));
const client = storeClient([etcds, secrets], ctx);

/** One seed: its druid, its runtime dir and the shoot's namespace there. */
interface Seed {
  name: string;
  ns: string;
  runtimeDir: string;
  druid: EtcdReconciler;
}
const seeds: Seed[] = [];
async function newSeed(name: string, shoot: string, peerAddress?: string): Promise<Seed> {
  const runtimeDir = await mkdtemp(join(tmpdir(), `transplant-live-join-${name}-`));
  const druid = new EtcdReconciler({
    client,
    runtimeDir,
    logger,
    stopGraceMs: 2_000,
    retryIntervalMs: 100,
    etcdArgs: ['--election-timeout=300', '--heartbeat-interval=30'],
    ...(peerAddress ? { peerAddress } : {}),
  });
  const seed = { name, ns: `shoot--${shoot}--${name}-${process.pid}`, runtimeDir, druid };
  seeds.push(seed);
  return seed;
}

/** Writers still running when a test failed: stopped first, so the process can exit. */
const writers: { stop(): Promise<unknown> }[] = [];

after(async () => {
  await Promise.all(writers.map((w) => w.stop()));
  for (const seed of seeds) {
    await stopEtcdAt(etcdPaths(seed.runtimeDir, seed.ns, 'etcd-main'), 1_000);
    await rm(seed.runtimeDir, { recursive: true, force: true });
  }
  await storage.close();
});

const ca = await generateCertificateAuthority('ca-etcd');
// The shoot's ca-etcd is the same on both seeds (the ShootState carries it): so are the pairs here.
const DESTINATION_ADDRESS = '127.0.0.2';
const server = await issueEtcdServerCertificate(ca, ['127.0.0.1', DESTINATION_ADDRESS]);
const peer = await issueCertificate(ca, {
  commonName: 'etcd-peer',
  ipAddresses: ['127.0.0.1', DESTINATION_ADDRESS],
  usage: 'both',
});
const clientPair = await issueCertificate(ca, { commonName: 'etcd-client', usage: 'client' });
const tls: EtcdTls = {
  caPem: ca.certPem,
  certPem: server.certPem,
  keyPem: server.keyPem,
  clientCertAuth: true,
  client: clientPair,
};

async function createSecrets(ns: string): Promise<void> {
  const secret = (name: string, data: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    stringData: data,
  });
  await secrets.create(ns, secret('ca-etcd', { 'ca.crt': ca.certPem }), ctx);
  await secrets.create(ns, secret('etcd-server', { 'tls.crt': server.certPem, 'tls.key': server.keyPem }), ctx);
  await secrets.create(ns, secret('etcd-peer', { 'tls.crt': peer.certPem, 'tls.key': peer.keyPem }), ctx);
  await secrets.create(ns, secret('etcd-client', { 'tls.crt': clientPair.certPem, 'tls.key': clientPair.keyPem }), ctx);
}

const peerUrlTls = {
  tlsCASecretRef: { name: 'ca-etcd', dataKey: 'ca.crt' },
  serverTLSSecretRef: { name: 'etcd-peer' },
};

function etcdObject(seed: Seed, replicas: number, bootstrap?: unknown, peerTls = true): KubeObject {
  return {
    apiVersion: 'druid.gardener.cloud/v1alpha1',
    kind: 'Etcd',
    metadata: { name: 'etcd-main' },
    spec: {
      replicas,
      memberNamePrefix: seed.name,
      labels: { role: 'main' },
      selector: { matchLabels: { role: 'main' } },
      etcd: {
        clientUrlTls: {
          tlsCASecretRef: { name: 'ca-etcd', dataKey: 'ca.crt' },
          serverTLSSecretRef: { name: 'etcd-server' },
          clientTLSSecretRef: { name: 'etcd-client' },
        },
        ...(peerTls ? { peerUrlTls } : {}),
        ...(bootstrap ? { bootstrapWithExistingCluster: bootstrap } : {}),
      },
      backup: {},
    },
  };
}

/** Reconciles `seed`'s etcd-main until `check` holds (a controller would, on its requeues). */
async function reconcileUntil(seed: Seed, what: string, check: (etcd: Etcd) => boolean | Promise<boolean>) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    await seed.druid.reconcile({ namespace: seed.ns, name: 'etcd-main' }).catch(() => undefined);
    const found = await etcds.find(seed.ns, 'etcd-main');
    const etcd = found && checked(etcdResource, found);
    if (etcd && (await check(etcd))) return etcd;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(etcd?.status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The member states of `seed`'s etcd-main (one for a single member, under members/ for more). */
async function memberStates(seed: Seed, replicas: number): Promise<EtcdState[]> {
  const paths = etcdPaths(seed.runtimeDir, seed.ns, 'etcd-main');
  const all =
    replicas === 1
      ? [await readEtcdState(paths)]
      : await Promise.all(
          etcdMemberNames(
            { metadata: { name: 'etcd-main' }, spec: { memberNamePrefix: seed.name } } as Etcd,
            replicas,
          ).map((n) => readEtcdState(etcdMemberPaths(paths, n))),
        );
  for (const s of all) if (s?.pid) killOnExit(s.pid);
  return all.map((s) => s!);
}

/** A write every 20 ms through the first endpoint that takes it; each acknowledged one with its revision. */
function startWriter(endpoints: () => string[]) {
  const acknowledged: { key: string; value: string; revision: number }[] = [];
  let stopped = false;
  let n = 0;
  const done = (async () => {
    while (!stopped) {
      const key = `/registry/configmaps/default/live-${n}`;
      const value = `value-${n++}`;
      for (const endpoint of endpoints()) {
        const put = await etcdGateway(endpoint, '/v3/kv/put', tls, { key: b64(key), value: b64(value) });
        if (put.ok) {
          const header = (put.body as { header: { revision: string } }).header;
          acknowledged.push({ key, value, revision: Number(header.revision) });
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const writer = {
    acknowledged,
    stop: async () => {
      stopped = true;
      await done;
      return acknowledged;
    },
  };
  writers.push(writer);
  return writer;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Every acknowledged write is read back from `endpoint` at its own revision. */
async function assertEveryWriteAt(
  endpoint: string,
  writes: readonly { key: string; value: string; revision: number }[],
) {
  assert.ok(writes.length > 10, `only ${writes.length} writes were acknowledged`);
  for (const w of writes) {
    const got = await etcdGateway(endpoint, '/v3/kv/range', tls, { key: b64(w.key), revision: String(w.revision) });
    assert.ok(got.ok, `reading ${w.key} at ${w.revision}: ${got.ok ? '' : got.message}`);
    const kvs = (got.body as { kvs?: { value: string; mod_revision: string }[] }).kvs ?? [];
    assert.equal(kvs.length, 1, `${w.key} missing at revision ${w.revision}`);
    assert.equal(Buffer.from(kvs[0]!.value, 'base64').toString(), w.value);
    assert.equal(Number(kvs[0]!.mod_revision), w.revision);
  }
}

async function waitForExit(pid: number, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) assert.fail(`${what} (pid ${pid}) still runs`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The whole etcd side of a live migration of a shoot whose Etcds have `replicas` members. */
function liveMigration(replicas: number) {
  const shoot = `live${replicas}`;
  let source: Seed;
  let destination: Seed;
  let writer: ReturnType<typeof startWriter>;
  let sourceStates: EtcdState[];
  let destinationStates: EtcdState[];
  const endpointsOf = (states: EtcdState[]) => states.map((s) => s.clientUrl);
  const ready = (etcd: Etcd) =>
    etcd.status?.readyReplicas === replicas && conditionOf(etcd, 'AllMembersReady')?.status === 'True';

  it('the source runs with peer TLS, members named after its seed, and takes writes', async () => {
    source = await newSeed('seed-a', shoot);
    // The destination's members listen on another address of this host, as a seed host's would.
    destination = await newSeed('seed-b', shoot, DESTINATION_ADDRESS);
    await createSecrets(source.ns);
    await createSecrets(destination.ns);
    // A single member created before live migration was asked for has a plain loopback peer
    // listener: it switches to peer TLS in place, its data kept.
    const inPlace = replicas === 1;
    await etcds.create(source.ns, etcdObject(source, replicas, undefined, !inPlace), ctx);
    let etcd = await reconcileUntil(source, 'the source to be ready', ready);
    if (inPlace) {
      const [plain] = await memberStates(source, 1);
      const [before] = await memberList([plain!.clientUrl], tls);
      assert.match(before!.peerUrls[0]!, /^http:\/\//);
      const put = await etcdGateway(plain!.clientUrl, '/v3/kv/put', tls, {
        key: b64('/before-tls'),
        value: b64('kept'),
      });
      assert.ok(put.ok);
      await etcds.patch(source.ns, 'etcd-main', '', 'merge', { spec: { etcd: { peerUrlTls } } }, ctx);
      etcd = await reconcileUntil(source, 'the member to advertise an https peer URL', async (e) => {
        const [state] = await memberStates(source, 1);
        const [now] = (await memberList([state!.clientUrl], tls).catch(() => [])) ?? [];
        return ready(e) && now?.peerUrls[0] === `https://127.0.0.1:${state!.peerPort}`;
      });
      const [switched] = await memberStates(source, 1);
      assert.notEqual(switched!.pid, plain!.pid);
      assert.equal(switched!.peerPort, plain!.peerPort);
      assert.equal(switched!.clientUrl, plain!.clientUrl);
      const args = readFileSync(`/proc/${switched!.pid}/cmdline`, 'utf8').split('\0');
      assert.ok(args.includes(`--listen-peer-urls=https://127.0.0.1:${switched!.peerPort}`), args.join(' '));
      assert.equal(before!.id, (await memberList([switched!.clientUrl], tls))[0]!.id, 'the same member, not a new one');
      const got = await etcdGateway(switched!.clientUrl, '/v3/kv/range', tls, { key: b64('/before-tls') });
      assert.equal((got.ok && (got.body as { count?: string }).count) || '0', '1');
    }
    assert.ok(etcd.status?.members?.every((m) => m.name.startsWith('seed-a-etcd-main-')));
    sourceStates = await memberStates(source, replicas);
    const members = await memberList(endpointsOf(sourceStates), tls);
    assert.equal(members.length, replicas);
    for (const m of members) assert.match(m.peerUrls[0]!, /^https:\/\/127\.0\.0\.1:\d+$/);
    writer = startWriter(() => [...endpointsOf(sourceStates), ...endpointsOf(destinationStates ?? [])]);
  });

  it('the destination joins member by member as learners, each promoted once caught up', async () => {
    const members = await memberList(endpointsOf(sourceStates), tls);
    await etcds.create(
      destination.ns,
      etcdObject(destination, replicas, {
        members: members.map((m) => ({ name: m.name, peerUrls: m.peerUrls })),
        clientEndpoints: endpointsOf(sourceStates),
      }),
      ctx,
    );
    if (replicas === 1) {
      // A druid that dies between adding the learner and starting it (here: its etcd cannot be
      // started): its successor finds the learner at the same peer URL and adds no second one.
      const crashing = new EtcdReconciler({
        client,
        runtimeDir: destination.runtimeDir,
        logger,
        binary: '/bin/false',
        peerAddress: DESTINATION_ADDRESS,
      });
      await assert.rejects(crashing.reconcile({ namespace: destination.ns, name: 'etcd-main' }));
      const learners = (await memberList(endpointsOf(sourceStates), tls)).filter((m) => m.isLearner);
      assert.equal(learners.length, 1);
      const [planned] = await memberStates(destination, 1);
      assert.deepEqual(learners[0]!.peerUrls, [`https://${DESTINATION_ADDRESS}:${planned!.peerPort}`]);
    }
    let mostVoters = replicas;
    const etcd = await reconcileUntil(destination, 'the join to succeed', async (e) => {
      // Never more than one learner at a time (etcd 3.4 allows one), and the source keeps its quorum.
      const now = await memberList(endpointsOf(sourceStates), tls);
      assert.ok(now.filter((m) => m.isLearner).length <= 1);
      mostVoters = Math.max(mostVoters, now.filter((m) => !m.isLearner).length);
      return conditionOf(e, 'BootstrappedWithExistingCluster')?.status === 'True';
    });
    assert.equal(conditionOf(etcd, 'BootstrappedWithExistingCluster')?.reason, 'BootstrapSucceeded');
    assert.deepEqual(
      etcd.status?.bootstrapWithExistingCluster?.members.map((m) => m.name),
      members.map((m) => m.name),
    );
    // The source still leads the joint cluster: no destination member reports itself as leader.
    assert.ok(
      etcd.status?.members?.every((m) => m.role !== 'Leader'),
      JSON.stringify(etcd.status?.members),
    );
    destinationStates = await memberStates(destination, replicas);
    const joint = await memberList(endpointsOf(destinationStates), tls);
    assert.equal(joint.length, 2 * replicas);
    assert.ok(joint.every((m) => !m.isLearner));
    assert.equal(mostVoters, 2 * replicas);
    // Promoted, each runs at the seed's priority again (a learner ran at LEARNER_NICENESS).
    for (const state of destinationStates) assert.equal(getPriority(state.pid!), getPriority(0));
    for (const m of joint.filter((m) => m.name.startsWith('seed-b-'))) {
      // With the writer going on, a voter may be an entry behind at any one moment: it keeps up.
      const deadline = Date.now() + 10_000;
      let caughtUp = await isCaughtUp(endpointsOf(destinationStates), tls, m.id);
      while (!caughtUp.caughtUp && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        caughtUp = await isCaughtUp(endpointsOf(destinationStates), tls, m.id);
      }
      assert.equal(caughtUp.caughtUp, true, `${m.name}: applied ${caughtUp.applied}, committed ${caughtUp.committed}`);
      // Peers and the other seed reach it at the destination's address (the druid's peerAddress).
      assert.match(m.peerUrls[0]!, /^https:\/\/127\.0\.0\.2:\d+$/);
      assert.ok(
        m.clientUrls.some((u) => u.startsWith(`https://${DESTINATION_ADDRESS}:`)),
        m.clientUrls.join(),
      );
    }
  });

  it('the key spaces of a source and a destination member are equal at one revision', async () => {
    const compared = await compareKeySpace(sourceStates[0]!.clientUrl, destinationStates[0]!.clientUrl, tls);
    assert.ok(compared.revision > 1);
  });

  it('a hash of one member taken first is checked against another member later, at its revision', async () => {
    const destination = destinationStates[0]!.clientUrl;
    const source = sourceStates[0]!.clientUrl;
    const taken = await hashAtCurrentRevision(destination, tls);
    // Writes after the hash do not matter: the check is at the recorded revision.
    assert.equal(
      (await etcdGateway(source, '/v3/kv/put', tls, { key: b64('/after-the-hash'), value: b64('x') })).ok,
      true,
    );
    await checkKeySpace(source, tls, { ...taken, endpoint: destination });
    await assert.rejects(
      checkKeySpace(source, tls, { ...taken, hash: taken.hash + 1, endpoint: destination }),
      (err: Error) => !(err instanceof RevisionCompactedError) && /key spaces differ at revision/.test(err.message),
    );
  });

  it('the leadership moves to a destination member (refused to a non-member)', async () => {
    const endpoints = endpointsOf(destinationStates);
    await assert.rejects(moveLeader(endpoints, tls, '12345'), EtcdClusterOpError);
    const target = (await memberList(endpoints, tls)).find((m) => m.name === `seed-b-etcd-main-0`)!;
    await moveLeader(endpoints, tls, target.id);
    const { leader } = await leaderStatus(await memberList(endpoints, tls), tls);
    assert.equal(leader.id, target.id);
    // The leader itself is never removed: the leadership has to move first.
    await assert.rejects(removeMember(endpoints, tls, target.id), /move the leadership first/);
  });

  it('the handed-over source is only observed: nothing restarted, a killed member stays down', async () => {
    await etcds.patch(
      source.ns,
      'etcd-main',
      '',
      'merge',
      { metadata: { annotations: { [ETCD_HANDED_OVER_ANNOTATION]: 'true' } } },
      ctx,
    );
    const etcd = await reconcileUntil(
      source,
      'the handed-over report',
      (e) => conditionOf(e, 'Ready')?.reason === 'HandedOver',
    );
    assert.match(conditionOf(etcd, 'Ready')?.message ?? '', new RegExp(`${replicas} of ${replicas} members still run`));
    const pids = (await memberStates(source, replicas)).map((s) => s.pid);
    assert.deepEqual(
      pids,
      sourceStates.map((s) => s.pid),
    );
    if (replicas === 1) return; // Its only member is one of two voters: killing it would take the quorum.
    // Six voters: one source member down leaves five, a quorum; the druid must not bring it back.
    const victim = sourceStates[0]!;
    process.kill(victim.pid!, 'SIGKILL');
    await waitForExit(victim.pid!, 'the killed source member');
    const after = await reconcileUntil(source, 'the killed member reported', (e) =>
      (conditionOf(e, 'Ready')?.message ?? '').includes(`${replicas - 1} of ${replicas} members still run`),
    );
    await source.druid.reconcile({ namespace: source.ns, name: 'etcd-main' });
    assert.equal(conditionOf(after, 'Ready')?.reason, 'HandedOver');
    assert.deepEqual(await findEtcdProcesses(victim.dataDir), []);
  });

  it('the source members are removed one at a time; each process exits; every write is on the destination', async () => {
    const endpoints = endpointsOf(destinationStates);
    for (const state of sourceStates) {
      const member = (await memberList(endpoints, tls)).find((m) =>
        m.peerUrls.some((u) => u.endsWith(`:${state.peerPort}`)),
      )!;
      await removeMember(endpoints, tls, member.id);
      // Idempotent: a second call finds it gone.
      await removeMember(endpoints, tls, member.id);
      await waitForExit(state.pid!, `removed member ${member.name}`);
    }
    const left = await memberList(endpoints, tls);
    assert.deepEqual(
      left.map((m) => m.name).sort(),
      etcdMemberNames({ metadata: { name: 'etcd-main' }, spec: { memberNamePrefix: 'seed-b' } } as Etcd, replicas),
    );
    const writes = await writer.stop();
    await assertEveryWriteAt(destinationStates[0]!.clientUrl, writes);
    // The destination stays ready through all of it, and one of its members leads.
    await reconcileUntil(
      destination,
      'the destination to be ready with its leader',
      (e) => ready(e) && (e.status?.members ?? []).filter((m) => m.role === 'Leader').length === 1,
    );
  });

  it('deleting the handed-over source removes its data and starts nothing', async () => {
    await etcds.delete(source.ns, 'etcd-main', ctx, {});
    await source.druid.reconcile({ namespace: source.ns, name: 'etcd-main' });
    assert.equal(await etcds.find(source.ns, 'etcd-main'), undefined);
    await reconcileUntil(destination, 'the destination to be ready', ready);
  });
}

describe('live migration, etcd side: a single-member shoot (1 + 1 members)', () => liveMigration(1));
describe('live migration, etcd side: a highly available shoot (3 + 3 members)', () => liveMigration(3));
