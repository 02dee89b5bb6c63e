/**
 * The APIs of CustomResourceDefinitions on a shoot's kube-apiserver beyond what the e2e test
 * covers (real etcd, TLS and kubectl): a malformed CRD is refused with Kubernetes' field paths;
 * custom resources are kept in etcd under the storage version at `/registry/<group>/<plural>/…`;
 * RBAC rules on the group and plural grant them like any resource; and a new server instance on
 * the same etcd — a restart, or the destination seed after a migration — serves them from its
 * first request on.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { testCrd } from '../helpers/crds.js';
import { type CommandResult, kubectl } from '../helpers/kubectl.js';
import { startTestShootApi, type TestShootApi } from '../helpers/shoot-api-server.js';

const fixtures = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'crds');

describe('custom resources on a shoot kube-apiserver', () => {
  let api: TestShootApi;
  let admin: string;
  const run = (kubeconfig: string, args: string[], input?: string): Promise<CommandResult> =>
    kubectl(kubeconfig, ['--cache-dir', join(api.dir, 'cache'), ...args], input);
  const ok = async (args: string[], input?: string, kubeconfig = admin): Promise<string> => {
    const result = await run(kubeconfig, args, input);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };

  before(async () => {
    api = await startTestShootApi();
    admin = await api.kubeconfig('admin', ['system:masters']);
    await ok(['apply', '--server-side', '-f', join(fixtures, 'widgets.yaml')]);
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/widgets.example.com']);
  });

  after(async () => {
    await api?.cleanup();
  });

  it('refuses a malformed CRD with 422 and the paths of every wrong field', async () => {
    const crd = testCrd('gadgets', 'Gadget', {
      name: 'things.example.com',
      served: false,
      schema: {
        type: 'object',
        properties: {
          spec: { properties: { n: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.n >' }] },
        },
      },
    });
    const result = await run(admin, ['create', '-f', '-'], JSON.stringify(crd));
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /metadata\.name: Invalid value: "things\.example\.com": must be spec\.names\.plural\+"\."\+spec\.group/,
    );
    assert.match(result.stderr, /spec\.versions: Invalid value: .*must have at least one served version/);
    assert.match(
      result.stderr,
      /spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[spec\]\.type: Required value: must not be empty for specified object fields/,
    );
    assert.equal((await run(admin, ['get', 'crd', 'things.example.com'])).code, 1);
  });

  it('does not accept names another CRD of the group holds, and accepts them once that CRD is gone', async () => {
    await ok(['create', '-f', '-'], JSON.stringify(testCrd('holders', 'Holder', { shortNames: ['hd'] })));
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/holders.example.com']);
    await ok(['create', '-f', '-'], JSON.stringify(testCrd('gizmos', 'Gizmo', { shortNames: ['hd'] })));
    await ok(['wait', '--for', 'condition=namesaccepted=false', '--timeout=30s', 'crd/gizmos.example.com']);
    const crd = JSON.parse(await ok(['get', 'crd', 'gizmos.example.com', '-o', 'json']));
    const conditions = Object.fromEntries(crd.status.conditions.map((c: { type: string }) => [c.type, c]));
    assert.deepEqual(
      [conditions.NamesAccepted.reason, conditions.NamesAccepted.message, conditions.Established.status],
      ['NameConflict', '"hd" is already in use', 'False'],
    );
    assert.equal((await run(admin, ['get', '--raw', '/apis/example.com/v1/namespaces/default/gizmos'])).code, 1);
    await ok(['delete', 'crd', 'holders.example.com']);
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/gizmos.example.com']);
    await ok(['get', '--raw', '/apis/example.com/v1/namespaces/default/gizmos']);
    await ok(['delete', 'crd', 'gizmos.example.com']);
  });

  it('keeps custom resources in etcd under the storage version, whichever version wrote them', async () => {
    const beta = {
      apiVersion: 'example.com/v1beta1',
      kind: 'Widget',
      metadata: { name: 'stored' },
      spec: { size: 'small' },
    };
    await ok(['create', '-f', '-'], JSON.stringify(beta));
    const { stdout } = await promisify(execFile)(
      'etcdctl',
      [
        '--endpoints',
        api.etcdEndpoints.join(','),
        'get',
        '--print-value-only',
        '/registry/example.com/widgets/default/stored',
      ],
      { env: { ...process.env, ETCDCTL_API: '3' } },
    );
    const stored = JSON.parse(stdout);
    assert.equal(stored.apiVersion, 'example.com/v1');
    assert.equal(stored.kind, 'Widget');
  });

  it('grants custom resources through RBAC rules on their group and plural', async () => {
    const alice = await api.kubeconfig('alice', []);
    // As JSON: `kubectl create clusterrole` sends protobuf, which this server does not read.
    const rbac = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'widget-reader' },
          rules: [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] }],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'alice-widgets', namespace: 'default' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'widget-reader' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
        },
      ],
    };
    await ok(['create', '-f', '-'], JSON.stringify(rbac));
    const deadline = Date.now() + 5000;
    while ((await run(alice, ['get', 'widgets', '-n', 'default'])).code !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(await ok(['get', 'widgets', '-n', 'default'], undefined, alice), /stored/);
    const create = await run(
      alice,
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'nope', namespace: 'default' },
        spec: { size: 'small' },
      }),
    );
    assert.match(
      create.stderr,
      /widgets\.example\.com is forbidden: User "alice" cannot create resource "widgets" in API group "example\.com"/,
    );
    assert.equal((await run(alice, ['get', 'widgets', '-n', 'kube-system'])).code, 1);
  });

  it('a new server instance on the same etcd serves the APIs of the stored CRDs from its first request', async () => {
    await api.stop();
    await api.start();
    // No wait: the CRDs' APIs are installed before the server listens.
    const raw = JSON.parse(await ok(['get', '--raw', '/apis/example.com/v1/namespaces/default/widgets/stored']));
    assert.equal(raw.spec.replicas, 1);
    assert.match(
      await ok(['api-resources', '--api-group=example.com', '--no-headers']),
      /^widgets\s+wd\s+example\.com\/v1/m,
    );
  });
});
