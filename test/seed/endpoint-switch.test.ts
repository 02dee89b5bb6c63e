/**
 * EndpointSwitch.serveUntilReleased, the live Migrate's "Deploying Kubernetes API server" on the
 * source (the API server and the record faked): after a restart of the source, a bind refused
 * with EADDRINUSE is no error once the record says the destination is switching the endpoint
 * (the destination binds only after writing `SwitchingEndpoint`); before that, and for any other
 * error, the step fails as before. The HA crash matrix found it: the source killed before
 * "Waiting until the destination seed switches the endpoint" restarted with a flow built before
 * the destination bound the address, and its Migrate failed with EADDRINUSE.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LiveMigrationPhase } from '../../src/api/core-gardener/live-migration.js';
import type { TaskContext } from '../../src/flow/task-fn.js';
import type { ComponentContext } from '../../src/seed/gardenlet/components/context.js';
import { EndpointSwitch } from '../../src/seed/gardenlet/components/endpoint-switch.js';

const ctx = { signal: new AbortController().signal, log: () => {} } as unknown as TaskContext;

function addressInUse(): Error {
  return Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.9:443'), { code: 'EADDRINUSE' });
}

/** The switch of a source whose API server's bind fails with `bindError` (or succeeds), the record at `phase`. */
function sourceSwitch(bindError: Error | undefined, phase: LiveMigrationPhase) {
  const deploys: number[] = [];
  const kubeApiServer = {
    async deploy() {
      deploys.push(1);
      if (bindError) throw bindError;
    },
  };
  const order: LiveMigrationPhase[] = ['Preparing', 'JoiningMembers', 'MembersJoined', 'SwitchingEndpoint'];
  const progress = { reached: async (p: LiveMigrationPhase) => order.indexOf(phase) >= order.indexOf(p) };
  const c = { waitTimeoutMs: 1_000 } as unknown as ComponentContext;
  const deps = { kubeApiServer, progress, dnsRecord: {} } as unknown as ConstructorParameters<typeof EndpointSwitch>[1];
  return { endpointSwitch: new EndpointSwitch(c, deps), deploys };
}

describe('EndpointSwitch.serveUntilReleased (the source restarted during a live migration)', () => {
  it('serves when the address is free', async () => {
    const { endpointSwitch, deploys } = sourceSwitch(undefined, 'MembersJoined');
    await endpointSwitch.serveUntilReleased(ctx);
    assert.equal(deploys.length, 1);
  });

  it('leaves the address to the destination once the record says it is switching the endpoint', async () => {
    const { endpointSwitch } = sourceSwitch(addressInUse(), 'SwitchingEndpoint');
    await endpointSwitch.serveUntilReleased(ctx);
    const wrapped = sourceSwitch(
      new Error('the API server did not start', { cause: addressInUse() }),
      'SwitchingEndpoint',
    );
    await wrapped.endpointSwitch.serveUntilReleased(ctx);
  });

  it('fails on EADDRINUSE before the destination switches (something else holds the address)', async () => {
    const { endpointSwitch } = sourceSwitch(addressInUse(), 'MembersJoined');
    await assert.rejects(endpointSwitch.serveUntilReleased(ctx), /EADDRINUSE/);
  });

  it('fails on any other error, whatever the record says', async () => {
    const { endpointSwitch } = sourceSwitch(new Error('etcd-main reports no client URL'), 'SwitchingEndpoint');
    await assert.rejects(endpointSwitch.serveUntilReleased(ctx), /no client URL/);
  });
});
