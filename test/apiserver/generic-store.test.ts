import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isStatusError, type StatusError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore, type RequestContext } from '../../src/apiserver/registry/generic-store.js';
import { parseFieldSelector, parseLabelSelector } from '../../src/apiserver/selectors.js';
import type { AdmissionPlugin, ResourceDefinition } from '../../src/apiserver/types.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';

const widgets: ResourceDefinition = {
  group: 'example.transplant.io',
  version: 'v1',
  kind: 'Widget',
  listKind: 'WidgetList',
  plural: 'widgets',
  singular: 'widget',
  namespaced: true,
  strategy: {
    validate: (obj) =>
      typeof (obj.spec as { size?: unknown } | undefined)?.size === 'number'
        ? []
        : [{ type: 'FieldValueRequired', path: 'spec.size', message: 'Required value' }],
    validateUpdate: () => [],
  },
  selectableFields: { 'spec.color': (obj) => (obj.spec as { color?: string }).color },
};

const ctx: RequestContext = { user: { name: 'tester', groups: [] }, dryRun: false };
const storage = openSqliteStore({ path: ':memory:' });
const rejectRed: AdmissionPlugin = {
  name: 'RejectRed',
  handles: (op) => op === 'CREATE',
  async validate(attrs) {
    if ((attrs.object.spec as { color?: string }).color === 'red') {
      throw Object.assign(new Error('red'), {});
    }
  },
};
const store = new GenericStore(widgets, storage, new AdmissionChain([rejectRed]));

function widget(name: string, spec: Record<string, unknown> = { size: 1 }): KubeObject {
  return { apiVersion: 'example.transplant.io/v1', kind: 'Widget', metadata: { name }, spec };
}

async function rejects(promise: Promise<unknown>, code: number, reason: string): Promise<StatusError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isStatusError(err), `expected a StatusError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.reason, reason);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('GenericStore', () => {
  before(async () => {
    await store.create('ns1', widget('seed', { size: 0 }), ctx);
  });
  after(async () => {
    await storage.close();
  });

  it('create sets uid, creationTimestamp, generation 1 and drops status and client system fields', async () => {
    const created = await store.create(
      'ns1',
      { ...widget('a'), metadata: { name: 'a', uid: 'mine', resourceVersion: '999' }, status: { phase: 'x' } },
      ctx,
    );
    assert.notEqual(created.metadata.uid, 'mine');
    assert.match(created.metadata.uid!, /^[0-9a-f-]{36}$/);
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.metadata.namespace, 'ns1');
    assert.ok(created.metadata.creationTimestamp);
    assert.equal(created.status, undefined);
    assert.notEqual(created.metadata.resourceVersion, '999');
  });

  it('generateName produces a unique name', async () => {
    const created = await store.create('ns1', { ...widget(''), metadata: { generateName: 'gen-' } }, ctx);
    assert.match(created.metadata.name!, /^gen-[a-z0-9]{5}$/);
  });

  it('rejects invalid objects with field paths and stores nothing', async () => {
    const err = await rejects(store.create('ns1', widget('bad', {}), ctx), 422, 'Invalid');
    assert.equal(err.status.details?.causes?.[0]?.field, 'spec.size');
    const bad = await rejects(store.create('ns1', widget('Bad_Name'), ctx), 422, 'Invalid');
    assert.equal(bad.status.details?.causes?.[0]?.field, 'metadata.name');
    await rejects(store.get('ns1', 'bad'), 404, 'NotFound');
  });

  it('rejects a body of another kind or apiVersion, or another namespace', async () => {
    await rejects(store.create('ns1', { ...widget('k'), kind: 'Gadget' }, ctx), 400, 'BadRequest');
    await rejects(store.create('ns1', { ...widget('k'), apiVersion: 'v1' }, ctx), 400, 'BadRequest');
    await rejects(
      store.create('ns1', { ...widget('k'), metadata: { name: 'k', namespace: 'other' } }, ctx),
      400,
      'BadRequest',
    );
  });

  it('dry run validates but stores nothing', async () => {
    const created = await store.create('ns1', widget('dry'), { ...ctx, dryRun: true });
    assert.equal(created.metadata.name, 'dry');
    await rejects(store.get('ns1', 'dry'), 404, 'NotFound');
  });

  it('update bumps generation only when the spec changes and keeps status', async () => {
    const created = await store.create('ns1', widget('gen'), ctx);
    const labelled = await store.patch('ns1', 'gen', '', 'merge', { metadata: { labels: { a: 'b' } } }, ctx);
    assert.equal(labelled.metadata.generation, 1);
    const resized = await store.patch(
      'ns1',
      'gen',
      '',
      'merge',
      { spec: { size: 2 }, status: { phase: 'ignored' } },
      ctx,
    );
    assert.equal(resized.metadata.generation, 2);
    assert.equal(resized.status, undefined);
    assert.equal(resized.metadata.uid, created.metadata.uid);
  });

  it('a no-op update keeps the resourceVersion', async () => {
    const created = await store.create('ns1', widget('noop'), ctx);
    const same = await store.update('ns1', 'noop', '', created, ctx);
    assert.equal(same.metadata.resourceVersion, created.metadata.resourceVersion);
  });

  it('the status subresource changes only status', async () => {
    await store.create('ns1', widget('st'), ctx);
    const updated = await store.patch(
      'ns1',
      'st',
      'status',
      'merge',
      { spec: { size: 9 }, status: { phase: 'Ready' } },
      ctx,
    );
    assert.deepEqual(updated.status, { phase: 'Ready' });
    assert.deepEqual(updated.spec, { size: 1 });
    assert.equal(updated.metadata.generation, 1);
  });

  it('update with a stale resourceVersion is a 409 Conflict', async () => {
    const created = await store.create('ns1', widget('stale'), ctx);
    await store.patch('ns1', 'stale', '', 'merge', { spec: { size: 3 } }, ctx);
    await rejects(store.update('ns1', 'stale', '', { ...created, spec: { size: 4 } }, ctx), 409, 'Conflict');
    assert.deepEqual((await store.get('ns1', 'stale')).spec, { size: 3 });
  });

  it('a patch carrying a stale resourceVersion is a 409 Conflict', async () => {
    const created = await store.create('ns1', widget('stalepatch'), ctx);
    await store.patch('ns1', 'stalepatch', '', 'merge', { spec: { size: 3 } }, ctx);
    await rejects(
      store.patch(
        'ns1',
        'stalepatch',
        '',
        'merge',
        { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { size: 5 } },
        ctx,
      ),
      409,
      'Conflict',
    );
  });

  it('delete with finalizers sets deletionTimestamp; removing the last finalizer deletes', async () => {
    await store.create('ns1', { ...widget('fin'), metadata: { name: 'fin', finalizers: ['example.io/keep'] } }, ctx);
    const marked = await store.delete('ns1', 'fin', ctx, {});
    assert.ok(marked.metadata.deletionTimestamp);
    assert.ok(await store.get('ns1', 'fin'));
    const addFinalizer = store.patch(
      'ns1',
      'fin',
      '',
      'merge',
      { metadata: { finalizers: ['example.io/keep', 'new/one'] } },
      ctx,
    );
    await rejects(addFinalizer, 422, 'Invalid');
    await store.patch('ns1', 'fin', '', 'json', [{ op: 'remove', path: '/metadata/finalizers' }], ctx);
    await rejects(store.get('ns1', 'fin'), 404, 'NotFound');
  });

  it('delete preconditions are checked', async () => {
    await store.create('ns1', widget('pre'), ctx);
    await rejects(store.delete('ns1', 'pre', ctx, { preconditions: { uid: 'other' } }), 409, 'Conflict');
    assert.ok(await store.get('ns1', 'pre'));
  });

  it('lists with label and field selectors and pages with limit/continue', async () => {
    for (let i = 0; i < 5; i++) {
      await store.create(
        'ns2',
        {
          ...widget(`w${i}`, { size: i, color: i % 2 ? 'blue' : 'green' }),
          metadata: { name: `w${i}`, labels: { tier: i < 3 ? 'low' : 'high' } },
        },
        ctx,
      );
    }
    const low = await store.list('ns2', { labelSelector: parseLabelSelector('tier=low') });
    assert.deepEqual(
      low.items.map((i) => i.metadata.name),
      ['w0', 'w1', 'w2'],
    );
    const blue = await store.list('ns2', {
      fieldSelector: parseFieldSelector('spec.color=blue', store.selectableFieldNames()),
    });
    assert.deepEqual(
      blue.items.map((i) => i.metadata.name),
      ['w1', 'w3'],
    );
    const names: string[] = [];
    let cont: string | undefined;
    do {
      const page = await store.list('ns2', { limit: 2, continue: cont });
      assert.ok(page.items.length <= 2);
      names.push(...page.items.map((i) => i.metadata.name!));
      cont = page.metadata.continue;
    } while (cont);
    assert.deepEqual(names, ['w0', 'w1', 'w2', 'w3', 'w4']);
    const all = await store.list('', {});
    assert.ok(
      all.items.some((i) => i.metadata.namespace === 'ns1') && all.items.some((i) => i.metadata.namespace === 'ns2'),
    );
  });

  it('watch without a resourceVersion starts with the current objects; selector changes become ADDED/DELETED', async () => {
    await store.create('ns3', { ...widget('x'), metadata: { name: 'x', labels: { watch: 'yes' } } }, ctx);
    const watch = await store.watch('ns3', { labelSelector: parseLabelSelector('watch=yes') });
    const iterator = watch[Symbol.asyncIterator]();
    assert.deepEqual(pick((await iterator.next()).value), ['ADDED', 'x']);
    await store.patch('ns3', 'x', '', 'merge', { metadata: { labels: { watch: 'no' } } }, ctx);
    assert.deepEqual(pick((await iterator.next()).value), ['DELETED', 'x']);
    await store.patch('ns3', 'x', '', 'merge', { metadata: { labels: { watch: 'yes' } } }, ctx);
    assert.deepEqual(pick((await iterator.next()).value), ['ADDED', 'x']);
    await store.patch('ns3', 'x', '', 'merge', { spec: { size: 7 } }, ctx);
    assert.deepEqual(pick((await iterator.next()).value), ['MODIFIED', 'x']);
    watch.stop();
  });

  it('a watch from a compacted resourceVersion fails with 410 Expired', async () => {
    const first = await store.create('ns4', widget('old'), ctx);
    await store.patch('ns4', 'old', '', 'merge', { spec: { size: 2 } }, ctx);
    await storage.compact(await storage.currentRevision());
    const watch = await store.watch('ns4', { resourceVersion: first.metadata.resourceVersion });
    await rejects(watch[Symbol.asyncIterator]().next(), 410, 'Expired');
    watch.stop();
  });

  it('an unknown subresource is rejected', async () => {
    await rejects(store.patch('ns1', 'seed', 'scale', 'merge', {}, ctx), 405, 'MethodNotAllowed');
  });
});

function pick(event: { type: string; object: KubeObject } | undefined): [string, string] {
  assert.ok(event);
  return [event.type, event.object.metadata.name!];
}
