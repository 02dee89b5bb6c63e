/**
 * The local Worker actuator behind the generic extension controller, as two seeds run it: one
 * creates the machines, scales them, migrates (machines keep running); the other, with another
 * infrastructure directory, restores from the migrated state and adopts the same processes;
 * deleting stops them. The machines are plain waiting processes here (the node agent has its own
 * tests); what is real is the process handling, the credentials and the state.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { type Worker, workerResource } from '../../src/api/extensions/worker.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore, type RequestContext } from '../../src/apiserver/registry/generic-store.js';
import { Controller } from '../../src/controller/controller.js';
import { clientListWatch } from '../../src/controller/list-watch.js';
import { HostJournal, namespacePids } from '../../src/landscape/journal.js';
import { claimHostNetwork, ensureHosts, type HostNetworkPlan } from '../../src/landscape/netns.js';
import { isProcessAlive } from '../../src/process/processes.js';
import { secretDefinition } from '../../src/registry/core/secret.js';
import { workerDefinition } from '../../src/registry/extensions/worker.js';
import { ExtensionReconciler } from '../../src/seed/extensions/extension-controller.js';
import {
  type MachineRecord,
  type NodeAgentMachine,
  recordedMachines,
  workerActuator,
} from '../../src/seed/extensions/worker-actuator.js';
import { writeMachineHosts } from '../../src/seed/runtime/machine-hosts.js';
import { MachineRuntime } from '../../src/seed/runtime/machine-runtime.js';
import { generateShootSecrets, toSecretObjects } from '../../src/shoot/shoot-secrets.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { netnsUnavailable } from '../helpers/netns.js';
import { storeClient } from '../helpers/store-client.js';

const ctx: RequestContext = { user: { name: 'test', groups: ['system:masters'] }, dryRun: false };
const logger = pino({ level: 'silent' });
const NS = 'shoot--dev--w';
const API_SERVER = 'https://127.77.0.1:443';
const waitingMachine = { executable: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)', '--'] };

/** One seed: its store of Workers and Secrets and the extension controller with the actuator. */
function seedRunning(infrastructureDir: string, nodeAgentArgs: (m: NodeAgentMachine) => string[] = () => []) {
  const storage = openSqliteStore({ path: ':memory:' });
  const workers = new GenericStore(workerDefinition, storage, new AdmissionChain([]));
  const secrets = new GenericStore(secretDefinition, storage, new AdmissionChain([]));
  const machines = new MachineRuntime(waitingMachine, logger);
  const client = storeClient([workers, secrets], ctx);
  const controller = new Controller({
    name: 'workers',
    source: clientListWatch(client, workerResource),
    reconciler: new ExtensionReconciler({
      client,
      resource: workerResource,
      actuator: workerActuator({ seed: client, machines, infrastructureDir, nodeAgentArgs }),
    }),
    logger,
  });
  controller.start();
  /** The Worker as the controller reads it (through the Worker guard), undefined when there is none. */
  const find = async () => (await client.resource(workerResource).find(NS, 'w')) ?? undefined;
  return {
    workers,
    secrets,
    machines,
    find,
    async until(check: (w: Worker | undefined) => boolean, what: string): Promise<Worker | undefined> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const worker = await find();
        if (check(worker)) return worker;
        if (Date.now() > deadline) assert.fail(`timed out: ${what}; worker: ${JSON.stringify(worker)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** Pool `a` to `minimum` machines, pool `b` to one. */
    async scale(minimum: number): Promise<void> {
      const spec = workerSpec([
        { name: 'a', minimum },
        { name: 'b', minimum: 1 },
      ]);
      await workers.patch(NS, 'w', '', 'merge', { spec }, ctx);
    },
    /** `spec.providerConfig.hibernated`, as the gardenlet sets it for a hibernated shoot. */
    async hibernate(hibernated: boolean): Promise<void> {
      const providerConfig = { hibernated: hibernated ? true : null };
      await workers.patch(NS, 'w', '', 'merge', { spec: { providerConfig } }, ctx);
    },
    /** Sets `gardener.cloud/operation` on the Worker, as the gardenlet does. */
    async requestOperation(operation: string): Promise<void> {
      const annotations = { 'gardener.cloud/operation': operation };
      await workers.patch(NS, 'w', '', 'merge', { metadata: { annotations } }, ctx);
    },
    async stop() {
      controller.stop();
      await storage.close();
    },
  };
}

const lastOperation = (w: Worker | undefined) => {
  const op = w?.status?.lastOperation;
  return op ? `${op.type}/${op.state}` : '';
};
const operationDone = (w: Worker | undefined) => !w?.metadata.annotations?.['gardener.cloud/operation'];

function workerSpec(pools: Array<{ name: string; minimum: number }>) {
  return {
    type: 'local',
    region: 'local',
    secretRef: { name: 'cloudprovider', namespace: NS },
    providerConfig: {
      apiVersion: 'local.provider.extensions.transplant.dev/v1alpha1',
      kind: 'WorkerConfig',
      apiServerURL: API_SERVER,
    },
    pools: pools.map((p) => ({ ...p, machineType: 'local', maximum: Math.max(p.minimum, 1) })),
  };
}

describe('Worker actuator (local machines)', () => {
  let root: string;
  let seedA: ReturnType<typeof seedRunning>;
  let seedB: ReturnType<typeof seedRunning>;
  let pids: Map<string, number>;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'transplant-worker-'));
    seedA = seedRunning(join(root, 'infra-a'));
    seedB = seedRunning(join(root, 'infra-b'));
    const secrets = toSecretObjects(NS, await generateShootSecrets(NS));
    for (const seed of [seedA, seedB]) for (const secret of secrets) await seed.secrets.create(NS, secret, ctx);
  });

  after(async () => {
    for (const seed of [seedA, seedB]) {
      const worker = await seed.find();
      for (const m of worker ? recordedMachines(worker) : []) await seed.machines.stop(m.dir, { graceMs: 1_000 });
      await seed.stop();
    }
    for (const dir of await machineDirs()) await seedA.machines.stop(dir, { graceMs: 1_000 });
    await rm(root, { recursive: true, force: true });
  });

  async function machineDirs(): Promise<string[]> {
    const dirs: string[] = [];
    for (const infra of ['infra-a', 'infra-b']) {
      const names = await readdir(join(root, infra, NS)).catch(() => []);
      dirs.push(...names.map((n) => join(root, infra, NS, n)));
    }
    return dirs;
  }

  async function runningPids(machines: readonly MachineRecord[], seed = seedA): Promise<Map<string, number>> {
    const running = new Map<string, number>();
    for (const m of machines) {
      const pid = await seed.machines.running(m.dir);
      assert.ok(pid !== undefined && isProcessAlive(pid), `machine ${m.name} runs`);
      running.set(m.name, pid);
    }
    return running;
  }

  it('starts `minimum` machines per pool, each with a node kubeconfig for the stable address', async () => {
    await seedA.workers.create(
      NS,
      {
        metadata: { name: 'w' },
        spec: workerSpec([
          { name: 'a', minimum: 2 },
          { name: 'b', minimum: 1 },
        ]),
      },
      ctx,
    );
    const worker = await seedA.until((w) => lastOperation(w) === 'Create/Succeeded', 'created');
    const machines = recordedMachines(worker!);
    assert.deepEqual(
      machines.map((m) => `${m.pool}:${m.name}`),
      [`a:${NS}-a-0`, `a:${NS}-a-1`, `b:${NS}-b-0`],
    );
    pids = await runningPids(machines);
    assert.equal(new Set(pids.values()).size, 3);
    for (const m of machines) {
      assert.equal(m.dir, join(root, 'infra-a', NS, m.name));
      const file = join(m.dir, 'kubeconfig');
      assert.equal(statSync(file).mode & 0o777, 0o600, 'credentials are readable by the owner only');
      const kubeconfig = parseYaml(await readFile(file, 'utf8'));
      assert.equal(kubeconfig.clusters[0].cluster.server, API_SERVER);
      const cert = new X509Certificate(Buffer.from(kubeconfig.users[0].user['client-certificate-data'], 'base64'));
      assert.match(cert.subject, new RegExp(`CN=system:node:${m.name}`));
      assert.match(cert.subject, /O=system:nodes/);
    }
  });

  it('a reconcile again starts nothing new; scaling a pool down stops and removes its last machine', async () => {
    await seedA.requestOperation('reconcile');
    const again = await seedA.until(
      (w) => lastOperation(w) === 'Reconcile/Succeeded' && operationDone(w),
      'reconciled',
    );
    assert.deepEqual(await runningPids(recordedMachines(again!)), pids, 'the same processes');

    await seedA.scale(1);
    const scaled = await seedA.until((w) => recordedMachines(w!).length === 2, 'scaled down');
    const gone = join(root, 'infra-a', NS, `${NS}-a-1`);
    assert.equal(existsSync(gone), false, 'the removed machine has no directory');
    assert.equal(isProcessAlive(pids.get(`${NS}-a-1`)!), false, 'and no process');
    pids.delete(`${NS}-a-1`);
    assert.deepEqual(await runningPids(recordedMachines(scaled!)), pids);
  });

  it('hibernation stops the machines and keeps them; waking up starts the same machines again', async () => {
    const before = recordedMachines((await seedA.find())!);
    await seedA.hibernate(true);
    const hibernated = await seedA.until(
      (w) => w?.status?.observedGeneration === w?.metadata.generation && lastOperation(w).endsWith('/Succeeded'),
      'hibernated',
    );
    assert.deepEqual(recordedMachines(hibernated!), before, 'the record stays');
    for (const [name, pid] of pids) assert.equal(isProcessAlive(pid), false, `${name} stopped`);
    for (const m of before) {
      assert.equal(await seedA.machines.running(m.dir), undefined, `${m.name} does not run`);
      assert.ok(existsSync(join(m.dir, 'kubeconfig')), `${m.name} keeps its directory and credentials`);
    }

    await seedA.hibernate(false);
    const awake = await seedA.until(
      (w) => w?.status?.observedGeneration === w?.metadata.generation && lastOperation(w).endsWith('/Succeeded'),
      'woken up',
    );
    assert.deepEqual(recordedMachines(awake!), before, 'the same machines');
    pids = await runningPids(before);
  });

  it('migrate keeps the machines running; deleting the migrated object stops nothing', async () => {
    await seedA.requestOperation('migrate');
    const migrated = await seedA.until((w) => lastOperation(w) === 'Migrate/Succeeded' && operationDone(w), 'migrated');
    assert.equal(migrated!.metadata.finalizers, undefined);
    await seedA.workers.delete(NS, 'w', ctx, {});
    await seedA.until((w) => w === undefined, 'deleted on seed-a');
    const state = migrated!.status!.state as { machines: MachineRecord[] };
    assert.deepEqual(await runningPids(state.machines), pids);

    // seed-b: the Restore's wait-for-state, the state from the ShootState, then restore.
    await seedB.workers.create(
      NS,
      {
        metadata: { name: 'w', annotations: { 'gardener.cloud/operation': 'wait-for-state' } },
        spec: workerSpec([
          { name: 'a', minimum: 1 },
          { name: 'b', minimum: 1 },
        ]),
      },
      ctx,
    );
    await seedB.workers.patch(NS, 'w', 'status', 'merge', { status: { state } }, ctx);
    await seedB.requestOperation('restore');
    const restored = await seedB.until((w) => lastOperation(w) === 'Restore/Succeeded' && operationDone(w), 'restored');
    assert.deepEqual(await runningPids(recordedMachines(restored!), seedB), pids, 'seed-b adopted the same processes');
    assert.equal(existsSync(join(root, 'infra-b', NS)), false, 'and started none of its own');
  });

  it('a new machine after the move goes to the new seed; deleting the Worker stops every machine', async () => {
    await seedB.scale(2);
    const grown = await seedB.until((w) => recordedMachines(w!).length === 3, 'scaled up on seed-b');
    const added = recordedMachines(grown!).find((m) => m.name === `${NS}-a-1`)!;
    assert.equal(added.dir, join(root, 'infra-b', NS, added.name));
    const all = await runningPids(recordedMachines(grown!), seedB);

    await seedB.workers.delete(NS, 'w', ctx, {});
    await seedB.until((w) => w === undefined, 'deleted on seed-b');
    for (const [name, pid] of all) assert.equal(isProcessAlive(pid), false, `${name} stopped`);
    assert.deepEqual(await machineDirs(), [], 'no machine directory is left');
  });
});

describe('Worker actuator with machine hosts (network namespaces)', { skip: netnsUnavailable() }, () => {
  let root: string;
  let journal: HostJournal;
  let plan: HostNetworkPlan;
  let seedA: ReturnType<typeof seedRunning>;
  let seedB: ReturnType<typeof seedRunning>;
  const internalIPs = new Map<string, string>();
  const recordIP = (m: NodeAgentMachine) => {
    internalIPs.set(m.name, m.internalIP);
    return [];
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'transplant-worker-hosts-'));
    journal = new HostJournal(root);
    plan = await claimHostNetwork(root, journal, {
      domain: 'landscape.test',
      hosts: [{ name: 'machine-0' }, { name: 'machine-1' }],
    });
    await ensureHosts(plan, journal);
    // Both seeds share the landscape's "cloud": one infrastructure directory listing the hosts.
    const infrastructure = join(root, 'infrastructure');
    await writeMachineHosts(infrastructure, plan.hosts);
    seedA = seedRunning(infrastructure, recordIP);
    seedB = seedRunning(infrastructure, recordIP);
    const secrets = toSecretObjects(NS, await generateShootSecrets(NS));
    for (const seed of [seedA, seedB]) for (const secret of secrets) await seed.secrets.create(NS, secret, ctx);
  });

  after(async () => {
    for (const seed of [seedA, seedB]) await seed?.stop();
    await journal?.undo({ graceMs: 1000 });
    await rm(root, { recursive: true, force: true });
  });

  it('puts each machine on a host of its own, in its namespace, with the host address as InternalIP', async () => {
    await seedA.workers.create(NS, { metadata: { name: 'w' }, spec: workerSpec([{ name: 'a', minimum: 2 }]) }, ctx);
    const worker = await seedA.until((w) => lastOperation(w) === 'Create/Succeeded', 'created');
    const machines = recordedMachines(worker!);
    assert.deepEqual(
      machines.map((m) => m.host?.name),
      ['machine-0', 'machine-1'],
    );
    for (const m of machines) {
      const host = plan.hosts.find((h) => h.name === m.host!.name)!;
      const pid = await seedA.machines.running(m.dir);
      assert.ok(
        pid !== undefined && (await namespacePids(host.netns)).includes(pid),
        `${m.name} runs in ${host.netns}`,
      );
      assert.equal(internalIPs.get(m.name), host.address);
    }
  });

  it('a machine more than there are hosts fails the reconcile, naming the cause', async () => {
    await seedA.scale(2);
    const failed = await seedA.until(
      (w) => lastOperation(w) === 'Reconcile/Error' || lastOperation(w) === 'Reconcile/Failed',
      'failed',
    );
    assert.match(
      JSON.stringify(failed!.status?.lastError ?? failed!.status?.lastOperation),
      /no free host for machine/,
    );
    await seedA.workers.patch(
      NS,
      'w',
      '',
      'merge',
      {
        spec: workerSpec([
          { name: 'a', minimum: 2 },
          { name: 'b', minimum: 0 },
        ]),
      },
      ctx,
    );
    await seedA.until((w) => lastOperation(w) === 'Reconcile/Succeeded', 'reconciled again');
  });

  it('another seed restoring the state adopts the machines on their hosts; delete frees the hosts', async () => {
    const before = await seedA.find();
    const state = before!.status!.state as { machines: MachineRecord[] };
    const pids = await Promise.all(state.machines.map((m) => seedA.machines.running(m.dir)));
    await seedA.requestOperation('migrate');
    await seedA.until((w) => lastOperation(w) === 'Migrate/Succeeded' && operationDone(w), 'migrated');
    await seedA.workers.delete(NS, 'w', ctx, {});
    await seedB.workers.create(
      NS,
      {
        metadata: { name: 'w', annotations: { 'gardener.cloud/operation': 'wait-for-state' } },
        spec: workerSpec([{ name: 'a', minimum: 2 }]),
      },
      ctx,
    );
    await seedB.workers.patch(NS, 'w', 'status', 'merge', { status: { state } }, ctx);
    await seedB.requestOperation('restore');
    const restored = await seedB.until((w) => lastOperation(w) === 'Restore/Succeeded' && operationDone(w), 'restored');
    const machines = recordedMachines(restored!);
    assert.deepEqual(
      machines.map((m) => m.host?.name),
      ['machine-0', 'machine-1'],
    );
    assert.deepEqual(await Promise.all(machines.map((m) => seedB.machines.running(m.dir))), pids);
    await seedB.workers.delete(NS, 'w', ctx, {});
    await seedB.until((w) => w === undefined, 'deleted');
    for (const pid of pids) assert.equal(isProcessAlive(pid!), false);
    assert.deepEqual(await readdir(join(root, 'infrastructure', 'hosts')), [], 'no host is claimed any more');
  });
});
