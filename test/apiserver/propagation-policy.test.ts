/**
 * Deletion's propagationPolicy: a garbage-collected store (a shoot's) marks the object with the
 * collector's finalizer for Orphan and Foreground; a store without a collector (the garden, the
 * seeds) deletes at once, since nothing would remove that finalizer; a policy Kubernetes does not
 * know is refused with the field named.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { configMapResource } from '../../src/api/core/config-map.js';
import { isInvalid } from '../../src/api/errors.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { RestClient } from '../../src/client/rest-client.js';
import { configMapDefinition } from '../../src/registry/core/config-map.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { testContext } from '../helpers/store-client.js';

describe('propagationPolicy', () => {
  const storage = openSqliteStore({ path: ':memory:' });
  const collected = new GenericStore(configMapDefinition, storage, new AdmissionChain([]), { garbageCollected: true });
  let g: TestGarden;
  let garden: RestClient;

  before(async () => {
    g = await startTestGarden();
    garden = new RestClient(loadKubeconfig(g.kubeconfig));
  });
  after(async () => {
    garden?.close();
    await g?.cleanup();
    await storage.close();
  });

  it('Orphan and Foreground leave the object to the garbage collector, with its finalizer', async () => {
    for (const [policy, finalizer] of [
      ['Orphan', 'orphan'],
      ['Foreground', 'foregroundDeletion'],
    ] as const) {
      const name = policy.toLowerCase();
      await collected.create('default', { metadata: { name } }, testContext);
      const marked = await collected.delete('default', name, testContext, { propagationPolicy: policy });
      assert.ok(marked.metadata.deletionTimestamp, `${policy}: marked for deletion`);
      assert.deepEqual(marked.metadata.finalizers, [finalizer]);
    }
    await collected.create('default', { metadata: { name: 'background' } }, testContext);
    await collected.delete('default', 'background', testContext, { propagationPolicy: 'Background' });
    assert.equal(await collected.find('default', 'background'), undefined, 'Background deletes at once');
  });

  it('a server without a garbage collector deletes at once; an unknown policy is refused', async () => {
    const configMaps = garden.resource(configMapResource);
    await configMaps.create('garden', { metadata: { name: 'orphan-asked' } });
    await configMaps.delete('garden', 'orphan-asked', { propagationPolicy: 'Orphan' });
    assert.equal(await configMaps.find('garden', 'orphan-asked'), null);

    await configMaps.create('garden', { metadata: { name: 'bogus' } });
    const path = configMaps.path('garden', 'bogus');
    await assert.rejects(
      garden.request('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Sometimes' }),
      (err) => isInvalid(err) && /propagationPolicy: Unsupported value: "Sometimes"/.test((err as Error).message),
    );
    assert.ok(await configMaps.find('garden', 'bogus'), 'nothing was deleted');
  });
});
