import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { secretResource } from '../../src/api/core/secret.js';
import { isConflict, isNotFound, isStatusError } from '../../src/api/errors.js';
import type { ResourceClient } from '../../src/client/client.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { RestClient } from '../../src/client/rest-client.js';
import { Informer } from '../../src/controller/informer.js';
import { clientListWatch } from '../../src/controller/list-watch.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';

describe('RestClient against a garden', () => {
  let g: TestGarden;
  let client: RestClient;
  let secrets: ResourceClient;

  before(async () => {
    g = await startTestGarden();
    client = new RestClient(loadKubeconfig(g.kubeconfig));
    secrets = client.resource(secretResource);
  });
  after(async () => {
    client.close();
    await g.cleanup();
  });

  it('creates, reads, patches, lists and deletes', async () => {
    const created = await secrets.create('garden', { metadata: { name: 'one', labels: { app: 'x' } }, data: {} });
    assert.equal(created.kind, 'Secret');
    const read = await secrets.get('garden', 'one');
    assert.equal(read.metadata.uid, created.metadata.uid);
    const patched = await secrets.patch('garden', 'one', { metadata: { labels: { app: 'y' } } });
    assert.equal(patched.metadata.labels?.app, 'y');
    const list = await secrets.list('garden', { labelSelector: 'app=y' });
    assert.deepEqual(
      list.items.map((s) => s.metadata.name),
      ['one'],
    );
    await secrets.delete('garden', 'one');
    await assert.rejects(secrets.get('garden', 'one'), isNotFound);
  });

  it('returns the server Status as a StatusError', async () => {
    const created = await secrets.create('garden', { metadata: { name: 'two' }, data: {} });
    await secrets.patch('garden', 'two', { metadata: { labels: { a: 'b' } } });
    await assert.rejects(secrets.update('garden', created), isConflict);
    await assert.rejects(secrets.create('no-such-namespace', { metadata: { name: 'x' } }), (err) => {
      assert.ok(isStatusError(err));
      assert.equal(err.code, 404);
      assert.match(err.message, /namespaces "no-such-namespace" not found/);
      return true;
    });
  });

  it('an unreachable server is a 503 StatusError', async () => {
    const dead = new RestClient({ server: 'https://127.0.0.1:1', caPem: undefined, token: 'x' });
    await assert.rejects(dead.request('GET', '/api'), (err) => isStatusError(err) && err.code === 503);
    dead.close();
  });

  it('feeds an informer: the initial list, then changes', async () => {
    const seen = new Map<string, string | undefined>();
    const informer = new Informer(clientListWatch(client, secretResource, 'garden'), {
      upsert: (obj) => seen.set(obj.metadata.name!, obj.metadata.labels?.v),
      remove: (obj) => seen.delete(obj.metadata.name!),
    });
    await secrets.create('garden', { metadata: { name: 'before', labels: { v: '1' } }, data: {} });
    informer.start();
    await informer.synced();
    assert.equal(seen.get('before'), '1');
    await secrets.patch('garden', 'before', { metadata: { labels: { v: '2' } } });
    await secrets.create('garden', { metadata: { name: 'after' }, data: {} });
    await secrets.delete('garden', 'after');
    const deadline = Date.now() + 5000;
    while (seen.get('before') !== '2' || seen.has('after')) {
      if (Date.now() > deadline) assert.fail(`informer state ${JSON.stringify([...seen])}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    informer.stop();
  });
});
