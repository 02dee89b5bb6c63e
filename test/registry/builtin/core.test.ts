/**
 * Pods, Services and claims through the generic store, and the handlers of the subresources a
 * store cannot serve (scale, binding, eviction, log), driven as the API server drives them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/api/meta.js';
import { AdmissionChain } from '../../../src/apiserver/admission.js';
import type { CustomHandler, CustomRequest } from '../../../src/apiserver/custom-handler.js';
import type { GenericStore } from '../../../src/apiserver/registry/generic-store.js';
import type { ApiServer } from '../../../src/apiserver/server.js';
import { builtinHandlers } from '../../../src/registry/builtin/index.js';
import { ServiceAllocator } from '../../../src/registry/builtin/service-ip-allocator.js';
import { causes, ctx, type Doc, refused, row, storeOf } from '../../helpers/builtin-store.js';

const pods = storeOf('', 'pods');
const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], ...extra },
});

describe('v1 Pod', () => {
  it('gets the pod spec defaults, the default service account, priority, tolerations and status Pending', async () => {
    const created = await pods.create('default', pod('web-1'), ctx);
    const spec = created.spec as Doc;
    assert.deepEqual(
      [spec.restartPolicy, spec.dnsPolicy, spec.terminationGracePeriodSeconds, spec.schedulerName],
      ['Always', 'ClusterFirst', 30, 'default-scheduler'],
    );
    assert.equal(spec.serviceAccountName, 'default');
    assert.equal(spec.enableServiceLinks, true);
    assert.equal(spec.priority, 0);
    assert.deepEqual(
      spec.tolerations.map((t: { key: string }) => t.key),
      ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'],
    );
    assert.equal(spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(created.status, { phase: 'Pending', qosClass: 'BestEffort' });
    assert.deepEqual(row(pods, created), {
      Name: 'web-1',
      READY: '0/1',
      STATUS: 'Pending',
      RESTARTS: 0,
      AGE: row(pods, created).AGE,
      IP: '<none>',
      NODE: '<none>',
      'NOMINATED NODE': '<none>',
      'READINESS GATES': '<none>',
    });
  });

  it('lets an update change images only, not the rest of the spec', async () => {
    await pods.patch(
      'default',
      'web-1',
      '',
      'merge',
      { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } },
      ctx,
    );
    const err = await refused(pods.patch('default', 'web-1', '', 'merge', { spec: { restartPolicy: 'Never' } }, ctx));
    assert.deepEqual(causes(err), [['spec', 'FieldValueForbidden']]);
    assert.match(err.message, /pod updates may not change fields other than/);
  });

  it('computes Guaranteed and Burstable QoS classes', async () => {
    const resources = { limits: { cpu: '500m', memory: '128Mi' } };
    const guaranteed = await pods.create(
      'default',
      pod('g', { containers: [{ name: 'c', image: 'x', resources }] }),
      ctx,
    );
    assert.equal((guaranteed.status as Doc).qosClass, 'Guaranteed');
    const requests = { requests: { cpu: '100m' } };
    const burstable = await pods.create(
      'default',
      pod('b', { containers: [{ name: 'c', image: 'x', resources: requests }] }),
      ctx,
    );
    assert.equal((burstable.status as Doc).qosClass, 'Burstable');
    const tooMuch = { requests: { cpu: '2' }, limits: { cpu: '1' } };
    const err = await refused(
      pods.create('default', pod('x', { containers: [{ name: 'c', image: 'x', resources: tooMuch }] }), ctx),
    );
    assert.deepEqual(causes(err), [['spec.containers[0].resources.requests[cpu]', 'FieldValueInvalid']]);
  });

  it('deletes a pod on no node at once, and marks one on a node for its grace period until a delete with 0', async () => {
    await pods.create('grace', pod('unbound'), ctx);
    await pods.delete('grace', 'unbound', ctx, {});
    await refused(pods.get('grace', 'unbound'), 404);

    await pods.create('grace', pod('bound', { nodeName: 'node-1', terminationGracePeriodSeconds: 20 }), ctx);
    const before = Date.now();
    const marked = await pods.delete('grace', 'bound', ctx, {});
    assert.equal(marked.metadata.deletionGracePeriodSeconds, 20);
    const deadline = Date.parse(marked.metadata.deletionTimestamp!);
    assert.ok(deadline >= before + 19_000 && deadline <= Date.now() + 21_000, marked.metadata.deletionTimestamp);
    // Its node's status writes do not delete it; a repeated delete changes nothing; a shorter grace shortens it.
    await pods.patch('grace', 'bound', 'status', 'merge', { status: { phase: 'Running' } }, ctx);
    const again = await pods.delete('grace', 'bound', ctx, {});
    assert.equal(again.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);
    assert.equal((await pods.get('grace', 'bound')).metadata.deletionGracePeriodSeconds, 20);
    const shortened = await pods.delete('grace', 'bound', ctx, { gracePeriodSeconds: 5 });
    assert.equal(shortened.metadata.deletionGracePeriodSeconds, 5);
    // The kubelet's final delete: grace period 0, guarded by the pod's uid.
    await refused(pods.delete('grace', 'bound', ctx, { gracePeriodSeconds: 0, preconditions: { uid: 'other' } }), 409);
    await pods.delete('grace', 'bound', ctx, { gracePeriodSeconds: 0, preconditions: { uid: marked.metadata.uid } });
    await refused(pods.get('grace', 'bound'), 404);
  });
});

describe('v1 Service with the cluster IP allocator', () => {
  const chain = new AdmissionChain([
    new ServiceAllocator({ listServices: async () => (await services.list('', {})).items, serviceCidr: '10.0.0.0/24' }),
  ]);
  const services: GenericStore = storeOf('', 'services', chain);
  const service = (name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: name }, ...spec },
  });

  it('defaults type, affinity, protocol and targetPort and allocates distinct cluster IPs from the range', async () => {
    const a = await services.create('default', service('a', { ports: [{ port: 80 }] }), ctx);
    const spec = a.spec as Doc;
    assert.equal(spec.type, 'ClusterIP');
    assert.equal(spec.sessionAffinity, 'None');
    assert.deepEqual(spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    assert.match(spec.clusterIP, /^10\.0\.0\.\d+$/);
    assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
    const b = await services.create('default', service('b', { ports: [{ port: 80 }] }), ctx);
    assert.notEqual((b.spec as Doc).clusterIP, spec.clusterIP);
    assert.deepEqual(row(services, a), {
      Name: 'a',
      TYPE: 'ClusterIP',
      'CLUSTER-IP': spec.clusterIP,
      'EXTERNAL-IP': '<none>',
      'PORT(S)': '80/TCP',
      AGE: row(services, a).AGE,
      SELECTOR: 'app=a',
    });
  });

  it('keeps None for a headless service, gives NodePorts a node port, refuses a taken or foreign address', async () => {
    const headless = await services.create('default', service('h', { clusterIP: 'None' }), ctx);
    assert.equal((headless.spec as Doc).clusterIP, 'None');
    const np = await services.create('default', service('np', { type: 'NodePort', ports: [{ port: 80 }] }), ctx);
    const nodePort = (np.spec as Doc).ports[0].nodePort;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
    const taken = (np.spec as Doc).clusterIP;
    const err = await refused(
      services.create('default', service('c', { clusterIP: taken, ports: [{ port: 80 }] }), ctx),
    );
    assert.match(err.message, /provided IP is already allocated/);
    const foreign = await refused(
      services.create('default', service('d', { clusterIP: '192.168.1.1', ports: [{ port: 80 }] }), ctx),
    );
    assert.match(foreign.message, /not in the valid range/);
  });

  it('keeps the cluster IP when an update leaves it out and refuses changing it', async () => {
    const a = await services.get('default', 'a');
    const replaced = await services.update('default', 'a', '', service('a', { ports: [{ port: 81 }] }), ctx);
    assert.equal((replaced.spec as Doc).clusterIP, (a.spec as Doc).clusterIP);
    const err = await refused(
      services.patch(
        'default',
        'a',
        '',
        'merge',
        { spec: { clusterIP: '10.0.0.250', clusterIPs: ['10.0.0.250'] } },
        ctx,
      ),
    );
    assert.deepEqual(causes(err), [['spec.clusterIPs[0]', 'FieldValueInvalid']]);
  });

  it('names a Service with an RFC 1035 label: no leading digit', async () => {
    const err = await refused(services.create('default', service('1web', { ports: [{ port: 80 }] }), ctx));
    assert.deepEqual(causes(err), [['metadata.name', 'FieldValueInvalid']]);
    assert.match(err.message, /a DNS-1035 label must consist of lower case alphanumeric characters/);
  });

  it('requires ports unless headless, and names when there are several', async () => {
    assert.deepEqual(causes(await refused(services.create('default', service('e', {}), ctx))), [
      ['spec.ports', 'FieldValueRequired'],
    ]);
    const two = service('f', { ports: [{ port: 80 }, { port: 443 }] });
    assert.deepEqual(causes(await refused(services.create('default', two, ctx))), [
      ['spec.ports[0].name', 'FieldValueRequired'],
      ['spec.ports[1].name', 'FieldValueRequired'],
    ]);
  });
});

describe('v1 PersistentVolumeClaim', () => {
  const claims = storeOf('', 'persistentvolumeclaims');
  it('needs access modes and a size, starts Pending, and keeps its spec', async () => {
    const err = await refused(
      claims.create(
        'default',
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'x' }, spec: {} },
        ctx,
      ),
    );
    assert.deepEqual(causes(err), [
      ['spec.accessModes', 'FieldValueRequired'],
      ['spec.resources[storage]', 'FieldValueRequired'],
    ]);
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    const created = await claims.create('default', claim, ctx);
    assert.deepEqual(created.status, { phase: 'Pending' });
    assert.equal((created.spec as Doc).volumeMode, 'Filesystem');
    assert.equal(row(claims, created).STATUS, 'Pending');
    const changed = await refused(
      claims.patch('default', 'data', '', 'merge', { spec: { storageClassName: 'fast' } }, ctx),
    );
    assert.deepEqual(causes(changed), [['spec', 'FieldValueForbidden']]);
  });
});

/** Calls a built-in handler as the server would, with the stores of this test. */
async function call(
  subresource: string,
  resource: string,
  method: string,
  info: { namespace: string; name: string },
  body?: unknown,
  contentType = 'application/json',
): Promise<{ code: number; body?: unknown; raw?: Buffer }> {
  const handler = builtinHandlers.find(
    (h: CustomHandler) => h.resource === resource && (h.subresource ?? '') === subresource,
  );
  assert.ok(handler, `${resource}/${subresource}`);
  const stores = new Map<string, GenericStore>();
  const server = {
    store: (group: string, plural: string) => {
      const key = `${group}/${plural}`;
      if (!stores.has(key)) stores.set(key, storeOf(group, plural));
      return stores.get(key)!;
    },
  } as unknown as ApiServer;
  const request = {
    method,
    info: { ...info, subresource, subpath: '' },
    query: new URLSearchParams(),
    user: ctx.user,
    raw: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
    contentType,
    server,
  } as unknown as CustomRequest;
  return handler.handle(request) as Promise<{ code: number; body?: unknown; raw?: Buffer }>;
}

describe('built-in subresource handlers', () => {
  it('scale: reads and patches a Deployment as an autoscaling/v1 Scale', async () => {
    await storeOf('apps', 'deployments').create(
      'scaling',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
        },
      },
      ctx,
    );
    const got = await call('scale', 'deployments', 'GET', { namespace: 'scaling', name: 'web' });
    assert.deepEqual((got.body as Doc).spec, { replicas: 1 });
    assert.equal((got.body as Doc).status.selector, 'app=web');
    const patched = await call(
      'scale',
      'deployments',
      'PATCH',
      { namespace: 'scaling', name: 'web' },
      { spec: { replicas: 4 } },
      'application/merge-patch+json',
    );
    assert.equal((patched.body as Doc).spec.replicas, 4);
    assert.equal(((await storeOf('apps', 'deployments').get('scaling', 'web')).spec as Doc).replicas, 4);
    await assert.rejects(
      call(
        'scale',
        'deployments',
        'PATCH',
        { namespace: 'scaling', name: 'web' },
        { spec: { replicas: -1 } },
        'application/merge-patch+json',
      ),
      /spec\.replicas: Invalid value: -1/,
    );
  });

  it('binding: puts a pod on a node once; log: empty for a pod on no node', async () => {
    await pods.create('binding', pod('p'), ctx);
    assert.deepEqual((await call('log', 'pods', 'GET', { namespace: 'binding', name: 'p' })).raw, Buffer.alloc(0));
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'p' },
      target: { kind: 'Node', name: 'node-1' },
    };
    assert.equal((await call('binding', 'pods', 'POST', { namespace: 'binding', name: 'p' }, binding)).code, 201);
    const bound = await pods.get('binding', 'p');
    assert.equal((bound.spec as Doc).nodeName, 'node-1');
    assert.equal((bound.status as Doc).conditions[0].type, 'PodScheduled');
    await assert.rejects(
      call('binding', 'pods', 'POST', { namespace: 'binding', name: 'p' }, binding),
      /already assigned to node "node-1"/,
    );
    await assert.rejects(
      call('log', 'pods', 'GET', { namespace: 'binding', name: 'p' }),
      /container "web" in pod "p" is waiting to start: ContainerCreating/,
    );
    // Once its node runs it, the simulated container's log is empty.
    const running = { state: { running: { startedAt: '2026-01-01T00:00:00Z' } } };
    await pods.patch(
      'binding',
      'p',
      'status',
      'merge',
      {
        status: {
          containerStatuses: [
            { name: 'web', image: 'nginx:1.27', imageID: '', ready: true, restartCount: 0, ...running },
          ],
        },
      },
      ctx,
    );
    assert.deepEqual((await call('log', 'pods', 'GET', { namespace: 'binding', name: 'p' })).raw, Buffer.alloc(0));
  });

  it('eviction: deletes a pod its budget allows to go, refuses one whose budget is used up with 429', async () => {
    const budgets = storeOf('policy', 'poddisruptionbudgets');
    await budgets.create(
      'evict',
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'pdb' },
        spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
      },
      ctx,
    );
    await pods.create('evict', pod('running'), ctx);
    await pods.patch('evict', 'running', 'status', 'merge', { status: { phase: 'Running' } }, ctx);
    await assert.rejects(
      call('eviction', 'pods', 'POST', { namespace: 'evict', name: 'running' }, {}),
      (err: Doc) => err.code === 429,
    );
    await budgets.patch('evict', 'pdb', 'status', 'merge', { status: { disruptionsAllowed: 1 } }, ctx);
    assert.equal((await call('eviction', 'pods', 'POST', { namespace: 'evict', name: 'running' }, {})).code, 201);
    await refused(pods.get('evict', 'running'), 404);
    assert.equal(((await budgets.get('evict', 'pdb')).status as Doc).disruptionsAllowed, 0);
  });
});
