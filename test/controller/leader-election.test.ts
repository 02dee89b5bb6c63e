/**
 * Leader election on a Lease (src/shoot/leader-election.ts) against a real store: one candidate
 * leads at a time; a stopping leader hands the Lease back so the next takes over at once; a
 * leader that stops renewing is replaced once its Lease expired, and a leader that cannot renew
 * stops leading itself before that.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { leaseResource } from '../../src/api/coordination/lease.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import type { Client } from '../../src/client/client.js';
import { type LeaderElector, startLeaderElection } from '../../src/controller/leader-election.js';
import { leaseDefinition } from '../../src/registry/coordination/lease.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { until } from '../helpers/processes.js';
import { storeClient } from '../helpers/store-client.js';

const storage = openSqliteStore({ path: ':memory:' });
const client = storeClient([new GenericStore(leaseDefinition, storage, new AdmissionChain([]))]);
const fast = { leaseDurationMs: 1_000, renewDeadlineMs: 600, retryPeriodMs: 100 };

/** `client`, but every call answers what `intercept` returns instead, unless that is undefined. */
function interceptedClient(intercept: () => Promise<unknown> | undefined): Client {
  return {
    resource: (ref) =>
      new Proxy(client.resource(ref), {
        get: (target, prop, receiver) => {
          const value = Reflect.get(target, prop, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => intercept() ?? value.apply(target, args);
        },
      }),
  };
}

/** A candidate that records when it leads. */
function candidate(name: string, identity: string, via: Client = client) {
  const events: string[] = [];
  const elector = startLeaderElection({
    client: via,
    namespace: 'kube-system',
    name,
    identity,
    ...fast,
    onStartedLeading: () => void events.push('started'),
    onStoppedLeading: () => void events.push('stopped'),
  });
  return { elector, events };
}

describe('leader election', () => {
  const electors: LeaderElector[] = [];
  after(async () => {
    for (const elector of electors) await elector.stop();
    await storage.close();
  });

  it('one candidate leads at a time; a stopping leader hands over at once', async () => {
    const a = candidate('one-at-a-time', 'a');
    const b = candidate('one-at-a-time', 'b');
    electors.push(a.elector, b.elector);
    await until(async () => a.elector.leading || b.elector.leading, 3_000, 'someone leads');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.notEqual(a.elector.leading, b.elector.leading, 'exactly one leads');
    const [leader, other] = a.elector.leading ? [a, b] : [b, a];
    const stoppedAt = Date.now();
    await leader.elector.stop();
    assert.deepEqual(leader.events, ['started', 'stopped']);
    await until(async () => other.elector.leading, 3_000, 'the other takes over');
    // Within a retry period or two, not after the lease's whole duration.
    assert.ok(Date.now() - stoppedAt < fast.leaseDurationMs, `took ${Date.now() - stoppedAt} ms`);
    const lease = await client.resource(leaseResource).get('kube-system', 'one-at-a-time');
    assert.equal((lease.spec as { leaseTransitions: number }).leaseTransitions >= 1, true);
  });

  it('a holder that stops renewing is replaced after its Lease expired', async () => {
    const leases = client.resource(leaseResource);
    const renewTime = new Date(Date.now()).toISOString();
    await leases.create('kube-system', {
      metadata: { name: 'expiring', namespace: 'kube-system' },
      spec: { holderIdentity: 'crashed', leaseDurationSeconds: 1, renewTime, acquireTime: renewTime },
    });
    const started = Date.now();
    const c = candidate('expiring', 'c');
    electors.push(c.elector);
    await until(async () => c.elector.leading, 5_000, 'c leads');
    assert.ok(Date.now() - started >= 800, `c waited for the lease to expire (${Date.now() - started} ms)`);
  });

  it('a leader that cannot renew stops leading within its renew deadline', async () => {
    let broken = false;
    const flaky = interceptedClient(() =>
      broken ? Promise.reject(new Error('the API server is unreachable')) : undefined,
    );
    const d = candidate('partitioned', 'd', flaky);
    electors.push(d.elector);
    await until(async () => d.elector.leading, 3_000, 'd leads');
    broken = true;
    const cutAt = Date.now();
    await until(async () => !d.elector.leading, 3_000, 'd stops leading');
    const after = Date.now() - cutAt;
    assert.ok(after < fast.leaseDurationMs, `stopped ${after} ms after the cut, before the lease could expire`);
    assert.deepEqual(d.events, ['started', 'stopped']);
  });

  it('a leader whose renewal hangs stops leading within its renew deadline, not when the request gives up', async () => {
    let hanging = false;
    // A store that does not answer: the request ends only after 5 s (the lease lasts 1 s).
    const stuck = interceptedClient(() =>
      hanging ? new Promise((_, reject) => setTimeout(() => reject(new Error('deadline exceeded')), 5_000)) : undefined,
    );
    const e = candidate('hanging', 'e', stuck);
    electors.push(e.elector);
    await until(async () => e.elector.leading, 3_000, 'e leads');
    hanging = true;
    const cutAt = Date.now();
    await until(async () => !e.elector.leading, 3_000, 'e stops leading');
    const after = Date.now() - cutAt;
    assert.ok(after < fast.leaseDurationMs, `stopped ${after} ms after the store hung, before the lease could expire`);
    assert.deepEqual(e.events, ['started', 'stopped']);
    hanging = false;
  });
});
