/**
 * A shoot's kube-apiserver under fuzz (test/helpers/api-fuzz/): core kinds, apps, batch, RBAC,
 * CustomResourceDefinitions and a custom resource with a structural schema, CEL rules and the
 * status and scale subresources, server-side apply among the patches; over HTTPS with a client
 * certificate from the shoot's `ca-client`, on a real etcd. docs/security.md, "Fuzzing".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from '../../src/api/meta.js';
import { issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { type EtcdStore, openEtcdStore } from '../../src/storage/etcd/etcd-store.js';
import { type FuzzTarget, fuzzTarget } from '../helpers/api-fuzz/fuzz-arbitraries.js';
import { fuzzRunOptions, fuzzSurfaceTest } from '../helpers/api-fuzz/fuzz-property.js';
import { FuzzTransport } from '../helpers/api-fuzz/fuzz-transport.js';
import { testCrd } from '../helpers/crds.js';
import { startTestShootApi, type TestShootApi } from '../helpers/shoot-api-server.js';

const NS = 'default';

function target(groupVersionPath: string, plural: string, sample: KubeObject, subresources: string[] = []): FuzzTarget {
  return fuzzTarget(
    groupVersionPath,
    plural,
    sample,
    subresources,
    plural === 'namespaces' || plural === 'customresourcedefinitions',
  );
}

/** The custom resource the fuzzer writes: typed fields, list types, a CEL rule, status and scale. */
const widgetCrd = (() => {
  const crd = testCrd('widgets', 'Widget', {
    group: 'fuzz.example.com',
    schema: {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          'x-kubernetes-validations': [{ rule: 'self.replicas <= 100', message: 'at most 100 replicas' }],
          properties: {
            replicas: { type: 'integer', minimum: 0 },
            size: { type: 'string', pattern: '^[a-z]+$', maxLength: 20 },
            when: { type: 'string', format: 'date-time' },
            quantity: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
            tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
            ports: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['name'],
              items: {
                type: 'object',
                required: ['name'],
                properties: { name: { type: 'string' }, port: { type: 'integer', default: 80 } },
              },
            },
            config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            template: {
              type: 'object',
              'x-kubernetes-embedded-resource': true,
              'x-kubernetes-preserve-unknown-fields': true,
            },
          },
        },
        status: { type: 'object', properties: { ready: { type: 'integer' } } },
      },
    },
  }) as KubeObject & { spec: { versions: Record<string, unknown>[] } };
  crd.spec.versions[0]!.subresources = {
    status: {},
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.ready' },
  };
  return crd;
})();

function shootTargets(): FuzzTarget[] {
  const labels = { app: 'fuzz' };
  const podSpec = { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] };
  return [
    target('api/v1', 'namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fuzz-sample' } }, [
      'status',
      'finalize',
    ]),
    target('api/v1', 'configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'fuzz', namespace: NS, labels },
      data: { a: 'b' },
    }),
    target('api/v1', 'secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'fuzz', namespace: NS },
      type: 'Opaque',
      data: { key: Buffer.from('value').toString('base64') },
    }),
    target(
      'api/v1',
      'services',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'fuzz', namespace: NS },
        spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
      ['status', 'proxy'],
    ),
    target(
      'api/v1',
      'pods',
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fuzz', namespace: NS, labels }, spec: podSpec },
      ['status', 'binding', 'eviction', 'log', 'ephemeralcontainers'],
    ),
    target(
      'apis/apps/v1',
      'deployments',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'fuzz', namespace: NS },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
      },
      ['status', 'scale'],
    ),
    target(
      'apis/batch/v1',
      'jobs',
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'fuzz', namespace: NS },
        spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } }, backoffLimit: 1 },
      },
      ['status'],
    ),
    target(
      'apis/batch/v1',
      'cronjobs',
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'fuzz', namespace: NS },
        spec: {
          schedule: '*/5 * * * *',
          jobTemplate: { spec: { template: { spec: { ...podSpec, restartPolicy: 'OnFailure' } } } },
        },
      },
      ['status'],
    ),
    target('apis/rbac.authorization.k8s.io/v1', 'roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'fuzz', namespace: NS },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    }),
    target(
      'apis/apiextensions.k8s.io/v1',
      'customresourcedefinitions',
      testCrd('gadgets', 'Gadget', { group: 'fuzz.example.com' }),
      ['status'],
    ),
    target(
      'apis/fuzz.example.com/v1',
      'widgets',
      {
        apiVersion: 'fuzz.example.com/v1',
        kind: 'Widget',
        metadata: { name: 'fuzz', namespace: NS },
        spec: {
          replicas: 1,
          size: 'small',
          when: '2026-12-06T10:00:00Z',
          quantity: '1Gi',
          tags: ['a', 'b'],
          ports: [{ name: 'http', port: 8080 }],
          config: { any: ['thing'] },
          template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
        },
      },
      ['status', 'scale'],
    ),
  ];
}

describe('shoot API fuzz', () => {
  let api: TestShootApi;
  let etcd: EtcdStore;
  let transport: FuzzTransport;

  before(async () => {
    api = await startTestShootApi(`shoot--fuzz--${process.pid}`);
    etcd = await openEtcdStore({ endpoints: api.etcdEndpoints });
    const admin = await issueCertificate(api.caClient, {
      commonName: 'fuzz-admin',
      organizations: ['system:masters'],
      usage: 'client',
    });
    transport = new FuzzTransport(api.url, { caPem: api.ca.certPem, certPem: admin.certPem, keyPem: admin.keyPem });
    const created = await transport.send({
      method: 'POST',
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: Buffer.from(JSON.stringify(widgetCrd)),
    });
    assert.equal(created.status, 201, created.text);
    for (let i = 0; ; i++) {
      const list = await transport.send({
        method: 'GET',
        path: `/apis/fuzz.example.com/v1/namespaces/${NS}/widgets`,
        headers: {},
      });
      if (list.status === 200) break;
      assert.ok(i < 300, `the widgets API is not served: ${list.status} ${list.text}`);
      await sleep(100);
    }
  });

  after(async () => {
    transport?.close();
    await etcd?.close();
    await api?.cleanup();
  });

  /** Until the revision holds still: a CRD's controller writes its status after the fuzzer's write. */
  async function quiet(): Promise<void> {
    let last = await etcd.currentRevision();
    for (let steady = 0; steady < 3; ) {
      await sleep(30);
      const now = await etcd.currentRevision();
      steady = now === last ? steady + 1 : 0;
      last = now;
    }
  }

  it(`answers ${fuzzRunOptions().numRuns} adversarial requests with a Status or a valid success, never a 5xx, the store unchanged by refusals`, async (t) => {
    const targets = shootTargets();
    const crds = targets.findIndex((x) => x.plural === 'customresourcedefinitions');
    await fuzzSurfaceTest(t, {
      name: 'shoot',
      transport,
      targets,
      revision: () => etcd.currentRevision(),
      settle: (index) => (index === crds ? quiet() : Promise.resolve()),
    });
  });
});
