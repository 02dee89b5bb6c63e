/**
 * The node lifecycle controller with a clock of the test's: a node whose Lease is older than the
 * grace period becomes Ready=Unknown, one renewed in time stays Ready, a fresh controller gives
 * every node a full grace period, and an agent's next heartbeat brings the node back.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { leaseResource } from '../../src/api/coordination/lease.js';
import { nodeResource } from '../../src/api/core/node.js';
import { isRecord, type KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import { leaseDefinition } from '../../src/registry/coordination/lease.js';
import { nodeDefinition } from '../../src/registry/core/node.js';
import { NodeLifecycleController } from '../../src/shoot/node-lifecycle.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { storeClient } from '../helpers/store-client.js';

const GRACE_MS = 40_000;
const T0 = Date.parse('2026-11-24T10:00:00Z');

describe('node lifecycle controller', () => {
  const storage = openSqliteStore({ path: ':memory:' });
  const client = storeClient([
    new GenericStore(nodeDefinition, storage, new AdmissionChain([])),
    new GenericStore(leaseDefinition, storage, new AdmissionChain([])),
  ]);
  const nodes = client.resource(nodeResource);
  const leases = client.resource(leaseResource);
  let now = T0;
  /** A controller on the test's clock, started now. */
  const newController = () =>
    new NodeLifecycleController({
      client,
      logger: pino({ level: 'silent' }),
      gracePeriodMs: GRACE_MS,
      now: () => now,
    });
  const controller = newController();

  after(async () => {
    await storage.close();
  });

  async function heartbeat(name: string): Promise<void> {
    const stamp = new Date(now).toISOString();
    const ready = {
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      lastHeartbeatTime: stamp,
      lastTransitionTime: stamp,
    };
    await nodes.createIfAbsent('', { metadata: { name } });
    await nodes.patch('', name, { status: { conditions: [ready] } }, { subresource: 'status' });
    const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: stamp };
    const lease = await leases.find('kube-node-lease', name);
    if (lease) await leases.patch('kube-node-lease', name, { spec });
    else await leases.create('kube-node-lease', { metadata: { name }, spec });
  }

  async function ready(name: string): Promise<string | undefined> {
    const node: KubeObject = await nodes.get('', name);
    const conditions = isRecord(node.status) && Array.isArray(node.status.conditions) ? node.status.conditions : [];
    return conditions.find((c: { type?: string }) => c.type === 'Ready')?.status;
  }

  it('gives every node the grace period from its start, then marks those whose lease expired Unknown', async () => {
    await heartbeat('renewing');
    await heartbeat('silent');
    now = T0 + GRACE_MS - 1_000;
    await heartbeat('renewing');
    assert.deepEqual(await controller.checkOnce(), [], 'within the grace period nothing changes');

    now = T0 + GRACE_MS + 1_000;
    assert.deepEqual(await controller.checkOnce(), ['silent']);
    assert.equal(await ready('silent'), 'Unknown');
    assert.equal(await ready('renewing'), 'True');
    assert.deepEqual(await controller.checkOnce(), [], 'an Unknown node is not marked again');
  });

  it("the agent's next heartbeat makes the node Ready again", async () => {
    await heartbeat('silent');
    assert.equal(await ready('silent'), 'True');
    assert.deepEqual(await controller.checkOnce(), []);
  });

  it('a controller started late counts from its own start, not from old leases', async () => {
    now = T0 + 10 * GRACE_MS;
    const fresh = newController();
    assert.deepEqual(await fresh.checkOnce(), [], 'a new API server does not call nodes unknown at once');
    now += GRACE_MS + 1;
    assert.deepEqual((await fresh.checkOnce()).sort(), ['renewing', 'silent']);
  });
});
