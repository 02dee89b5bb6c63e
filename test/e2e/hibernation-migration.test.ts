/**
 * Hibernation across a migration (issue 16, item 4): a shoot with data — ConfigMaps, Secrets and
 * a Deployment whose pods run on its two machines — is hibernated with Gardener's documented
 * `kubectl patch` (API server unreachable, etcd stopped on its kept data, machines stopped,
 * `status.hibernated`, the HIBERNATION column), moved to seed-b with the seed document's command
 * while hibernated (Migrate and Restore Succeeded, still hibernated there), and woken up on seed-b:
 * every object of the shoot is as it was, resourceVersions included, the same pods on the same
 * nodes, and the nodes Ready again. The seed hibernating it, and the one restoring it, are each
 * killed once right after "Hibernating control plane" did its work: the step runs again and finds
 * it done.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CRASH_FILE_ENV, crashPoint } from '../../src/flow/index.js';
import { findProcessesByArgument } from '../../src/process/processes.js';
import { MACHINE_DIR_ARGUMENT } from '../../src/seed/runtime/machine-runtime.js';
import type { Json } from '../helpers/api-client.js';
import { type ClusterSnapshot, differences, restingCluster } from '../helpers/cluster-snapshot.js';
import { kubectl } from '../helpers/kubectl.js';
import {
  CONTROL_PLANE,
  readyNodes,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  setWorkerMachines,
  startShootOnLandscape,
  triggerMigration,
} from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';

const MACHINES = 2;
const REPLICAS = 3;

describe('a hibernated shoot migrated and woken up on the destination', () => {
  let shoot: ShootOnLandscape;
  let infrastructure: string;
  let crashDir: string;
  let crashFile: string;
  const garden = () => shoot.landscape.garden;
  const ok = async (kubeconfig: string, ...args: string[]) => {
    const result = await kubectl(kubeconfig, args);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const inShoot = (...args: string[]) => ok(shoot.kubeconfig, ...args);

  before(async () => {
    crashDir = await mkdtemp(join(tmpdir(), 'transplant-hibernation-'));
    crashFile = join(crashDir, 'crash-point');
    shoot = await startShootOnLandscape({ env: { [CRASH_FILE_ENV]: crashFile } });
    infrastructure = join(shoot.landscape.dir, 'infrastructure');
    await setWorkerMachines(garden(), MACHINES);
  });

  after(async () => {
    await shoot?.stop();
    if (crashDir) await rm(crashDir, { recursive: true, force: true });
  });

  /** Kills `seed` once right after `flow`'s "Hibernating control plane" did its work; returns a check that it happened. */
  async function crashAfterHibernating(seed: string, flow: string): Promise<() => Promise<void>> {
    const pid = (await shoot.landscape.file()).seeds[seed]?.pid;
    await writeFile(crashFile, crashPoint('after', flow, 'Hibernating control plane'));
    return async () => {
      assert.equal(existsSync(crashFile), false, `${seed} reached the crash point`);
      assert.notEqual((await shoot.landscape.file()).seeds[seed]?.pid, pid, `${seed} was killed and started again`);
    };
  }

  /** `kubectl patch shoot … {"spec":{"hibernation":{"enabled": …}}}`, as Gardener's documentation says. */
  async function setHibernation(enabled: boolean): Promise<void> {
    const patch = JSON.stringify({ spec: { hibernation: { enabled } } });
    await ok(garden(), 'patch', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT, '--type', 'merge', '-p', patch);
  }

  /** The shoot once an operation on its current spec succeeded with `status.hibernated` as given. */
  async function settled(hibernated: boolean, operation: string, timeoutMs = 180_000): Promise<Json> {
    return eventually(
      async () => {
        const s = await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT).catch(() => undefined);
        const last = s?.status?.lastOperation;
        const done =
          last?.type === operation &&
          last.state === 'Succeeded' &&
          s.status.observedGeneration === s.metadata.generation &&
          (s.status.hibernated === true) === hibernated;
        return done ? s : undefined;
      },
      timeoutMs,
      `${operation} Succeeded, hibernated=${hibernated}`,
    );
  }

  async function machineProcesses(): Promise<number[]> {
    return findProcessesByArgument(MACHINE_DIR_ARGUMENT, (dir) => dir.startsWith(infrastructure));
  }

  async function etcdMain(seed: string): Promise<Json | undefined> {
    const got = await kubectl(shoot.landscape.seedKubeconfig(seed), [
      'get',
      'etcd',
      '-n',
      CONTROL_PLANE,
      'etcd-main',
      '-o',
      'json',
    ]);
    return got.code === 0 ? JSON.parse(got.stdout) : undefined;
  }

  async function hibernationColumn(): Promise<string> {
    const table = await ok(garden(), 'get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT);
    const [header, row] = table.trim().split('\n');
    const at = header!.indexOf('HIBERNATION');
    return row!.slice(at).split(/\s{2,}/)[0]!;
  }

  /** The shoot's API refuses: nothing serves at its address. */
  async function apiUnreachable(): Promise<void> {
    const got = await kubectl(shoot.kubeconfig, ['get', 'namespaces', '--request-timeout=5s']);
    assert.notEqual(got.code, 0, 'the API server answered');
  }

  async function webPods(): Promise<Map<string, string>> {
    const list = JSON.parse(await inShoot('get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'json')).items as Json[];
    return new Map(list.map((p) => [p.metadata.uid, `${p.spec.nodeName} ${p.status.phase}`]));
  }

  let snapshotBefore: ClusterSnapshot;
  let podsBefore: Map<string, string>;
  const nodes = Array.from({ length: MACHINES }, (_, i) => `${CONTROL_PLANE}-local-${i}`);

  it('holds ConfigMaps, Secrets and a Deployment whose pods run on its nodes', async () => {
    await eventually(
      async () => ((await readyNodes(shoot.client)).join() === nodes.join() ? true : undefined),
      60_000,
      `${MACHINES} Ready nodes`,
    );
    await inShoot('create', 'namespace', 'shop');
    for (let i = 0; i < 3; i++) {
      await inShoot('create', 'configmap', `settings-${i}`, '-n', 'shop', `--from-literal=level=${i}`);
      await inShoot('create', 'secret', 'generic', `token-${i}`, '-n', 'shop', `--from-literal=token=t${i}`);
    }
    await inShoot('create', 'deployment', 'web', '-n', 'shop', '--image=nginx', `--replicas=${REPLICAS}`);
    await inShoot('rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=120s');
    podsBefore = await webPods();
    assert.equal(podsBefore.size, REPLICAS);
    for (const [uid, at] of podsBefore) assert.match(at, / Running$/, uid);
    snapshotBefore = await restingCluster(shoot.client);
    assert.ok(snapshotBefore.has('/configmaps/shop/settings-2') && snapshotBefore.has('/secrets/shop/token-2'));
  });

  it('hibernates: API server unreachable, etcd stopped on its data, machines stopped, status.hibernated', async () => {
    const crashed = await crashAfterHibernating('seed-a', 'Shoot cluster reconciliation');
    await setHibernation(true);
    // Hibernating until the gardenlet is done (it may be done already).
    assert.match(await hibernationColumn(), /^Hibernat(ing|ed)$/);
    const hibernated = await settled(true, 'Reconcile');
    assert.equal(hibernated.status.seedName, 'seed-a');
    await crashed();
    assert.equal(await hibernationColumn(), 'Hibernated');
    const conditions = hibernated.status.conditions as Json[];
    assert.ok(conditions.length >= 4);
    for (const c of conditions) assert.equal(`${c.status} ${c.message}`, 'True Shoot cluster has been hibernated.');
    assert.deepEqual(
      (hibernated.status.constraints as Json[]).map((c) => `${c.type}=${c.status}/${c.reason}`),
      ['HibernationPossible=True/ConstraintNotChecked'],
    );
    await apiUnreachable();
    const etcd = await etcdMain('seed-a');
    assert.equal(etcd?.spec.replicas, 0);
    assert.equal(etcd?.status.currentReplicas, 0, 'etcd is stopped');
    assert.deepEqual(await machineProcesses(), [], 'no machine runs');
    const steps = await ok(
      garden(),
      'get',
      'shoot',
      '-n',
      SHOOT_NAMESPACE,
      SHOOT,
      '-o',
      'jsonpath={.status.lastOperation.description}',
    );
    assert.match(steps, /successfully reconciled/);
  });

  it("moves to seed-b with the seed document's command while hibernated, and stays hibernated there", async () => {
    const crashed = await crashAfterHibernating('seed-b', 'Shoot cluster restoration');
    await triggerMigration(garden(), 'seed-b');
    const restored = await settled(true, 'Restore', 240_000);
    await crashed();
    assert.equal(restored.status.seedName, 'seed-b');
    assert.equal(await hibernationColumn(), 'Hibernated');
    assert.equal(await etcdMain('seed-a'), undefined, 'nothing of it is left on seed-a');
    const etcd = await etcdMain('seed-b');
    assert.equal(etcd?.spec.replicas, 0, 'restored, then stopped');
    assert.equal(etcd?.status.currentReplicas, 0);
    await apiUnreachable();
    assert.deepEqual(await machineProcesses(), [], 'no machine was started');
  });

  it('wakes up on seed-b with every object as it was, the same pods on the same nodes, the nodes Ready', async () => {
    await setHibernation(false);
    const awake = await settled(false, 'Reconcile');
    assert.equal(awake.status.seedName, 'seed-b');
    assert.equal(await hibernationColumn(), 'Awake');
    assert.equal((await machineProcesses()).length, MACHINES, 'the machines run again');
    await eventually(
      async () => ((await readyNodes(shoot.client).catch(() => [])).join() === nodes.join() ? true : undefined),
      60_000,
      `${MACHINES} Ready nodes`,
    );
    const now = await restingCluster(shoot.client);
    assert.deepEqual(differences(snapshotBefore, now), { added: [], removed: [], changed: [] });
    assert.deepEqual(await webPods(), podsBefore, 'the same pods, Running on the same nodes');
    assert.equal(
      await ok(shoot.kubeconfig, 'get', 'configmap', 'settings-1', '-n', 'shop', '-o', 'jsonpath={.data.level}'),
      '1',
    );
  });
});
