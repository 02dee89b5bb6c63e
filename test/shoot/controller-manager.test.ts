/**
 * A shoot's kube-controller-manager (src/shoot/controller-manager/) against real stores: the
 * leader runs the controllers — every namespace gets its `default` ServiceAccount, a deleted one
 * comes back — and a second instance only waits.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { namespaceResource } from '../../src/api/core/namespace.js';
import { serviceAccountResource } from '../../src/api/core/service-account.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import { leaseDefinition } from '../../src/registry/coordination/lease.js';
import { namespaceDefinition } from '../../src/registry/core/namespace.js';
import { serviceAccountDefinition } from '../../src/registry/core/service-account.js';
import {
  type ShootControllerManager,
  startShootControllerManager,
} from '../../src/shoot/controller-manager/controller-manager.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { until } from '../helpers/processes.js';
import { storeClient } from '../helpers/store-client.js';

const storage = openSqliteStore({ path: ':memory:' });
const client = storeClient(
  [leaseDefinition, namespaceDefinition, serviceAccountDefinition].map(
    (def) => new GenericStore(def, storage, new AdmissionChain([])),
  ),
);
const logger = pino({ level: 'silent' });
const fast = { leaseDurationMs: 1_000, renewDeadlineMs: 600, retryPeriodMs: 100 };

describe('kube-controller-manager', () => {
  const managers: ShootControllerManager[] = [];
  after(async () => {
    for (const manager of managers) await manager.stop();
    await storage.close();
  });

  it('gives every namespace its default ServiceAccount, again when deleted; one instance leads', async () => {
    for (const name of ['kube-system', 'apps'])
      await client.resource(namespaceResource).create('', { metadata: { name } });
    const first = startShootControllerManager({ client, identity: 'seed-a_1', logger, ...fast });
    const second = startShootControllerManager({ client, identity: 'seed-b_2', logger, ...fast });
    managers.push(first, second);
    const accounts = client.resource(serviceAccountResource);
    await until(async () => (await accounts.find('apps', 'default')) !== null, 5_000, 'apps/default');
    assert.ok(await accounts.find('kube-system', 'default'));
    assert.notEqual(first.leading, second.leading, 'one leads, the other waits');

    await client.resource(namespaceResource).create('', { metadata: { name: 'later' } });
    await until(async () => (await accounts.find('later', 'default')) !== null, 5_000, 'a new namespace gets one');
    await accounts.delete('apps', 'default');
    await until(async () => (await accounts.find('apps', 'default')) !== null, 5_000, 'a deleted one comes back');
  });
});
