/**
 * The druid's single-member Etcds against real etcd processes: start with TLS, adoption by a
 * restarted seed, restarts after kill -9, a missing secret, deletion, `replicas: 0`, stopAllEtcds,
 * an etcd that outlives the seed. One file over 500 lines: its cases share one druid and one
 * runtime dir, as a seed's do, and several build on what the one before left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { conditionOf } from '../../src/api/core-gardener/conditions.js';
import { type Etcd, etcdReady, etcdResource } from '../../src/api/druid/index.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import {
  type CertificateAuthority,
  generateCertificateAuthority,
  issueCertificate,
} from '../../src/apiserver/pki/certificates.js';
import { GenericStore, type RequestContext } from '../../src/apiserver/registry/generic-store.js';
import { checked } from '../../src/client/client.js';
import { Controller, type ObjectKey } from '../../src/controller/controller.js';
import { clientListWatch } from '../../src/controller/list-watch.js';
import { ItemExponentialFailureRateLimiter } from '../../src/controller/rate-limiter.js';
import { checkEtcdHealth } from '../../src/process/etcd-gateway.js';
import { isProcessAlive } from '../../src/process/processes.js';
import { coreDefinitions } from '../../src/registry/core/index.js';
import { druidDefinitions } from '../../src/registry/druid/index.js';
import {
  ETCD_DRUID_FINALIZER,
  EtcdReconciler,
  type EtcdState,
  etcdPaths,
  findEtcdProcesses,
  listEtcdProcesses,
  readEtcdState,
  stopAllEtcds,
} from '../../src/seed/druid/index.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { killOnExit } from '../helpers/etcd.js';
import { storeClient } from '../helpers/store-client.js';

const ctx: RequestContext = { user: { name: 'test', groups: ['system:masters'] }, dryRun: false };
const logger = pino({ level: 'silent' });
const FAST_START_ARGS = ['--election-timeout=200', '--heartbeat-interval=20'];

const storage = openSqliteStore({ path: ':memory:' });
/** A stored Etcd as the gardenlet reads it: through the Etcd guard. */
const asEtcd = (obj: KubeObject): Etcd => checked(etcdResource, obj);
const etcds = new GenericStore(druidDefinitions.find((d) => d.kind === 'Etcd')!, storage, new AdmissionChain([]));
const secrets = new GenericStore(coreDefinitions.find((d) => d.kind === 'Secret')!, storage, new AdmissionChain([]));
const runtimeDir = await mkdtemp(join(tmpdir(), 'transplant-druid-'));
/** The crash test's seed dir (SQLite file, control planes), apart from the shared runtime dir. */
const crashDir = await mkdtemp(join(tmpdir(), 'transplant-druid-crash-'));

interface Druid {
  readonly controller: Controller;
  /** Finished reconciles. */
  readonly reconciles: number;
  /** Stops the controller and waits for a reconcile in flight (which may be starting an etcd). */
  stop(): Promise<void>;
}

/** A seed's druid: a controller running an EtcdReconciler over `stores`. */
function startDruid(stores = { etcds, secrets, runtimeDir }): Druid {
  const client = storeClient([stores.etcds, stores.secrets], ctx);
  const reconciler = new EtcdReconciler({
    client,
    runtimeDir: stores.runtimeDir,
    logger,
    healthCheckIntervalMs: 300,
    retryIntervalMs: 200,
    stopGraceMs: 5_000,
    etcdArgs: FAST_START_ARGS,
  });
  let reconciles = 0;
  let active = 0;
  const controller = new Controller({
    name: 'etcd-druid',
    source: clientListWatch(client, stores.etcds.def),
    reconciler: {
      async reconcile(key: ObjectKey) {
        active++;
        try {
          return await reconciler.reconcile(key);
        } finally {
          active--;
          reconciles++;
        }
      },
    },
    logger,
    rateLimiter: new ItemExponentialFailureRateLimiter({ maxDelayMs: 1_000 }),
  });
  controller.start();
  return {
    controller,
    get reconciles() {
      return reconciles;
    },
    async stop() {
      controller.stop();
      const deadline = Date.now() + 60_000;
      while (active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

let druid = startDruid();
/** Every pid a test saw: SIGKILLed when the process exits, whatever happened to the test. */
const seenPids = new Set<number>();

function remember(state: EtcdState | undefined): EtcdState | undefined {
  if (state?.pid && !seenPids.has(state.pid)) {
    seenPids.add(state.pid);
    killOnExit(state.pid);
  }
  return state;
}

after(async () => {
  await druid.stop();
  // Whatever a failed test left behind: every server under the runtime dir, then any pid seen.
  await stopAllEtcds(runtimeDir, 1_000);
  await stopAllEtcds(join(crashDir, 'controlplanes'), 1_000);
  for (const pid of seenPids) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  await storage.close();
  await rm(runtimeDir, { recursive: true, force: true });
  await rm(crashDir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function state(ns: string, name: string): Promise<EtcdState | undefined> {
  return remember(await readEtcdState(etcdPaths(runtimeDir, ns, name)));
}

async function untilReady(ns: string, name: string, check: (obj: KubeObject) => boolean = () => true) {
  return until(`${ns}/${name} to be ready`, async () => {
    await state(ns, name);
    const found = await etcds.find(ns, name);
    const obj = found && asEtcd(found);
    return obj && etcdReady(obj) && conditionOf(obj, 'Ready')?.status === 'True' && check(obj) ? obj : undefined;
  });
}

function etcdObject(name: string, etcdSpec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'druid.gardener.cloud/v1alpha1',
    kind: 'Etcd',
    metadata: { name, labels: { role: 'main' } },
    spec: {
      replicas: 1,
      labels: { 'gardener.cloud/role': 'controlplane', role: 'main' },
      selector: { matchLabels: { 'gardener.cloud/role': 'controlplane', role: 'main' } },
      etcd: { quota: '1Gi', ...etcdSpec },
      backup: {},
      sharedConfig: { autoCompactionMode: 'periodic', autoCompactionRetention: '30m' },
    },
  };
}

function tlsSecret(name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: data };
}

const clientUrlTls = (serverSecret: string) => ({
  clientUrlTls: {
    tlsCASecretRef: { name: 'ca-etcd', dataKey: 'ca.crt' },
    serverTLSSecretRef: { name: serverSecret },
    clientTLSSecretRef: { name: 'etcd-client-tls' },
  },
});

/** The shoot's etcd CA and the pairs the gardenlet would put into the control-plane namespace. */
async function createTlsSecrets(ns: string, ca: CertificateAuthority, serverSecret: string) {
  const server = await issueCertificate(ca, {
    commonName: 'etcd-server',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  const client = await issueCertificate(ca, { commonName: 'etcd-client', usage: 'client' });
  await secrets.createIfAbsent(ns, tlsSecret('ca-etcd', { 'ca.crt': ca.certPem, 'ca.key': ca.keyPem }), ctx);
  await secrets.createIfAbsent(
    ns,
    tlsSecret('etcd-client-tls', { 'tls.crt': client.certPem, 'tls.key': client.keyPem }),
    ctx,
  );
  await secrets.create(ns, tlsSecret(serverSecret, { 'tls.crt': server.certPem, 'tls.key': server.keyPem }), ctx);
  return { client };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('druid: Etcd controller (real etcd)', () => {
  const ns = 'shoot--dev--tls';
  let ca: CertificateAuthority;
  let etcdClient: () => Etcd3;
  let first: EtcdState;

  it('creates a TLS etcd from the referenced secrets: Ready, status filled, a client cert can put/get', async () => {
    ca = await generateCertificateAuthority('ca-etcd');
    const { client } = await createTlsSecrets(ns, ca, 'etcd-server-etcd-main');
    await etcds.create(ns, etcdObject('etcd-main', clientUrlTls('etcd-server-etcd-main')), ctx);

    const obj = await untilReady(ns, 'etcd-main');
    first = (await state(ns, 'etcd-main'))!;
    assert.ok(first.pid && isProcessAlive(first.pid));
    const paths = etcdPaths(runtimeDir, ns, 'etcd-main');
    assert.equal(first.dataDir, paths.dataDir);
    assert.match(readFileSync(`/proc/${first.pid}/cmdline`, 'utf8'), new RegExp(`--data-dir=${paths.dataDir}`));

    assert.deepEqual(obj.metadata.finalizers, [ETCD_DRUID_FINALIZER]);
    assert.equal(obj.status?.endpoint, `https://127.0.0.1:${first.clientPort}`);
    const status = obj.status as Record<string, unknown>;
    assert.equal(status.observedGeneration, 1);
    assert.equal(status.clusterSize, 1);
    assert.equal(status.readyReplicas, 1);
    assert.deepEqual(
      (obj.status?.members ?? []).map((m) => [m.name, m.role, m.status]),
      [['etcd-main-0', 'Leader', 'Ready']],
    );
    assert.equal(conditionOf(obj, 'AllMembersReady')?.status, 'True');
    assert.equal(conditionOf(obj, 'BackupReady')?.status, 'Unknown');
    assert.equal(conditionOf(obj, 'BackupReady')?.reason, 'NoBackup');

    etcdClient = () =>
      new Etcd3({
        hosts: obj.status!.endpoint!,
        credentials: {
          rootCertificate: Buffer.from(ca.certPem),
          certChain: Buffer.from(client.certPem),
          privateKey: Buffer.from(client.keyPem),
        },
      });
    const kv = etcdClient();
    try {
      await kv.put('/registry/configmaps/default/kept').value('before-restart');
      assert.equal(await kv.get('/registry/configmaps/default/kept').string(), 'before-restart');
    } finally {
      kv.close();
    }
  });

  it('a restarted seed (new controller) adopts the running etcd: same pid, data there', async () => {
    await druid.stop();
    druid = startDruid();
    await until('the new druid to reconcile', async () => (druid.reconciles >= 2 ? true : undefined));
    const now = (await state(ns, 'etcd-main'))!;
    assert.equal(now.pid, first.pid, 'the etcd was restarted instead of adopted');
    assert.equal(now.startedAt, first.startedAt);
    assert.ok(etcdReady(asEtcd(await etcds.get(ns, 'etcd-main'))));
    const kv = etcdClient();
    try {
      assert.equal(await kv.get('/registry/configmaps/default/kept').string(), 'before-restart');
    } finally {
      kv.close();
    }
  });

  it('kill -9 of the etcd: the druid restarts it on the same ports with its data', async () => {
    process.kill(first.pid!, 'SIGKILL');
    const restarted = await until('a new etcd', async () => {
      const now = await state(ns, 'etcd-main');
      const obj = await etcds.find(ns, 'etcd-main');
      return now?.pid && now.pid !== first.pid && obj && etcdReady(asEtcd(obj)) ? now : undefined;
    });
    assert.equal(isProcessAlive(first.pid!), false);
    assert.equal(restarted.clientPort, first.clientPort);
    assert.equal(restarted.peerPort, first.peerPort);
    assert.equal(asEtcd(await etcds.get(ns, 'etcd-main')).status?.endpoint, `https://127.0.0.1:${first.clientPort}`);
    const kv = etcdClient();
    try {
      assert.equal(await kv.get('/registry/configmaps/default/kept').string(), 'before-restart');
    } finally {
      kv.close();
    }
  });

  it('a missing TLS secret: Ready False naming it, nothing started; once it exists the etcd starts', async () => {
    await etcds.create(ns, etcdObject('etcd-events', clientUrlTls('etcd-server-etcd-events')), ctx);
    const obj = await until('TLSSecretMissing', async () => {
      const o = await etcds.find(ns, 'etcd-events');
      return o && conditionOf(o, 'Ready')?.reason === 'TLSSecretMissing' ? o : undefined;
    });
    const ready = conditionOf(obj, 'Ready')!;
    assert.equal(ready.status, 'False');
    assert.match(ready.message ?? '', /etcd-server-etcd-events/);
    assert.equal(etcdReady(asEtcd(obj)), false);
    const lastErrors = (obj.status as { lastErrors: { description: string }[] }).lastErrors;
    assert.match(lastErrors[0]!.description, /etcd-server-etcd-events/);
    assert.equal(await state(ns, 'etcd-events'), undefined);
    assert.deepEqual(await findEtcdProcesses(etcdPaths(runtimeDir, ns, 'etcd-events').dataDir), []);

    const server = await issueCertificate(ca, {
      commonName: 'etcd-events',
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    });
    await secrets.create(
      ns,
      tlsSecret('etcd-server-etcd-events', { 'tls.crt': server.certPem, 'tls.key': server.keyPem }),
      ctx,
    );
    const readyObj = await untilReady(ns, 'etcd-events');
    assert.equal((readyObj.status as { lastErrors?: unknown }).lastErrors, undefined);
    const events = (await state(ns, 'etcd-events'))!;
    assert.notEqual(events.clientPort, first.clientPort);
  });

  it('deleting an Etcd stops its process and removes its directory, then the object', async () => {
    const before = (await state(ns, 'etcd-main'))!;
    const events = (await state(ns, 'etcd-events'))!;
    assert.ok(isProcessAlive(before.pid!));
    await etcds.delete(ns, 'etcd-main', ctx, {});
    await until('etcd-main to be gone', async () => ((await etcds.find(ns, 'etcd-main')) ? undefined : true));
    assert.equal(isProcessAlive(before.pid!), false);
    assert.equal(await exists(etcdPaths(runtimeDir, ns, 'etcd-main').dir), false);
    // The other etcd of the namespace keeps running.
    assert.ok(isProcessAlive(events.pid!));

    await etcds.delete(ns, 'etcd-events', ctx, {});
    await until('etcd-events to be gone', async () => ((await etcds.find(ns, 'etcd-events')) ? undefined : true));
    assert.equal(isProcessAlive(events.pid!), false);
    assert.equal(await exists(join(runtimeDir, ns)), false, 'the namespace directory is left behind');
    assert.deepEqual(await readdir(runtimeDir), []);
  });
});

describe('druid: plain HTTP etcd, replicas 0, stopAllEtcds', () => {
  const ns = 'shoot--dev--plain';

  it('replicas 0 stops the server and keeps its data; replicas 1 brings it back on the same port', async () => {
    await etcds.create(ns, etcdObject('etcd-main'), ctx);
    const obj = await untilReady(ns, 'etcd-main');
    const running = (await state(ns, 'etcd-main'))!;
    assert.equal(obj.status?.endpoint, `http://127.0.0.1:${running.clientPort}`);
    const kv = new Etcd3({ hosts: running.clientUrl });
    try {
      await kv.put('hibernated').value('yes');
    } finally {
      kv.close();
    }

    await etcds.patch(ns, 'etcd-main', '', 'merge', { spec: { replicas: 0 } }, ctx);
    const stopped = await until('the etcd to stop', async () => {
      const o = await etcds.find(ns, 'etcd-main');
      return o && conditionOf(o, 'Ready')?.reason === 'Stopped' ? o : undefined;
    });
    assert.equal((stopped.status as { observedGeneration: number }).observedGeneration, 2);
    assert.equal(isProcessAlive(running.pid!), false);
    assert.equal((await state(ns, 'etcd-main'))!.pid, null);
    assert.ok(await exists(etcdPaths(runtimeDir, ns, 'etcd-main').dataDir));

    await etcds.patch(ns, 'etcd-main', '', 'merge', { spec: { replicas: 1 } }, ctx);
    await untilReady(ns, 'etcd-main', (o) => (o.status as { observedGeneration: number }).observedGeneration === 3);
    const back = (await state(ns, 'etcd-main'))!;
    assert.notEqual(back.pid, running.pid);
    assert.equal(back.clientPort, running.clientPort);
    const again = new Etcd3({ hosts: back.clientUrl });
    try {
      assert.equal(await again.get('hibernated').string(), 'yes');
    } finally {
      again.close();
    }
  });

  it('listEtcdProcesses lists the servers; stopAllEtcds stops them, and the druid restarts them', async () => {
    const listed = await listEtcdProcesses(runtimeDir);
    assert.deepEqual(
      listed.map((e) => [e.namespace, e.name, e.running]),
      [[ns, 'etcd-main', true]],
    );
    const pid = listed[0]!.state.pid!;
    assert.deepEqual(await stopAllEtcds(runtimeDir), [pid]);
    assert.equal(isProcessAlive(pid), false);
    const restarted = await until('a restarted etcd', async () => {
      const now = await state(ns, 'etcd-main');
      return now?.pid && now.pid !== pid && isProcessAlive(now.pid) ? now : undefined;
    });
    assert.equal(restarted.clientPort, listed[0]!.state.clientPort);

    await etcds.delete(ns, 'etcd-main', ctx, {});
    await until('etcd-main to be gone', async () => ((await etcds.find(ns, 'etcd-main')) ? undefined : true));
    assert.equal(isProcessAlive(restarted.pid!), false);
    assert.deepEqual(await readdir(runtimeDir), []);
  });
});

/**
 * A seed process in miniature: the druid over a SQLite file store, in a child process. The
 * modules come from this build (dist/), bare imports resolve from the repository root.
 */
const SEED_SCRIPT = `
const dist = process.env.DRUID_DIST;
const load = (path) => import(new URL(path, dist).href);
const { pino } = await import('pino');
const { openSqliteStore } = await load('src/storage/sqlite/sqlite-store.js');
const { GenericStore } = await load('src/apiserver/registry/generic-store.js');
const { AdmissionChain } = await load('src/apiserver/admission.js');
const { druidDefinitions } = await load('src/registry/druid/index.js');
const { coreDefinitions } = await load('src/registry/core/index.js');
const { Controller } = await load('src/controller/controller.js');
const { clientListWatch } = await load('src/controller/list-watch.js');
const { InProcessClient } = await load('src/apiserver/in-process-client.js');
const { EtcdReconciler } = await load('src/seed/druid/index.js');
const storage = openSqliteStore({ path: process.env.DRUID_DB });
const stores = [...druidDefinitions, ...coreDefinitions].map((def) => new GenericStore(def, storage, new AdmissionChain([])));
const client = new InProcessClient(
  (group, plural) => stores.find((s) => s.def.group === group && s.def.plural === plural),
  { user: { name: 'seed', groups: ['system:masters'] }, dryRun: false },
);
const reconciler = new EtcdReconciler({
  client,
  runtimeDir: process.env.DRUID_RUNTIME,
  logger: pino({ level: 'silent' }),
  healthCheckIntervalMs: 300,
  etcdArgs: JSON.parse(process.env.DRUID_ARGS),
});
const source = clientListWatch(client, druidDefinitions.find((d) => d.kind === 'Etcd'));
new Controller({ name: 'etcd-druid', source, reconciler, logger: pino({ level: 'silent' }) }).start();
setInterval(() => {}, 60_000);
`;

describe('druid: kill -9 of the seed process', () => {
  const ns = 'shoot--dev--crash';
  const db = join(crashDir, 'seed.db');
  const crashRuntime = join(crashDir, 'controlplanes');

  it('the etcd outlives the seed, and the restarted seed adopts it with its data', async () => {
    const seedStorage = openSqliteStore({ path: db });
    const seedEtcds = new GenericStore(
      druidDefinitions.find((d) => d.kind === 'Etcd')!,
      seedStorage,
      new AdmissionChain([]),
    );
    await seedEtcds.create(ns, etcdObject('etcd-main'), ctx);
    await seedStorage.close();

    const seed = spawn(process.execPath, ['--input-type=module', '-e', SEED_SCRIPT], {
      cwd: new URL('../../../', import.meta.url),
      env: {
        ...process.env,
        DRUID_DIST: new URL('../../', import.meta.url).href,
        DRUID_DB: db,
        DRUID_RUNTIME: crashRuntime,
        DRUID_ARGS: JSON.stringify(FAST_START_ARGS),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    seed.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const seedExited = new Promise((resolve) => seed.once('exit', resolve));
    let running: EtcdState;
    try {
      running = await until('the seed process to start etcd', async () => {
        const now = remember(await readEtcdState(etcdPaths(crashRuntime, ns, 'etcd-main')));
        return now?.pid && (await checkEtcdHealth(now.clientUrl)) ? now : undefined;
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nseed process stderr:\n${stderr}`);
    } finally {
      seed.kill('SIGKILL');
      await seedExited;
    }
    assert.ok(isProcessAlive(running.pid!), 'the etcd died with its seed');
    assert.ok(await checkEtcdHealth(running.clientUrl));
    const kv = new Etcd3({ hosts: running.clientUrl });
    try {
      await kv.put('survivor').value('yes');
    } finally {
      kv.close();
    }

    // The seed again, in this process: same store file, same runtime dir.
    const restartedStorage = openSqliteStore({ path: db });
    const restartedEtcds = new GenericStore(
      druidDefinitions.find((d) => d.kind === 'Etcd')!,
      restartedStorage,
      new AdmissionChain([]),
    );
    const restarted = startDruid({
      etcds: restartedEtcds,
      secrets: new GenericStore(
        coreDefinitions.find((d) => d.kind === 'Secret')!,
        restartedStorage,
        new AdmissionChain([]),
      ),
      runtimeDir: crashRuntime,
    });
    try {
      const obj = await until('the restarted seed to report the etcd ready', async () => {
        const o = await restartedEtcds.find(ns, 'etcd-main');
        return o && etcdReady(asEtcd(o)) ? asEtcd(o) : undefined;
      });
      assert.equal(obj.status?.endpoint, running.clientUrl);
      const adopted = (await readEtcdState(etcdPaths(crashRuntime, ns, 'etcd-main')))!;
      assert.equal(adopted.pid, running.pid, 'the restarted seed restarted the etcd instead of adopting it');
      const again = new Etcd3({ hosts: adopted.clientUrl });
      try {
        assert.equal(await again.get('survivor').string(), 'yes');
      } finally {
        again.close();
      }

      await restartedEtcds.delete(ns, 'etcd-main', ctx, {});
      await until('etcd-main to be gone', async () =>
        (await restartedEtcds.find(ns, 'etcd-main')) ? undefined : true,
      );
      assert.equal(isProcessAlive(running.pid!), false);
      assert.deepEqual(await readdir(crashRuntime), []);
    } finally {
      await restarted.stop();
      await restartedStorage.close();
    }
  });
});
