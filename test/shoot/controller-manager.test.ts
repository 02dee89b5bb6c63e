/**
 * A shoot's kube-controller-manager (src/shoot/controller-manager/) against real stores: the
 * leader runs the controllers — every namespace gets its `default` ServiceAccount, a deleted one
 * comes back; the garbage collector collects what lost its owners and carries out Background,
 * Foreground and Orphan deletions — and a second instance only waits.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { configMapResource } from '../../src/api/core/config-map.js';
import { namespaceResource } from '../../src/api/core/namespace.js';
import { serviceAccountResource } from '../../src/api/core/service-account.js';
import {
  type ShootControllerManager,
  startShootControllerManager,
} from '../../src/shoot/controller-manager/controller-manager.js';
import { controllerManagerFixture } from '../helpers/controller-manager-fixture.js';
import { until } from '../helpers/processes.js';

const stores = await controllerManagerFixture();
const { storage, client, discover } = stores;
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
    const rootCaPem = '-----BEGIN CERTIFICATE-----\nshoot CA\n-----END CERTIFICATE-----\n';
    const first = startShootControllerManager({ client, discover, identity: 'seed-a_1', logger, rootCaPem, ...fast });
    const second = startShootControllerManager({ client, discover, identity: 'seed-b_2', logger, rootCaPem, ...fast });
    managers.push(first, second);
    const accounts = client.resource(serviceAccountResource);
    await until(async () => (await accounts.find('apps', 'default')) !== null, 5_000, 'apps/default');
    assert.ok(await accounts.find('kube-system', 'default'));
    assert.notEqual(first.leading, second.leading, 'one leads, the other waits');

    await client.resource(namespaceResource).create('', { metadata: { name: 'later' } });
    await until(async () => (await accounts.find('later', 'default')) !== null, 5_000, 'a new namespace gets one');
    await accounts.delete('apps', 'default');
    await until(async () => (await accounts.find('apps', 'default')) !== null, 5_000, 'a deleted one comes back');

    // The root CA publisher: `kube-root-ca.crt` in every namespace, put back when edited or deleted.
    const configMaps = client.resource(configMapResource);
    const published = (ns: string) => async () =>
      ((await configMaps.find(ns, 'kube-root-ca.crt')) as { data?: Record<string, string> } | null)?.data?.[
        'ca.crt'
      ] === rootCaPem;
    for (const ns of ['kube-system', 'apps', 'later']) await until(published(ns), 5_000, `${ns}/kube-root-ca.crt`);
    await configMaps.patch('apps', 'kube-root-ca.crt', { data: { 'ca.crt': 'forged' } });
    await until(published('apps'), 5_000, 'an edited root CA is put back');
    await configMaps.delete('later', 'kube-root-ca.crt');
    await until(published('later'), 5_000, 'a deleted root CA comes back');
  });

  it('collects objects whose owners are gone, and carries out Background, Foreground and Orphan deletions', async () => {
    const configMaps = client.resource(configMapResource);
    const ns = 'apps';
    const owned = async (name: string, owner: { name?: string; uid?: string }, blockOwnerDeletion = false) =>
      configMaps.create(ns, {
        metadata: {
          name,
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: owner.name ?? '', uid: owner.uid ?? '', blockOwnerDeletion },
          ],
        },
      });
    const gone = (name: string) => async () => (await configMaps.find(ns, name)) === null;

    // Background (the default): the owner goes at once, its dependent after it.
    const parent = await configMaps.create(ns, { metadata: { name: 'parent' } });
    await owned('child', parent.metadata);
    await configMaps.delete(ns, 'parent');
    await until(gone('child'), 10_000, 'the dependent of a deleted owner is collected');

    // An owner that never existed (or went while nobody watched): collected as well.
    await owned('stray', { name: 'nobody', uid: 'no-such-uid' });
    await until(gone('stray'), 10_000, 'a dependent of a missing owner is collected');

    // Orphan: the dependent stays, without the reference; then the owner goes.
    const keeper = await configMaps.create(ns, { metadata: { name: 'keeper' } });
    await owned('kept', keeper.metadata);
    await configMaps.delete(ns, 'keeper', { propagationPolicy: 'Orphan' });
    await until(gone('keeper'), 10_000, 'the orphaning owner goes');
    const kept = await configMaps.get(ns, 'kept');
    assert.equal(kept.metadata.ownerReferences, undefined, 'the orphan no longer names its owner');

    // Foreground: the owner waits, with its finalizer, until its blocking dependent is gone.
    const waiting = await configMaps.create(ns, { metadata: { name: 'waiting' } });
    await owned('blocking', waiting.metadata, true);
    await configMaps.delete(ns, 'waiting', { propagationPolicy: 'Foreground' });
    const marked = await configMaps.find(ns, 'waiting');
    assert.ok(marked === null || marked.metadata.finalizers?.includes('foregroundDeletion'));
    await until(gone('blocking'), 10_000, 'the dependent goes first');
    await until(gone('waiting'), 10_000, 'then the owner');
  });
});
