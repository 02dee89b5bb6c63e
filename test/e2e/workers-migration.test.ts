/**
 * Shoot workers across a control plane migration (issue 6): a shoot with 3 machines — node-agent
 * processes started by the local Worker extension on the landscape's infrastructure — moves from
 * seed-a to seed-b. The same processes (same pids) carry on as Ready nodes whose Leases the new
 * API server sees renewed, the API server reaches each of them through its VPN tunnel (kubectl's
 * `nodes/<name>/proxy`, answered by the node), no machine is started twice, and deleting the
 * shoot leaves no machine process or directory behind.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandLine, findProcessesByArgument } from '../../src/process/processes.js';
import { MACHINE_DIR_ARGUMENT } from '../../src/seed/runtime/machine-runtime.js';
import type { Json } from '../helpers/api-client.js';
import { kubectl } from '../helpers/kubectl.js';
import {
  CONTROL_PLANE,
  readyNodes as readyNodesOf,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  setWorkerMachines,
  startShootOnLandscape,
  triggerMigration,
} from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';

const MACHINES = 3;

describe('shoot workers across a migration', () => {
  let shoot: ShootOnLandscape;
  let infrastructure: string;

  before(async () => {
    shoot = await startShootOnLandscape();
    infrastructure = join(shoot.landscape.dir, 'infrastructure');
    await setWorkerMachines(shoot.landscape.garden, MACHINES);
  });

  after(async () => {
    await shoot?.stop();
  });

  const readyNodes = () => readyNodesOf(shoot.client);

  async function leaseRenewTimes(): Promise<Map<string, string>> {
    const { body } = await shoot.client.request(
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
    );
    return new Map(((body as Json).items ?? []).map((l: Json) => [l.metadata.name, l.spec.renewTime]));
  }

  /** Machine processes on the landscape's infrastructure, by machine directory. */
  async function machineProcesses(): Promise<Map<string, number>> {
    const byDir = new Map<string, number>();
    for (const pid of await findProcessesByArgument(MACHINE_DIR_ARGUMENT, (dir) => dir.startsWith(infrastructure))) {
      const arg = commandLine(pid)?.find((a) => a.startsWith(MACHINE_DIR_ARGUMENT));
      if (arg) byDir.set(arg.slice(MACHINE_DIR_ARGUMENT.length), pid);
    }
    return byDir;
  }

  /** Each node answers `/configz` through the API server and its tunnel, naming itself. */
  async function nodesAnswerThroughTunnel(): Promise<void> {
    for (const node of expectedNodes) {
      const health = await kubectl(shoot.kubeconfig, ['get', '--raw', `/api/v1/nodes/${node}/proxy/healthz`]);
      assert.equal(health.stdout, 'ok', `${node}: ${health.stderr}`);
      const configz = await kubectl(shoot.kubeconfig, ['get', '--raw', `/api/v1/nodes/${node}/proxy/configz`]);
      assert.equal(configz.code, 0, configz.stderr);
      assert.equal(JSON.parse(configz.stdout).kubeletconfig.nodeName, node, 'the node itself answered');
    }
  }

  let machinesBefore: Map<string, number>;
  const expectedNodes = Array.from({ length: MACHINES }, (_, i) => `${CONTROL_PLANE}-local-${i}`);

  it(`runs ${MACHINES} machines as Ready nodes on seed-a`, async () => {
    await eventually(
      async () => ((await readyNodes()).join() === expectedNodes.join() ? true : undefined),
      60_000,
      `${MACHINES} Ready nodes`,
    );
    machinesBefore = await machineProcesses();
    assert.equal(machinesBefore.size, MACHINES, [...machinesBefore.keys()].join(', '));
    const { body: nodes } = await shoot.client.request('GET', '/api/v1/nodes');
    const shootVersion = (await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT)).spec.kubernetes.version;
    for (const node of (nodes as Json).items) {
      assert.equal(
        node.status.nodeInfo?.kubeletVersion,
        `v${shootVersion}`,
        `${node.metadata.name} runs the shoot's version`,
      );
    }
    await nodesAnswerThroughTunnel();
  });

  it('the same machine processes are Ready nodes after the migration, their leases renewed by the new API server', async () => {
    await triggerMigration(shoot.landscape.garden, 'seed-b');
    await eventually(
      async () => {
        const s = await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
        const op = s.status?.lastOperation;
        return op?.type === 'Restore' && op.state === 'Succeeded' && s.status.seedName === 'seed-b' ? true : undefined;
      },
      120_000,
      'the shoot is restored on seed-b',
    );
    const restoredAt = new Date().toISOString();
    assert.deepEqual(await machineProcesses(), machinesBefore, 'the same processes, none started twice');
    // The Restore's Succeeded status carries the health seed-b saw: every node Ready and reachable.
    const wide = await kubectl(shoot.landscape.garden, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT, '-o', 'wide']);
    assert.match(
      wide.stdout,
      /Restore Succeeded \(100%\)\s+healthy\s+seed-b\s+\S+\s+True\s+True\s+<unknown>\s+True\s+True\s/,
    );
    await eventually(
      async () => {
        const renewed = await leaseRenewTimes().catch(() => new Map<string, string>());
        return expectedNodes.every((n) => (renewed.get(n) ?? '') > restoredAt) ? true : undefined;
      },
      60_000,
      'every lease is renewed after the Restore',
    );
    assert.deepEqual(await readyNodes(), expectedNodes);
    // The Restore's last step checked it; the operator sees it with the kubeconfig from before.
    await nodesAnswerThroughTunnel();
    const worker = await kubectl(shoot.landscape.seedKubeconfig('seed-b'), [
      'get',
      'workers.extensions.gardener.cloud',
      '-n',
      CONTROL_PLANE,
      SHOOT,
      '-o',
      'json',
    ]);
    assert.equal(worker.code, 0, worker.stderr);
    const recorded = JSON.parse(worker.stdout)
      .status.state.machines.map((m: Json) => m.dir)
      .sort();
    assert.deepEqual(recorded, [...machinesBefore.keys()].sort(), 'seed-b records the machines it adopted');
  });

  it('deleting the shoot stops every machine and removes their directories', async () => {
    const deleted = await kubectl(shoot.landscape.garden, [
      'delete',
      'shoot',
      '-n',
      SHOOT_NAMESPACE,
      SHOOT,
      '--wait=false',
    ]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await eventually(
      async () =>
        (await kubectl(shoot.landscape.garden, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT])).code !== 0
          ? true
          : undefined,
      120_000,
      'the shoot is gone',
    );
    assert.deepEqual([...(await machineProcesses()).keys()], [], 'no machine process is left');
    for (const dir of machinesBefore.keys()) assert.equal(existsSync(dir), false, `${dir} is removed`);
    const left = await readdir(join(infrastructure, CONTROL_PLANE)).catch(() => []);
    assert.deepEqual(left, []);
  });
});
