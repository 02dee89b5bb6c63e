import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStatusError, type StatusError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { AdmissionChain } from '../../../src/apiserver/admission.js';
import { GenericStore, type RequestContext } from '../../../src/apiserver/registry/generic-store.js';
import type { ResourceDefinition } from '../../../src/apiserver/types.js';
import { openSqliteStore } from '../../../src/storage/sqlite/sqlite-store.js';

const deployments: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  listKind: 'DeploymentList',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  strategy: {},
  fieldTypes: {
    'spec.template.spec.containers': { mapKeys: ['name'] },
    'spec.template.spec.containers[].env': { mapKeys: ['name'] },
    'status.conditions': { mapKeys: ['type'] },
  },
};

const store = new GenericStore(deployments, openSqliteStore({ path: ':memory:' }), new AdmissionChain([]));
const as = (fieldManager: string, dryRun = false): RequestContext => ({
  user: { name: 'tester', groups: [] },
  dryRun,
  fieldManager,
});

function deployment(name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, ...metadata }, spec };
}

const container = (name: string, fields: Record<string, unknown> = {}) => ({ name, image: `${name}:1`, ...fields });

async function apply(manager: string, obj: unknown, force = false, subresource = '') {
  return store.apply('ns', (obj as KubeObject).metadata.name!, subresource, obj, { force }, as(manager));
}

async function rejects(promise: Promise<unknown>, code: number): Promise<StatusError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isStatusError(err), `expected a StatusError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail('expected a rejection');
}

function managers(obj: KubeObject): string[] {
  return (obj.metadata.managedFields as { manager: string; operation: string; subresource?: string }[]).map(
    (e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`,
  );
}

function fieldsOf(obj: KubeObject, manager: string, operation = 'Apply'): unknown {
  const entries = obj.metadata.managedFields as { manager: string; operation: string; fieldsV1: unknown }[];
  return entries.find((e) => e.manager === manager && e.operation === operation)?.fieldsV1;
}

describe('server-side apply through the generic store', () => {
  it('creates the object, then applying the same configuration again changes nothing', async () => {
    const config = deployment('web', { replicas: 2, template: { spec: { containers: [container('app')] } } });
    const first = await apply('deployer', config);
    assert.equal(first.created, true);
    assert.deepEqual(managers(first.object), ['deployer/Apply']);
    const entry = (first.object.metadata.managedFields as Record<string, unknown>[])[0]!;
    assert.deepEqual(Object.keys(entry), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
    assert.deepEqual(entry.fieldsV1, {
      'f:spec': {
        'f:replicas': {},
        'f:template': {
          'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
    const second = await apply('deployer', config);
    assert.equal(second.created, false);
    assert.equal(second.object.metadata.resourceVersion, first.object.metadata.resourceVersion);
  });

  it('a field another manager changed conflicts, naming field and manager; force takes it over', async () => {
    await store.patch('ns', 'web', '', 'merge', { spec: { replicas: 5 } }, as('scaler'));
    const config = deployment('web', { replicas: 3, template: { spec: { containers: [container('app')] } } });
    const err = await rejects(apply('deployer', config), 409);
    assert.equal(err.reason, 'Conflict');
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "scaler" using apps/v1: .spec.replicas');
    assert.deepEqual(err.status.details?.causes, [
      { type: 'FieldManagerConflict', message: 'conflict with "scaler" using apps/v1', field: '.spec.replicas' },
    ]);
    const unchanged = (await store.get('ns', 'web')).spec as { replicas: number };
    assert.equal(unchanged.replicas, 5, 'a conflict changes nothing');

    const forced = await apply('deployer', config, true);
    assert.equal((forced.object.spec as { replicas: number }).replicas, 3);
    assert.deepEqual(managers(forced.object), ['deployer/Apply'], 'the scaler lost its only field');
  });

  it('applying the live value of a field another manager owns shares it instead of conflicting', async () => {
    await store.patch('ns', 'web', '', 'merge', { spec: { paused: false } }, as('pauser'));
    const shared = await apply(
      'deployer',
      deployment('web', { replicas: 3, paused: false, template: { spec: { containers: [container('app')] } } }),
    );
    assert.deepEqual(managers(shared.object), ['deployer/Apply', 'pauser/Update']);
    assert.deepEqual(fieldsOf(shared.object, 'pauser', 'Update'), { 'f:spec': { 'f:paused': {} } });
  });

  it('a field dropped from the configuration goes unless another manager owns it', async () => {
    const result = await apply(
      'deployer',
      deployment('web', { template: { spec: { containers: [container('app')] } } }),
    );
    const spec = result.object.spec as Record<string, unknown>;
    assert.equal(spec.replicas, undefined, 'replicas, applied before and owned by nobody else, is removed');
    assert.equal(spec.paused, false, 'paused stays: the pauser still owns it');
  });

  it('list maps merge by key: each applier owns and removes only its items', async () => {
    await apply('sidecar-injector', deployment('web', { template: { spec: { containers: [container('proxy')] } } }));
    type Spec = { template: { spec: { containers: { name: string; env?: unknown }[] } } };
    let live = await store.get('ns', 'web');
    const containers = () => (live.spec as Spec).template.spec.containers;
    const names = () => containers().map((c) => c.name);
    assert.deepEqual(names(), ['app', 'proxy']);

    await apply(
      'deployer',
      deployment('web', {
        template: {
          spec: { containers: [container('app', { env: [{ name: 'A', value: '1' }] }), container('worker')] },
        },
      }),
    );
    live = await store.get('ns', 'web');
    assert.deepEqual(names(), ['app', 'proxy', 'worker']);

    await apply('deployer', deployment('web', { template: { spec: { containers: [container('app')] } } }));
    live = await store.get('ns', 'web');
    assert.deepEqual(names(), ['app', 'proxy'], 'worker, only the deployer’s, went; proxy stayed');
    assert.equal(containers()[0]!.env, undefined, 'so did app’s env');
  });

  it('sets merge by value: finalizers of two appliers', async () => {
    await apply('a', deployment('web', {}, { finalizers: ['example.com/a'] }));
    await apply('b', deployment('web', {}, { finalizers: ['example.com/b'] }));
    assert.deepEqual((await store.get('ns', 'web')).metadata.finalizers, ['example.com/a', 'example.com/b']);
    await apply('a', deployment('web', {}));
    assert.deepEqual((await store.get('ns', 'web')).metadata.finalizers, ['example.com/b']);
  });

  it('status applies through the status subresource, recorded with it; status on the main resource is ignored', async () => {
    const withStatus = { ...deployment('web', {}), status: { conditions: [{ type: 'Available', status: 'True' }] } };
    const main = await apply('b', withStatus);
    assert.equal(main.object.status, undefined);
    const status = await apply('controller', withStatus, false, 'status');
    assert.deepEqual(status.object.status, { conditions: [{ type: 'Available', status: 'True' }] });
    const entries = status.object.metadata.managedFields as {
      manager: string;
      subresource?: string;
      fieldsV1: unknown;
    }[];
    assert.deepEqual(
      entries.find((e) => e.manager === 'controller'),
      {
        ...entries.find((e) => e.manager === 'controller'),
        subresource: 'status',
        fieldsV1: {
          'f:status': { 'f:conditions': { 'k:{"type":"Available"}': { '.': {}, 'f:status': {}, 'f:type': {} } } },
        },
      },
    );
  });

  it('dry run answers the result and stores nothing', async () => {
    const before = await store.get('ns', 'web');
    const result = await store.apply(
      'ns',
      'web',
      '',
      deployment('web', { replicas: 9 }),
      { force: true },
      as('dry', true),
    );
    assert.equal((result.object.spec as { replicas: number }).replicas, 9);
    assert.deepEqual(await store.get('ns', 'web'), before);
    const created = await store.apply('ns', 'ghost', '', deployment('ghost', {}), { force: false }, as('dry', true));
    assert.equal(created.created, true);
    assert.equal(await store.find('ns', 'ghost'), undefined);
  });

  it('bad configurations are refused with the reason and change nothing', async () => {
    const before = await store.get('ns', 'web');
    const cases: [unknown, number, RegExp][] = [
      [{ ...deployment('web', {}), apiVersion: 'apps/v2' }, 400, /invalid object type: apps\/v2, Kind=Deployment/],
      [{ ...deployment('web', {}), kind: 'StatefulSet' }, 400, /invalid object type: apps\/v1, Kind=StatefulSet/],
      [deployment('other', {}), 400, /the name of the object \(other\) does not match the name on the URL \(web\)/],
      [deployment('web', {}, { managedFields: [] }), 400, /metadata.managedFields must be nil/],
      [deployment('web', {}, { namespace: 'elsewhere' }), 400, /namespace of the provided object does not match/],
      [
        deployment('web', { template: { spec: { containers: [{ name: 'x' }, { name: 'x' }] } } }),
        422,
        /spec.template.spec.containers: duplicate entries for key \[name="x"\]/,
      ],
      ['just a string', 400, /must be an object/],
    ];
    for (const [config, code, message] of cases) {
      const err = await rejects(store.apply('ns', 'web', '', config, { force: false }, as('bad')), code);
      assert.match(err.message, message);
    }
    assert.deepEqual(await store.get('ns', 'web'), before);
  });

  it('updates record their manager, take over what they change, and drop from every set what they remove', async () => {
    await store.create('ns', deployment('api', { replicas: 1, paused: true }), as('creator'));
    await store.patch('ns', 'api', '', 'merge', { spec: { replicas: 2, paused: null } }, as('editor'));
    const live = await store.get('ns', 'api');
    assert.deepEqual(fieldsOf(live, 'creator', 'Update'), { 'f:spec': {} });
    assert.deepEqual(fieldsOf(live, 'editor', 'Update'), { 'f:spec': { 'f:replicas': {} } });
    const unchanged = await store.patch('ns', 'api', '', 'merge', { spec: { replicas: 2 } }, as('noop'));
    assert.equal(unchanged.metadata.resourceVersion, live.metadata.resourceVersion, 'a no-op writes nothing');
  });

  it('managedFields sent by a client are honoured; an empty list resets them', async () => {
    const reset = await store.patch('ns', 'api', '', 'merge', { metadata: { managedFields: [{}] } }, as('x'));
    assert.equal(reset.metadata.managedFields, undefined);
    const given = [
      { manager: 'restored', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
    ];
    const honoured = await store.patch('ns', 'api', '', 'merge', { metadata: { managedFields: given } }, as('x'));
    assert.deepEqual(honoured.metadata.managedFields, given);
  });

  it('more than ten update managers: the oldest merge into ancient-changes', async () => {
    await store.create('ns', deployment('busy', {}), as('creator'));
    for (let i = 0; i < 12; i++) {
      await store.patch('ns', 'busy', '', 'merge', { metadata: { labels: { [`l${i}`]: 'x' } } }, as(`m${i}`));
    }
    const live = await store.get('ns', 'busy');
    const names = managers(live);
    assert.equal(names.length, 10);
    assert.ok(names.includes('ancient-changes/Update'), names.join(', '));
    assert.ok(names.includes('m11/Update'));
  });

  it('kubectl takes over, without conflict, what its last client-side apply set, and keeps that annotation current', async () => {
    const annotation = 'kubectl.kubernetes.io/last-applied-configuration';
    const csa = deployment('csa', { replicas: 1 });
    csa.metadata.annotations = { [annotation]: JSON.stringify(csa) };
    await store.create('ns', csa, as('kubectl-client-side-apply'));
    const result = await apply('kubectl', deployment('csa', { replicas: 2 }));
    assert.equal((result.object.spec as { replicas: number }).replicas, 2);
    assert.equal(
      result.object.metadata.annotations?.[annotation],
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"csa","namespace":"ns"},"spec":{"replicas":2}}\n',
    );
    await rejects(apply('someone-else', deployment('csa', { replicas: 7 })), 409);
  });

  it('an object stored before field tracking is first attributed to before-first-apply', async () => {
    await store.create('ns', deployment('old', { replicas: 1 }), as('x'));
    await store.patch('ns', 'old', '', 'merge', { metadata: { managedFields: [] } }, as('x'));
    const err = await rejects(apply('new', deployment('old', { replicas: 2 })), 409);
    assert.match(err.message, /conflict with "before-first-apply" using apps\/v1: \.spec\.replicas/);
  });
});
