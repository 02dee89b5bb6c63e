/**
 * The seed document's second failure mode with real machines (issue 6): the shoot's machine may
 * not reach the destination seed's network (its egress deny list names seed-b). The Restore on
 * seed-b then stays at "Waiting until the Kubernetes API server can connect to the Shoot workers"
 * with a lastError naming the node; skip-readiness finishes the Restore (and goes); the node,
 * silent on seed-b, becomes Ready=Unknown and the API server cannot reach it (no VPN tunnel);
 * migrating back to seed-a brings the same machine back as a Ready node the API server reaches.
 * `make test` runs it where the multi-host twin (hosts-pitfalls, 2.) cannot run. Short timings (`--wait-timeout 8 --node-monitor-grace-period 6`) keep it quick.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Json } from '../helpers/api-client.js';
import { kubectl } from '../helpers/kubectl.js';
import {
  annotateSkipReadiness,
  denyMachineEgress,
  MACHINE,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  SKIP_READINESS,
  startShootOnLandscape,
  triggerMigration,
  WORKERS_STEP,
} from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';
import { loopbackTwinOf } from '../helpers/test-matrix.js';

const NODE = MACHINE;

describe('workers cut off from the destination seed', { skip: loopbackTwinOf('hosts-pitfalls (2.)') }, () => {
  let shoot: ShootOnLandscape;

  before(async () => {
    shoot = await startShootOnLandscape({ upArgs: ['--wait-timeout', '8', '--node-monitor-grace-period', '6'] });
  });

  after(async () => {
    await shoot?.stop();
  });

  async function nodeReady(): Promise<string | undefined> {
    const node = await shoot.client.request('GET', `/api/v1/nodes/${NODE}`);
    if (node.status !== 200) return undefined;
    return ((node.body as Json).status?.conditions ?? []).find((c: Json) => c.type === 'Ready')?.status;
  }

  /** What the API server gets from the node through its VPN tunnel. */
  const probeNode = () => shoot.client.request('GET', `/api/v1/nodes/${NODE}/proxy/healthz`);

  async function restoredOn(seed: string): Promise<Json> {
    return eventually(
      async () => {
        const s = await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
        const op = s.status?.lastOperation;
        return op?.type === 'Restore' && op.state === 'Succeeded' && s.status.seedName === seed ? s : undefined;
      },
      120_000,
      `the shoot is restored on ${seed}`,
    );
  }

  it('the Restore waits at the workers step with a lastError naming the node', async () => {
    await eventually(async () => ((await nodeReady()) === 'True' ? true : undefined), 60_000, 'the node is Ready');
    await denyMachineEgress(shoot.landscape, ['seed-b']);
    await triggerMigration(shoot.landscape.garden, 'seed-b');
    const error = await eventually(
      async () => {
        const s = await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
        return (s.status?.lastErrors ?? []).find((e: Json) => e.taskID === WORKERS_STEP);
      },
      90_000,
      `a lastError at "${WORKERS_STEP}"`,
    );
    // Which of the two depends on timing: silent since the API server started, or already Unknown.
    assert.match(
      error.description,
      new RegExp(
        `${NODE} (has not reached this API server yet|is not Ready \\(NodeStatusUnknown: Kubelet stopped posting node status\\.\\))`,
      ),
    );
  });

  it('skip-readiness finishes the Restore and goes; the silent node becomes Ready=Unknown', async () => {
    await annotateSkipReadiness(shoot.landscape.garden);
    const restored = await restoredOn('seed-b');
    assert.deepEqual(restored.status.lastErrors ?? [], []);
    // What skip-readiness skipped shows in the health conditions instead.
    const system = (restored.status.conditions as Json[]).find((c) => c.type === 'SystemComponentsHealthy');
    assert.equal(system?.status, 'False');
    assert.equal(system?.reason, 'TunnelConnectionBroken');
    assert.match(system?.message, new RegExp(`cannot reach ${NODE} through the VPN tunnel`));
    const table = await kubectl(shoot.landscape.garden, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT]);
    assert.match(table.stdout, /Restore Succeeded \(100%\)\s+unhealthy\s/);
    await eventually(
      async () => {
        const s = await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
        return s.metadata.annotations?.[SKIP_READINESS] === undefined ? true : undefined;
      },
      30_000,
      'the annotation is removed',
    );
    await eventually(async () => ((await nodeReady()) === 'Unknown' ? true : undefined), 60_000, 'the node is Unknown');
    const probe = await probeNode();
    assert.equal(probe.status, 503);
    assert.match(probe.body.message, new RegExp(`error dialing backend: node ${NODE} has no tunnel`));
  });

  it('migrating back to seed-a brings the same machine back as a Ready node', async () => {
    await triggerMigration(shoot.landscape.garden, 'seed-a');
    const restored = await restoredOn('seed-a');
    assert.deepEqual(restored.status.lastErrors ?? [], []);
    const unhealthy = (restored.status.conditions as Json[]).filter((c) => c.status !== 'True');
    assert.deepEqual(unhealthy, [], 'healthy again');
    await eventually(async () => ((await nodeReady()) === 'True' ? true : undefined), 60_000, 'the node is Ready');
    const probe = await probeNode();
    assert.deepEqual([probe.status, probe.body], [200, 'ok'], 'the API server reaches the node through its tunnel');
  });
});
