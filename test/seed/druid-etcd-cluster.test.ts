/**
 * The druid's multi-member Etcds against real etcd processes with peer TLS: members, quorum,
 * re-joins, restarts, stops, backups from the leader and the restore of the whole cluster, scaling
 * 1 → 3. One file over 500 lines: its describes share one druid, one runtime dir and one CA, and
 * each builds on the cluster the one before left running (starting a 3-member cluster per test
 * would cost the suite minutes).
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { conditionOf } from '../../src/api/core-gardener/conditions.js';
import { type Etcd, etcdResource } from '../../src/api/druid/index.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import {
  type CertificateAndKey,
  generateCertificateAuthority,
  issueCertificate,
} from '../../src/apiserver/pki/certificates.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import { Snapshotter } from '../../src/backup/snapshotter/snapshotter.js';
import { openSnapstore } from '../../src/backup/snapstore/open-snapstore.js';
import type { Snapshot } from '../../src/backup/snapstore/snapstore.js';
import { checked } from '../../src/client/client.js';
import { etcdMemberList } from '../../src/process/etcd-gateway.js';
import { isProcessAlive } from '../../src/process/processes.js';
import { coreDefinitions } from '../../src/registry/core/index.js';
import { druidDefinitions } from '../../src/registry/druid/index.js';
import { readBackupSidecarState } from '../../src/seed/druid/backup-sidecar-state.js';
import { BackupSidecars } from '../../src/seed/druid/backup-sidecars.js';
import {
  type EtcdJoinPhase,
  EtcdReconciler,
  type EtcdState,
  etcdMemberNames,
  etcdMemberPaths,
  etcdPaths,
  findEtcdProcesses,
  readEtcdState,
  stopAllEtcds,
  stopEtcdAt,
} from '../../src/seed/druid/index.js';
import { issueEtcdServerCertificate } from '../../src/shoot/shoot-certificates.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { killOnExit, startTestEtcd } from '../helpers/etcd.js';
import { testContext as ctx, storeClient } from '../helpers/store-client.js';

const logger = pino({ level: 'silent' });
const storage = openSqliteStore({ path: ':memory:' });
const etcds = new GenericStore(druidDefinitions.find((d) => d.kind === 'Etcd')!, storage, new AdmissionChain([]));
const secrets = new GenericStore(coreDefinitions.find((d) => d.kind === 'Secret')!, storage, new AdmissionChain([]));
const runtimeDir = await mkdtemp(join(tmpdir(), 'transplant-druid-cluster-'));
/** The seed's backup sidecars, one per Etcd with a store (only `BACKED` has one). */
const sidecars = new BackupSidecars(logger);
/** Where a phase of a member's join "crashes" the druid, as the crash test sets it. */
let crashAt: { member: string; phase: EtcdJoinPhase } | undefined;
/** A seed's druid over the shared stores and runtime dir; a second one stands for a restarted seed. */
const newReconciler = () =>
  new EtcdReconciler({
    client: storeClient([etcds, secrets], ctx),
    runtimeDir,
    logger,
    stopGraceMs: 2_000,
    etcdArgs: ['--election-timeout=300', '--heartbeat-interval=30'],
    sidecars,
    afterJoinPhase: (member, phase) => {
      if (crashAt?.member !== member || crashAt.phase !== phase) return;
      crashAt = undefined;
      throw new SimulatedCrash(`the druid crashed after ${phase} of ${member}`);
    },
  });
let reconciler = newReconciler();
const ns = `shoot--ha--${process.pid}`;
const paths = etcdPaths(runtimeDir, ns, 'etcd-main');
/** A second Etcd, with a backup store. */
const BACKED = 'etcd-backed';
const backedPaths = etcdPaths(runtimeDir, ns, BACKED);
const bucketRoot = join(runtimeDir, 'buckets');
const storeSpec = { provider: 'local', container: 'bucket', prefix: `${ns}/${BACKED}`, secretRef: { name: 'backup' } };

class SimulatedCrash extends Error {}

after(async () => {
  // Whatever a failed test left behind: sidecars, every member's process, then the files.
  await sidecars.stopAll();
  await stopEtcdAt(paths, 1_000);
  await stopEtcdAt(backedPaths, 1_000);
  await storage.close();
  await rm(runtimeDir, { recursive: true, force: true });
});

const secret = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  stringData: data,
});

const etcdObject = (name = 'etcd-main', backup: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'druid.gardener.cloud/v1alpha1',
  kind: 'Etcd',
  metadata: { name },
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
    backup,
  },
});

async function memberStates(name = 'etcd-main'): Promise<EtcdState[]> {
  const names = etcdMemberNames({ metadata: { name } } as Etcd, 3);
  const dir = etcdPaths(runtimeDir, ns, name);
  const states = await Promise.all(names.map((n) => readEtcdState(etcdMemberPaths(dir, n))));
  for (const s of states) if (s?.pid) killOnExit(s.pid);
  return states.map((s) => s!);
}

/** Reconciles until `check` holds for the stored Etcd (a controller would, on its requeues). */
async function reconcileUntil(
  what: string,
  check: (etcd: Etcd) => boolean | Promise<boolean>,
  name = 'etcd-main',
  onRequeue?: (requeueAfterMs: number | undefined, etcd: Etcd | undefined) => void,
): Promise<Etcd> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const result = await reconciler.reconcile({ namespace: ns, name }).catch((err) => {
      // A simulated crash: the next reconcile is the restarted druid's.
      if (err instanceof SimulatedCrash) reconciler = newReconciler();
      return undefined;
    });
    const found = await etcds.find(ns, name);
    const etcd = found && checked(etcdResource, found);
    if (result) onRequeue?.(result.requeueAfterMs, etcd);
    if (etcd && (await check(etcd))) return etcd;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(etcd?.status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const allReady = (etcd: Etcd) =>
  etcd.status?.readyReplicas === 3 &&
  conditionOf(etcd, 'AllMembersReady')?.status === 'True' &&
  (etcd.status.members ?? []).filter((m) => m.role === 'Leader').length === 1;

let ca: CertificateAndKey;
let clientPair: CertificateAndKey;
/** An etcd client with the client certificate, to the members at `endpoints`. */
const client = (...endpoints: string[]) =>
  new Etcd3({
    hosts: endpoints,
    credentials: {
      rootCertificate: Buffer.from(ca.certPem),
      certChain: Buffer.from(clientPair.certPem),
      privateKey: Buffer.from(clientPair.keyPem),
    },
  });

/** The client pair as the druid's gateway calls present it. */
const tlsOfClient = () => ({
  caPem: ca.certPem,
  certPem: clientPair.certPem,
  keyPem: clientPair.keyPem,
  clientCertAuth: true,
});

/** An HTTPS request with the client certificate (etcd's gRPC gateway, the backup sidecar); the JSON answer. */
function httpsJson(url: string, method: 'GET' | 'POST', body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: ca.certPem, cert: clientPair.certPem, key: clientPair.keyPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

before(async () => {
  ca = await generateCertificateAuthority('ca-etcd');
  // Usage both, as issueEtcdServerCertificate's: etcd's gRPC gateway (the member status the druid
  // reads) presents the server pair to etcd's own client listener.
  const server = await issueEtcdServerCertificate(ca, ['127.0.0.1']);
  const peer = await issueCertificate(ca, { commonName: 'etcd-peer', ipAddresses: ['127.0.0.1'], usage: 'both' });
  clientPair = await issueCertificate(ca, { commonName: 'etcd-client', usage: 'client' });
  await secrets.create(ns, secret('ca-etcd', { 'ca.crt': ca.certPem }), ctx);
  await secrets.create(ns, secret('etcd-server', { 'tls.crt': server.certPem, 'tls.key': server.keyPem }), ctx);
  await secrets.create(ns, secret('etcd-peer', { 'tls.crt': peer.certPem, 'tls.key': peer.keyPem }), ctx);
  await secrets.create(ns, secret('etcd-client', { 'tls.crt': clientPair.certPem, 'tls.key': clientPair.keyPem }), ctx);
  await secrets.create(ns, secret('backup', { root: bucketRoot }), ctx);
});

describe('druid: a 3-member Etcd (real etcd processes, peer TLS)', () => {
  it('starts three members with peer TLS from ca-etcd; the status names every member and one leader', async () => {
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

  for (const phase of ['old-membership-removed', 'learner-added', 'started', 'promoted'] as const) {
    it(`a druid that crashes after the re-join phase "${phase}": a new one resumes, the member is a voter with every key`, async () => {
      const before = checked(etcdResource, (await etcds.find(ns, 'etcd-main'))!);
      const oldId = before.status?.members?.find((m) => m.name === 'etcd-main-1')?.id;
      const lost = (await memberStates())[1]!;
      process.kill(lost.pid!, 'SIGKILL');
      while (isProcessAlive(lost.pid!)) await new Promise((r) => setTimeout(r, 20));
      await rm(lost.dataDir, { recursive: true, force: true });
      const survivor = client((await memberStates())[0]!.clientUrl);
      try {
        await survivor.put(`/registry/configmaps/default/crash-${phase}`).value(phase);
      } finally {
        survivor.close();
      }

      crashAt = { member: 'etcd-main-1', phase };
      await reconcileUntil('the member to be back as a voter', (e) => {
        const m1 = e.status?.members?.find((m) => m.name === 'etcd-main-1');
        return crashAt === undefined && allReady(e) && m1?.id !== undefined && m1.id !== oldId;
      });
      const back = (await memberStates())[1]!;
      const list = await etcdMemberList(back.clientUrl, tlsOfClient());
      assert.deepEqual(
        list?.map((m) => m.isLearner),
        [false, false, false],
        `three voters: ${JSON.stringify(list)}`,
      );
      const reader = client(back.clientUrl);
      try {
        assert.equal(await reader.get(`/registry/configmaps/default/crash-${phase}`).string(), phase);
        assert.equal(await reader.get('/registry/configmaps/default/ha').string(), 'written-through-member-0');
      } finally {
        reader.close();
      }
    });
  }

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

  it('stopAllEtcds (transplant down) stops every member, one at a time; the druid starts them again on their ports', async () => {
    const before = await memberStates();
    const logs = etcdMemberNames({ metadata: { name: 'etcd-main' } } as Etcd, 3).map((n) =>
      join(etcdMemberPaths(paths, n).confDir, 'etcd.log'),
    );
    const logStarts = logs.map((log) => statSync(log).size);
    const stopped = await stopAllEtcds(runtimeDir, 2_000);
    for (const s of before) {
      assert.ok(stopped.includes(s.pid!), `member pid ${s.pid} stopped`);
      assert.equal(isProcessAlive(s.pid!), false, `member pid ${s.pid} still runs`);
    }
    // Stopped together, the leader tries to hand its leadership to a member going away too and
    // never finishes; in turn, every transfer a stopping member starts is finished.
    const shutdown = logs.map((log, i) => readFileSync(log, 'utf8').slice(logStarts[i]));
    const count = (what: string) => shutdown.join('').split(what).length - 1;
    assert.equal(count('"leadership transfer finished"'), count('"leadership transfer starting"'), shutdown.join(''));
    await reconcileUntil('every member running again', allReady);
    assert.deepEqual(
      (await memberStates()).map((s) => s.clientPort),
      before.map((s) => s.clientPort),
    );
  });

  it('a changed configuration restarts the members one at a time, keeping a quorum', async () => {
    const before = await memberStates();
    await etcds.patch(ns, 'etcd-main', '', 'merge', { spec: { etcd: { quota: '2Gi' } } }, ctx);
    let after = before;
    await reconcileUntil('every member restarted with the new quota', async (etcd) => {
      // Never more than one member down at a time: the cluster stays quorate throughout. Judged
      // by the processes, not by the status: under load a member's health check (a read with a
      // 2 s timeout) can fail while its process serves, and the status then says QuorumLost.
      const previous = after;
      after = await memberStates();
      const down = after.filter((s) => !s.pid || !isProcessAlive(s.pid)).length;
      assert.ok(down <= 1, `${down} members down at once: ${JSON.stringify(etcd.status)}`);
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

describe('druid: backups of a 3-member Etcd from its leader, and the restore of the whole cluster', () => {
  const id = `${ns}/${BACKED}`;
  const prefix = '/registry/configmaps/default/';
  /** Every acknowledged write: key → value. */
  const acknowledged = new Map<string, string>();
  const store = () =>
    openSnapstore({ provider: 'local', root: bucketRoot, container: 'bucket', prefix: storeSpec.prefix });
  const snapshots = async () => (await (await store()).list()).map((o) => o.snapshot);
  const backedReady = (etcd: Etcd) => allReady(etcd) && etcd.status?.ready === true;
  const backupReady = (etcd: Etcd) => conditionOf(etcd, 'BackupReady')?.status === 'True';
  const stored = async (name: string) => checked(etcdResource, (await etcds.find(ns, name))!);

  /** Every key under `prefix` of the member at `url`, with its value. */
  async function keysOf(url: string): Promise<Map<string, string>> {
    const reader = client(url);
    try {
      return new Map(Object.entries(await reader.getAll().prefix(prefix).strings()));
    } finally {
      reader.close();
    }
  }

  async function assertEveryAcknowledgedWrite(): Promise<void> {
    for (const state of await memberStates(BACKED)) {
      const found = await keysOf(state.clientUrl);
      for (const [key, value] of acknowledged) assert.equal(found.get(key), value, `${key} on ${state.clientUrl}`);
    }
  }

  it('no member has data and the bucket has snapshots: member 0 is restored, the others join as learners; Ready only once all three joined', async () => {
    // The bucket of a cluster that ran elsewhere: a full snapshot and a delta after it.
    const source = await startTestEtcd();
    try {
      const writer = new Etcd3({ hosts: source.endpoints });
      const put = async (key: string, value: string) => {
        await writer.put(prefix + key).value(value);
        acknowledged.set(prefix + key, value);
      };
      const snapshotter = new Snapshotter({
        etcd: { endpoint: source.etcd.clientUrl },
        store: await store(),
        logger,
        fullSnapshotSchedule: '0 0 1 1 *',
        deltaSnapshotPeriodMs: 60_000,
      });
      try {
        for (let i = 0; i < 20; i++) await put(`in-full-${i}`, String(i));
        await snapshotter.start();
        for (let i = 0; i < 10; i++) await put(`in-delta-${i}`, String(i));
        assert.ok(await snapshotter.triggerDeltaSnapshot());
      } finally {
        await snapshotter.stop();
        writer.close();
      }
    } finally {
      await source.cleanup();
    }
    assert.deepEqual(
      (await snapshots()).map((snapshot) => snapshot.kind),
      ['Full', 'Incr'],
    );

    await etcds.create(
      ns,
      etcdObject(BACKED, {
        store: storeSpec,
        fullSnapshotSchedule: '0 0 1 1 *',
        deltaSnapshotPeriod: '1s',
        garbageCollectionPeriod: '1h',
      }),
      ctx,
    );
    const reasons = new Set<string>();
    /** The requeue asked for after each reconcile that left the Etcd restoring. */
    const whileRestoring: (number | undefined)[] = [];
    const etcd = await reconcileUntil(
      'the cluster restored with three voters',
      (e) => {
        const ready = conditionOf(e, 'Ready');
        if (ready) reasons.add(ready.reason ?? '');
        // Never Ready while a member has yet to join: a quorum of two is not the restored cluster.
        if (e.status?.ready) assert.equal(e.status.readyReplicas, 3, JSON.stringify(e.status));
        return backedReady(e);
      },
      BACKED,
      (requeueAfterMs, e) => {
        if (e && conditionOf(e, 'Ready')?.reason === 'RestoringFromBackups') whileRestoring.push(requeueAfterMs);
      },
    );
    assert.ok(reasons.has('RestoringFromBackups'), [...reasons].join());
    // Each member's join is a reconcile: the druid looks again within 250 ms, not 2 s.
    assert.ok(whileRestoring.length > 0);
    assert.deepEqual(
      whileRestoring.filter((ms) => ms !== 250),
      [],
      `requeues while restoring: ${whileRestoring.join(', ')}`,
    );
    assert.equal(conditionOf(etcd, 'Ready')?.reason, 'ClusterQuorate');
    assert.equal(new Set(etcd.status?.members?.map((m) => m.id)).size, 3);
    await assert.rejects(stat(join(backedPaths.dir, 'restoring-from-backups')), { code: 'ENOENT' });
    await assertEveryAcknowledgedWrite();
  });

  it('backups follow the leader: moved, the sidecar moves on and begins with a full snapshot; the deltas have no gap', async () => {
    let etcd = await reconcileUntil('BackupReady', backupReady, BACKED);
    const endpoint = etcd.status?.backupEndpoint;
    assert.match(endpoint ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    const members = etcd.status?.members ?? [];
    const leaderBefore = members.find((m) => m.role === 'Leader');
    assert.ok(leaderBefore, JSON.stringify(members));
    assert.equal((await readBackupSidecarState(backedPaths)).member, leaderBefore.name);
    const fullsBefore = (await snapshots()).filter((snapshot) => snapshot.kind === 'Full').length;

    // A writer all along (every 20 ms), through every member: each acknowledged write must survive.
    const states = await memberStates(BACKED);
    let writing = true;
    const writer = (async () => {
      const c = client(...states.map((st) => st.clientUrl));
      try {
        for (let n = 0; writing; n++) {
          const key = `${prefix}during-move-${n}`;
          await c
            .put(key)
            .value(String(n))
            .then(
              () => acknowledged.set(key, String(n)),
              () => undefined,
            );
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        c.close();
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 300));
      const target = members.find((m) => m.role !== 'Leader');
      assert.ok(target?.id);
      const leaderUrl = states[members.indexOf(leaderBefore)]!.clientUrl;
      // etcd's MoveLeader, through its gRPC gateway, asked of the leader.
      const moved = await httpsJson(`${leaderUrl}/v3/maintenance/transfer-leadership`, 'POST', {
        targetID: target.id,
      });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      etcd = await reconcileUntil(
        'the sidecar on the new leader',
        async (e) =>
          e.status?.members?.find((m) => m.role === 'Leader')?.name === target.name &&
          (await readBackupSidecarState(backedPaths)).member === target.name &&
          backupReady(e),
        BACKED,
      );
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      writing = false;
      await writer;
    }
    assert.equal(etcd.status?.backupEndpoint, endpoint, 'the backup endpoint stays where it was');
    const after = await snapshots();
    assert.equal(after.filter((snapshot) => snapshot.kind === 'Full').length, fullsBefore + 1);
    assertChainWithoutGaps(after);
  });

  it('kill -9 of the leader: the sidecar moves to the new leader, backups go on, the killed member comes back', async () => {
    const etcd = await stored(BACKED);
    const members = etcd.status?.members ?? [];
    const leader = members.find((m) => m.role === 'Leader');
    assert.ok(leader);
    const states = await memberStates(BACKED);
    const victim = states[members.indexOf(leader)]!;
    process.kill(victim.pid!, 'SIGKILL');
    while (isProcessAlive(victim.pid!)) await new Promise((r) => setTimeout(r, 20));
    const survivor = client(...states.filter((st) => st !== victim).map((st) => st.clientUrl));
    try {
      await survivor.put(`${prefix}leader-killed`).value('yes');
      acknowledged.set(`${prefix}leader-killed`, 'yes');
    } finally {
      survivor.close();
    }
    const after = await reconcileUntil(
      'the sidecar on a new leader, every member back',
      async (e) => {
        const now = e.status?.members?.find((m) => m.role === 'Leader')?.name;
        return backedReady(e) && backupReady(e) && (await readBackupSidecarState(backedPaths)).member === now;
      },
      BACKED,
    );
    assert.equal(after.status?.backupEndpoint, etcd.status?.backupEndpoint);
    assertChainWithoutGaps(await snapshots());
  });

  it('the final snapshot endpoint (status.backupEndpoint) answers with a final full snapshot at the current revision', async () => {
    const etcd = await stored(BACKED);
    await httpsJson(`${(await memberStates(BACKED))[0]!.clientUrl}/v3/kv/put`, 'POST', {
      key: Buffer.from(`${prefix}before-final`).toString('base64'),
      value: Buffer.from('final').toString('base64'),
    });
    acknowledged.set(`${prefix}before-final`, 'final');
    const reply = await httpsJson(`${etcd.status?.backupEndpoint}/snapshot/full?final=true`, 'GET');
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const snapshot = reply.body as { isFinal: boolean; kind: string; lastRevision: number };
    assert.equal(snapshot.kind, 'Full');
    assert.equal(snapshot.isFinal, true);
    const reader = client((await memberStates(BACKED))[0]!.clientUrl);
    try {
      const revision = Number((await reader.get(`${prefix}before-final`).exec()).header.revision);
      assert.equal(snapshot.lastRevision, revision);
    } finally {
      reader.close();
    }
  });

  it('every member’s data deleted (processes stopped): the cluster comes back from the bucket with every acknowledged write', async () => {
    const writer = client((await memberStates(BACKED))[0]!.clientUrl);
    try {
      for (let i = 0; i < 10; i++) {
        await writer.put(`${prefix}after-final-${i}`).value(String(i));
        acknowledged.set(`${prefix}after-final-${i}`, String(i));
      }
    } finally {
      writer.close();
    }
    // spec.replicas 0 stops the sidecar (its last delta flushed) and every member.
    await etcds.patch(ns, BACKED, '', 'merge', { spec: { replicas: 0 } }, ctx);
    await reconciler.reconcile({ namespace: ns, name: BACKED });
    assert.equal(sidecars.get(id), undefined);
    for (const state of await memberStates(BACKED)) {
      assert.equal(isProcessAlive(state.pid!), false);
      await rm(state.dataDir, { recursive: true, force: true });
    }

    await etcds.patch(ns, BACKED, '', 'merge', { spec: { replicas: 3 } }, ctx);
    await reconcileUntil('the cluster restored again', backedReady, BACKED);
    await assertEveryAcknowledgedWrite();
    assert.ok(acknowledged.size > 50, `${acknowledged.size} writes`);
  });

  it('deletion stops every member and the backup sidecar', async () => {
    const states = await memberStates(BACKED);
    await etcds.delete(ns, BACKED, ctx, {});
    await reconciler.reconcile({ namespace: ns, name: BACKED });
    assert.equal(sidecars.get(id), undefined);
    for (const state of states) assert.equal(isProcessAlive(state.pid!), false);
    await assert.rejects(stat(backedPaths.dir), { code: 'ENOENT' });
  });
});

/**
 * The store's snapshots form one chain: ordered by revision, every delta starts right after the
 * snapshot before it; a full snapshot may cover deltas (it is taken at a later revision).
 */
function assertChainWithoutGaps(snapshots: readonly Snapshot[]): void {
  const ordered = [...snapshots].sort((a, b) => a.lastRevision - b.lastRevision || (a.kind === 'Full' ? 1 : -1));
  for (const [i, snapshot] of ordered.entries()) {
    const previous = ordered[i - 1];
    if (!previous || snapshot.kind === 'Full') continue;
    assert.equal(
      snapshot.startRevision,
      previous.lastRevision + 1,
      `${snapshot.name} follows ${previous.name}: ${ordered.map((o) => o.name).join(', ')}`,
    );
  }
}

describe('druid: scaling a single-member Etcd to three members', () => {
  const name = 'etcd-scaled';
  const scaledPaths = etcdPaths(runtimeDir, ns, name);
  after(() => stopEtcdAt(scaledPaths, 1_000));

  it('the single member’s data becomes member 0’s on the same ports; the others join as learners; every key on all three', async () => {
    const backup = { store: { ...storeSpec, prefix: `${ns}/${name}` }, fullSnapshotSchedule: '0 0 1 1 *' };
    const object = etcdObject(name, backup);
    (object.spec as { replicas: number }).replicas = 1;
    await etcds.create(ns, object, ctx);
    const single = await reconcileUntil(
      'the single member with its backups',
      (e) => e.status?.ready === true && conditionOf(e, 'BackupReady')?.status === 'True',
      name,
    );
    const writer = client(single.status!.endpoint!);
    try {
      for (let i = 0; i < 10; i++) await writer.put(`/registry/configmaps/default/single-${i}`).value(String(i));
    } finally {
      writer.close();
    }

    await etcds.patch(ns, name, '', 'merge', { spec: { replicas: 3 } }, ctx);
    const scaled = await reconcileUntil('three ready members', (e) => allReady(e) && e.status?.ready === true, name);
    assert.equal(scaled.status?.endpoint, single.status?.endpoint, 'member 0 serves where the single member did');
    assert.equal(scaled.status?.backupEndpoint, single.status?.backupEndpoint);
    await assert.rejects(stat(scaledPaths.stateFile), { code: 'ENOENT' });
    await assert.rejects(stat(scaledPaths.dataDir), { code: 'ENOENT' });
    const states = await memberStates(name);
    const list = await etcdMemberList(states[0]!.clientUrl, tlsOfClient());
    assert.deepEqual(
      list?.map((m) => `${m.name} ${m.isLearner ? 'learner' : 'voter'} ${m.peerUrls.join()}`).sort(),
      states.map((s, i) => `${name}-${i} voter https://127.0.0.1:${s.peerPort}`),
    );
    for (const state of states) {
      const reader = client(state.clientUrl);
      try {
        const keys = await reader.getAll().prefix('/registry/configmaps/default/single-').keys();
        assert.equal(keys.length, 10, state.clientUrl);
      } finally {
        reader.close();
      }
    }

    await etcds.delete(ns, name, ctx, {});
    await reconciler.reconcile({ namespace: ns, name });
    await assert.rejects(stat(scaledPaths.dir), { code: 'ENOENT' });
  });
});
