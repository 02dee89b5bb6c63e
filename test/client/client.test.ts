/**
 * The one object client interface (src/client/client.ts) behaves the same over HTTPS
 * (`RestClient`) and in process (`InProcessClient` on the garden's own stores): one suite, run on
 * both against the same garden, as the storage backends share theirs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedResource } from '../../src/api/core-gardener/seed.js';
import { isConflict, isInvalid, isNotFound } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import { resourceRef } from '../../src/api/resource-ref.js';
import { type Client, ignoreNotFound } from '../../src/client/client.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { MalformedObjectError } from '../../src/client/malformed-object-error.js';
import { RestClient } from '../../src/client/rest-client.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const secrets = resourceRef<Secret>({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true });
/** The Seed resource without its guard: reads whatever is stored. */
const seeds = resourceRef({
  group: 'core.gardener.cloud',
  version: 'v1beta1',
  kind: 'Seed',
  plural: 'seeds',
  namespaced: false,
});
const NS = 'garden';

describe('Client', () => {
  let g: TestGarden;
  let rest: RestClient;
  const clients: [string, () => Client][] = [
    ['RestClient', () => rest],
    ['InProcessClient', () => g.garden.hosted.client],
  ];

  before(async () => {
    g = await startTestGarden();
    rest = new RestClient(loadKubeconfig(g.kubeconfig));
  });
  after(async () => {
    rest?.close();
    await g?.cleanup();
  });

  for (const [label, clientOf] of clients) {
    describe(label, () => {
      const name = (suffix: string) => `${label.toLowerCase()}-${suffix}`;

      it('creates with the resource apiVersion and kind, gets and finds', async () => {
        const client = clientOf().resource(secrets);
        const created = await client.create(NS, { metadata: { name: name('a') }, data: { k: 'dg==' } });
        assert.equal(created.apiVersion, 'v1');
        assert.equal(created.kind, 'Secret');
        assert.equal((await client.get(NS, name('a'))).metadata.uid, created.metadata.uid);
        assert.equal((await client.find(NS, name('a')))?.data?.k, 'dg==');
        assert.equal(await client.find(NS, name('missing')), null);
        await assert.rejects(client.get(NS, name('missing')), isNotFound);
      });

      it('createIfAbsent returns the stored object and leaves an existing one as it is', async () => {
        const client = clientOf().resource(secrets);
        const first = await client.createIfAbsent(NS, { metadata: { name: name('b') }, data: { v: 'MQ==' } });
        const again = await client.createIfAbsent(NS, { metadata: { name: name('b') }, data: { v: 'Mg==' } });
        assert.equal(again.metadata.uid, first.metadata.uid);
        assert.equal(again.data?.v, 'MQ==');
      });

      it('patches with one options object: merge by default, json, and the status subresource', async () => {
        const client = clientOf().resource(secrets);
        await client.create(NS, { metadata: { name: name('c') }, data: {} });
        const merged = await client.patch(NS, name('c'), { metadata: { labels: { a: 'b' } } });
        assert.equal(merged.metadata.labels?.a, 'b');
        const json = await client.patch(NS, name('c'), [{ op: 'add', path: '/metadata/labels/c', value: 'd' }], {
          type: 'json',
        });
        assert.deepEqual(json.metadata.labels, { a: 'b', c: 'd' });

        const seedClient = clientOf().resource(seeds);
        const seedName = name('seed');
        await seedClient.create('', {
          metadata: { name: seedName },
          spec: { provider: { type: 'local', region: 'local' }, ingress: { domain: 'x.example' } },
        });
        const status = { lastOperation: { type: 'Reconcile', state: 'Succeeded', progress: 100 } };
        const viaStatus = await seedClient.patch('', seedName, { status }, { subresource: 'status' });
        assert.equal((viaStatus.status as typeof status).lastOperation.state, 'Succeeded');
        // The main resource ignores status changes, as in Kubernetes.
        const viaMain = await seedClient.patch('', seedName, { status: { lastOperation: null } });
        assert.equal((viaMain.status as typeof status).lastOperation.state, 'Succeeded');
      });

      it('update honours the resourceVersion it carries', async () => {
        const client = clientOf().resource(secrets);
        const created = await client.create(NS, { metadata: { name: name('d') }, data: {} });
        const updated = await client.update(NS, { ...created, data: { x: 'eQ==' } });
        assert.equal(updated.data?.x, 'eQ==');
        await assert.rejects(client.update(NS, { ...created, data: { x: 'eg==' } }), isConflict);
      });

      it('lists with label and field selectors, and refuses a bad one', async () => {
        const client = clientOf().resource(secrets);
        await client.create(NS, { metadata: { name: name('e'), labels: { pick: label } }, data: {} });
        const byLabel = await client.list(NS, { labelSelector: `pick=${label}` });
        assert.deepEqual(
          byLabel.items.map((s) => s.metadata.name),
          [name('e')],
        );
        const byField = await client.list(NS, { fieldSelector: `metadata.name=${name('e')}` });
        assert.equal(byField.items.length, 1);
        await assert.rejects(client.list(NS, { fieldSelector: 'spec.nothing=x' }), (err: Error) =>
          /field label not supported/.test(err.message),
        );
      });

      it('watches from a resourceVersion', async () => {
        const client = clientOf().resource(secrets);
        const list = await client.list(NS);
        const watch = await client.watch(NS, { resourceVersion: list.metadata.resourceVersion });
        await client.create(NS, { metadata: { name: name('f') }, data: {} });
        for await (const event of watch) {
          if (event.object.metadata.name !== name('f')) continue;
          assert.equal(event.type, 'ADDED');
          break;
        }
        watch.stop();
      });

      it('lists and watches metadata only (PartialObjectMetadata), in pages, without the data', async () => {
        const client = clientOf().resource(secrets);
        const labels = { metadataonly: label };
        for (const suffix of ['m1', 'm2', 'm3']) {
          await client.create(NS, { metadata: { name: name(suffix), labels }, data: { k: 'c2VjcmV0' } });
        }
        const first = await client.list(NS, { labelSelector: `metadataonly=${label}`, metadataOnly: true, limit: 2 });
        assert.equal(first.kind, 'PartialObjectMetadataList');
        assert.equal(first.apiVersion, 'meta.k8s.io/v1');
        assert.equal(first.items.length, 2);
        assert.ok(first.metadata.continue, 'a second page');
        const rest = await client.list(NS, {
          labelSelector: `metadataonly=${label}`,
          metadataOnly: true,
          limit: 2,
          continue: first.metadata.continue,
        });
        const items = [...first.items, ...rest.items];
        assert.deepEqual(
          items.map((item) => item.metadata.name),
          [name('m1'), name('m2'), name('m3')],
        );
        for (const item of items) {
          assert.deepEqual(Object.keys(item).sort(), ['apiVersion', 'kind', 'metadata']);
          assert.equal(item.kind, 'PartialObjectMetadata');
          assert.equal(item.metadata.labels?.metadataonly, label);
          assert.ok(item.metadata.uid);
        }
        const watch = await client.watch(NS, { resourceVersion: rest.metadata.resourceVersion, metadataOnly: true });
        await client.patch(NS, name('m1'), { data: { k: 'Y2hhbmdlZA==' } });
        for await (const event of watch) {
          if (event.object.metadata.name !== name('m1')) continue;
          assert.equal(event.type, 'MODIFIED');
          assert.deepEqual(Object.keys(event.object).sort(), ['apiVersion', 'kind', 'metadata']);
          assert.equal(event.object.kind, 'PartialObjectMetadata');
          break;
        }
        watch.stop();
      });

      it('reads a typed kind through its guard and answers a malformed object with a MalformedObjectError', async () => {
        const typed = clientOf().resource(seedResource);
        const seedName = name('guarded');
        const created = await typed.create('', {
          metadata: { name: seedName },
          spec: { provider: { type: 'local', region: 'local' } },
        });
        assert.equal(created.spec.provider?.type, 'local');
        const list = await typed.list('');
        const watch = await typed.watch('', { resourceVersion: list.metadata.resourceVersion });
        const watched = (async () => {
          for await (const event of watch) if (event.object.metadata.name === seedName) return;
        })();
        watched.catch(() => undefined); // asserted below, once the reads have been tried
        // The status subresource takes a last operation no controller writes (as Gardener's does).
        const status = { lastOperation: { type: 'Foo', state: 'Succeeded', progress: 100 } };
        await clientOf().resource(seeds).patch('', seedName, { status }, { subresource: 'status' });
        const malformed = (err: unknown) =>
          err instanceof MalformedObjectError &&
          err.code === 500 &&
          err.message ===
            `Seed ${seedName} is malformed: status.lastOperation.type: "Foo" is not one of Create, Reconcile, Delete, Migrate, Restore`;
        await assert.rejects(typed.get('', seedName), malformed);
        await assert.rejects(typed.find('', seedName), malformed);
        await assert.rejects(typed.list(''), malformed);
        await assert.rejects(watched, malformed);
        // The unguarded reference still reads it; fixed, the guard lets it through again.
        assert.equal(
          ((await clientOf().resource(seeds).get('', seedName)).status as typeof status).lastOperation.type,
          'Foo',
        );
        const fixed = await clientOf()
          .resource(seeds)
          .patch('', seedName, { status: { lastOperation: { type: 'Reconcile' } } }, { subresource: 'status' });
        assert.equal((fixed.status as typeof status).lastOperation.type, 'Reconcile');
        assert.equal((await typed.get('', seedName)).status?.lastOperation?.type, 'Reconcile');
        await typed.delete('', seedName);
      });

      it('delete refuses a missing object, deleteIfPresent and ignoreNotFound do not', async () => {
        const client = clientOf().resource(secrets);
        const created = await client.create(NS, { metadata: { name: name('g') }, data: {} });
        await assert.rejects(
          client.delete(NS, name('g'), { preconditions: { uid: 'not-the-uid' } }),
          (err) => isConflict(err) || isInvalid(err),
        );
        await client.delete(NS, name('g'), { preconditions: { uid: created.metadata.uid } });
        await assert.rejects(client.delete(NS, name('g')), isNotFound);
        await client.deleteIfPresent(NS, name('g'));
        assert.equal(await client.get(NS, name('g')).catch(ignoreNotFound), null);
      });
    });
  }

  it('ignoreNotFound rethrows anything but a NotFound', () => {
    assert.throws(() => ignoreNotFound(new Error('boom')), /boom/);
  });
});
