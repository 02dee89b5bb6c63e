import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { conditionOf } from '../../src/api/core-gardener/conditions.js';
import { type Etcd, etcdResource } from '../../src/api/druid/index.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import { checked } from '../../src/client/client.js';
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
const runtimeDir = await mkdtemp(join(tmpdir(), 'transplant-druid-cluster-'));
/** A seed's druid over the shared stores and runtime dir; a second one stands for a restarted seed. */
const newReconciler = () =>
  new EtcdReconciler({
    client: storeClient([etcds, secrets], ctx),
    runtimeDir,
    logger,
    stopGraceMs: 2_000,
    etcdArgs: ['--election-timeout=300', '--heartbeat-interval=30'],
  });
const reconciler = newReconciler();
const ns = `shoot--ha--${process.pid}`;
const paths = etcdPaths(runtimeDir, ns, 'etcd-main');

after(async () => {
  // Whatever a failed test left behind: every member's process, then the files.
  await stopEtcdAt(paths, 1_000);
  await storage.close();
  await rm(runtimeDir, { recursive: true, force: true });
});

const secret = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  stringData: data,
});

const etcdObject = (): KubeObject => ({
  apiVersion: 'druid.gardener.cloud/v1alpha1',
  kind: 'Etcd',
  metadata: { name: 'etcd-main' },
  spec: {
    replicas: 3,
    labels: { role: 'main' },
    selector: { matchLabels: { role: 'main' } },
    etcd: {
      quota: '1Gi',
      clientUrlTls: {
        tlsCASecretRef: { name: 'ca-etcd', dataKey: 'ca.crt' },
        serverTLSSecretRef: { name: 'etcd-server' },
        clientTLSSecretRef: { name: 'etcd-client' },
      },
      peerUrlTls: {
        tlsCASecretRef: { name: 'ca-etcd', dataKey: 'ca.crt' },
        serverTLSSecretRef: { name: 'etcd-peer' },
      },
    },
    backup: {},
  },
});

async function memberStates(): Promise<EtcdState[]> {
  const names = etcdMemberNames({ metadata: { name: 'etcd-main' } } as Etcd, 3);
  const states = await Promise.all(names.map((n) => readEtcdState(etcdMemberPaths(paths, n))));
  for (const s of states) if (s?.pid) killOnExit(s.pid);
  return states.map((s) => s!);
}

/** Reconciles until `check` holds for the stored Etcd (a controller would, on its requeues). */
async function reconcileUntil(what: string, check: (etcd: Etcd) => boolean | Promise<boolean>): Promise<Etcd> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await reconciler.reconcile({ namespace: ns, name: 'etcd-main' }).catch(() => undefined);
    const found = await etcds.find(ns, 'etcd-main');
    const etcd = found && checked(etcdResource, found);
    if (etcd && (await check(etcd))) return etcd;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(etcd?.status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const allReady = (etcd: Etcd) =>
  etcd.status?.readyReplicas === 3 &&
  conditionOf(etcd, 'AllMembersReady')?.status === 'True' &&
  (etcd.status.members ?? []).filter((m) => m.role === 'Leader').length === 1;

describe('druid: a 3-member Etcd (real etcd processes, peer TLS)', () => {
  let client: (endpoint: string) => Etcd3;

  it('starts three members with peer TLS from ca-etcd; the status names every member and one leader', async () => {
    const ca = await generateCertificateAuthority('ca-etcd');
    // Usage both, as issueEtcdServerCertificate's: etcd's gRPC gateway (the member status the druid
    // reads) presents the server pair to etcd's own client listener.
    const server = await issueEtcdServerCertificate(ca, ['127.0.0.1']);
    const peer = await issueCertificate(ca, { commonName: 'etcd-peer', ipAddresses: ['127.0.0.1'], usage: 'both' });
    const clientPair = await issueCertificate(ca, { commonName: 'etcd-client', usage: 'client' });
    await secrets.create(ns, secret('ca-etcd', { 'ca.crt': ca.certPem }), ctx);
    await secrets.create(ns, secret('etcd-server', { 'tls.crt': server.certPem, 'tls.key': server.keyPem }), ctx);
    await secrets.create(ns, secret('etcd-peer', { 'tls.crt': peer.certPem, 'tls.key': peer.keyPem }), ctx);
    await secrets.create(
      ns,
      secret('etcd-client', { 'tls.crt': clientPair.certPem, 'tls.key': clientPair.keyPem }),
      ctx,
    );
    await etcds.create(ns, etcdObject(), ctx);

    const etcd = await reconcileUntil('three ready members', allReady);
    assert.equal(etcd.status?.ready, true);
    assert.equal(etcd.status?.clusterSize, 3);
    assert.equal(conditionOf(etcd, 'Ready')?.reason, 'ClusterQuorate');
    assert.deepEqual(
      etcd.status?.members?.map((m) => m.name),
      ['etcd-main-0', 'etcd-main-1', 'etcd-main-2'],
    );
    assert.equal(new Set(etcd.status?.members?.map((m) => m.id)).size, 3);

    const states = await memberStates();
    assert.equal(etcd.status?.endpoint, states[0]!.clientUrl);
    for (const s of states) {
      assert.ok(s.pid && isProcessAlive(s.pid));
      // One process per member, each on its own data dir, peers over TLS.
      assert.deepEqual(await findEtcdProcesses(s.dataDir), [s.pid]);
      const args = readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').split('\0');
      assert.ok(args.includes(`--listen-peer-urls=https://127.0.0.1:${s.peerPort}`), args.join(' '));
      assert.ok(args.includes('--peer-client-cert-auth=true'));
    }
    client = (endpoint) =>
      new Etcd3({
        hosts: endpoint,
        credentials: {
          rootCertificate: Buffer.from(ca.certPem),
          certChain: Buffer.from(clientPair.certPem),
          privateKey: Buffer.from(clientPair.keyPem),
        },
      });
  });

  it('writes through one member and reads them through another', async () => {
    const [first, second] = await memberStates();
    const writer = client(first!.clientUrl);
    const reader = client(second!.clientUrl);
    try {
      await writer.put('/registry/configmaps/default/ha').value('written-through-member-0');
      assert.equal(await reader.get('/registry/configmaps/default/ha').string(), 'written-through-member-0');
    } finally {
      writer.close();
      reader.close();
    }
  });

  it('keeps quorum when one member is killed, and restarts it on its ports and data', async () => {
    const states = await memberStates();
    const victim = states[0]!;
    process.kill(victim.pid!, 'SIGKILL');
    while (isProcessAlive(victim.pid!)) await new Promise((r) => setTimeout(r, 20));

    // Two of three still form a quorum: writes go on through a surviving member.
    const survivor = client(states[1]!.clientUrl);
    try {
      await survivor.put('/registry/configmaps/default/during-outage').value('quorum');
    } finally {
      survivor.close();
    }

    const etcd = await reconcileUntil('the killed member to be back', (e) => {
      const m0 = e.status?.members?.find((m) => m.name === 'etcd-main-0');
      return allReady(e) && m0?.status === 'Ready';
    });
    assert.equal(etcd.status?.ready, true);
    const restarted = (await memberStates())[0]!;
    assert.notEqual(restarted.pid, victim.pid);
    assert.equal(restarted.clientPort, victim.clientPort);
    assert.equal(restarted.peerPort, victim.peerPort);
    // The restarted member kept its data and caught up with the write it missed.
    const reader = client(restarted.clientUrl);
    try {
      assert.equal(await reader.get('/registry/configmaps/default/ha').string(), 'written-through-member-0');
      assert.equal(await reader.get('/registry/configmaps/default/during-outage').string(), 'quorum');
    } finally {
      reader.close();
    }
  });

  it('a member that lost its data re-joins as a learner, is promoted, and has every key', async () => {
    const before = (await etcds.find(ns, 'etcd-main'))!;
    const oldId = checked(etcdResource, before).status?.members?.[2]?.id;
    const lost = (await memberStates())[2]!;
    process.kill(lost.pid!, 'SIGKILL');
    while (isProcessAlive(lost.pid!)) await new Promise((r) => setTimeout(r, 20));
    await rm(lost.dataDir, { recursive: true, force: true });

    const etcd = await reconcileUntil('the member to be back as a voter', (e) => {
      const m2 = e.status?.members?.find((m) => m.name === 'etcd-main-2');
      return allReady(e) && m2?.id !== undefined && m2.id !== oldId;
    });
    assert.equal(etcd.status?.members?.length, 3);
    const back = (await memberStates())[2]!;
    assert.equal(back.peerPort, lost.peerPort);
    const reader = client(back.clientUrl);
    try {
      assert.equal(await reader.get('/registry/configmaps/default/ha').string(), 'written-through-member-0');
      assert.equal(await reader.get('/registry/configmaps/default/during-outage').string(), 'quorum');
    } finally {
      reader.close();
    }
  });

  it('a restarted druid adopts every running member: same pids, no restart', async () => {
    const before = await memberStates();
    const successor = newReconciler();
    await successor.reconcile({ namespace: ns, name: 'etcd-main' });
    const found = await etcds.find(ns, 'etcd-main');
    assert.ok(found && allReady(checked(etcdResource, found)));
    assert.deepEqual(
      (await memberStates()).map((s) => [s.pid, s.startedAt]),
      before.map((s) => [s.pid, s.startedAt]),
    );
  });

  it('a changed configuration restarts the members one at a time, keeping a quorum', async () => {
    const before = await memberStates();
    await etcds.patch(ns, 'etcd-main', '', 'merge', { spec: { etcd: { quota: '2Gi' } } }, ctx);
    let after = before;
    await reconcileUntil('every member restarted with the new quota', async (etcd) => {
      // Never more than one member down at a time: the cluster stays quorate throughout.
      assert.equal(etcd.status?.ready, true, JSON.stringify(etcd.status));
      const previous = after;
      after = await memberStates();
      const restarted = after.filter((s, i) => s.pid !== previous[i]!.pid).length;
      assert.ok(restarted <= 1, `${restarted} members restarted by one reconcile`);
      return allReady(etcd) && after.every((s, i) => s.pid !== before[i]!.pid);
    });
    for (const [i, s] of after.entries()) {
      assert.notEqual(s.pid, before[i]!.pid, `member ${i} was not restarted`);
      assert.ok(readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').includes(`--quota-backend-bytes=${2 * 2 ** 30}`));
    }
  });

  it('deletion stops every member and removes the data', async () => {
    const states = await memberStates();
    await etcds.delete(ns, 'etcd-main', ctx, {});
    await reconciler.reconcile({ namespace: ns, name: 'etcd-main' });
    for (const s of states) assert.equal(isProcessAlive(s.pid!), false, `member pid ${s.pid} still runs`);
    await assert.rejects(stat(paths.dir), { code: 'ENOENT' });
    assert.equal(await etcds.find(ns, 'etcd-main'), undefined);
  });
});
