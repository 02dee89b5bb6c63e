/**
 * The garden API server under fuzz (test/helpers/api-fuzz/): Gardener's kinds with their
 * subresources, Secrets and RBAC, over HTTPS as a superuser (bearer token), controllers off
 * so that only the fuzzer writes. docs/security.md, "Fuzzing".
 */
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta.js';
import { type FuzzTarget, fuzzTarget } from '../helpers/api-fuzz/fuzz-arbitraries.js';
import { fuzzRunOptions, fuzzSurfaceTest } from '../helpers/api-fuzz/fuzz-property.js';
import { type FuzzTransport, superuserTransport } from '../helpers/api-fuzz/fuzz-transport.js';
import { seedManifest, shootManifest } from '../helpers/garden-e2e.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';

const NS = 'garden-dev';
const GARDENER = 'apis/core.gardener.cloud/v1beta1';
const RBAC = 'apis/rbac.authorization.k8s.io/v1';

function target(groupVersionPath: string, plural: string, sample: KubeObject, subresources: string[] = []): FuzzTarget {
  // Every project gone, project `dev` too, no Shoot sample could be created again.
  return fuzzTarget(groupVersionPath, plural, sample, subresources, plural === 'namespaces' || plural === 'projects');
}

/** In creation order: the references a later sample needs come first. */
export function gardenTargets(): FuzzTarget[] {
  const rules = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }];
  const subjects = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'fuzz-user' }];
  return [
    target('api/v1', 'namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fuzz-sample' } }, [
      'status',
      'finalize',
    ]),
    target('api/v1', 'secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'fuzz-secret', namespace: 'garden', labels: { app: 'fuzz' } },
      type: 'Opaque',
      data: { key: Buffer.from('value').toString('base64') },
    }),
    target(GARDENER, 'seeds', seedManifest('fuzz-seed', { backup: false }) as KubeObject, ['status']),
    target(GARDENER, 'projects', {
      apiVersion: 'core.gardener.cloud/v1beta1',
      kind: 'Project',
      metadata: { name: 'fuzz' },
      spec: {
        namespace: 'garden-fuzz',
        owner: { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'fuzz-user' },
        members: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'fuzz-user', role: 'admin' }],
      },
    }),
    target(GARDENER, 'shoots', shootManifest(NS, 'fuzz-shoot', { labels: { app: 'fuzz' } }) as KubeObject, [
      'status',
      'binding',
      'adminkubeconfig',
    ]),
    target(GARDENER, 'shootstates', {
      apiVersion: 'core.gardener.cloud/v1beta1',
      kind: 'ShootState',
      metadata: { name: 'fuzz-shoot', namespace: NS },
      spec: {
        gardener: [{ name: 'ca', type: 'secret', labels: { 'managed-by': 'secrets-manager' }, data: { ca: 'x' } }],
      },
    }),
    target(
      GARDENER,
      'backupbuckets',
      {
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'BackupBucket',
        metadata: { name: 'fuzz-bucket' },
        spec: {
          provider: { type: 'local', region: 'local' },
          credentialsRef: { apiVersion: 'v1', kind: 'Secret', name: 'fuzz-secret', namespace: 'garden' },
          seedName: 'fuzz-seed',
        },
      },
      ['status'],
    ),
    target(
      GARDENER,
      'backupentries',
      {
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'BackupEntry',
        metadata: { name: 'shoot--dev--fuzz-shoot--3f1c9a0e', namespace: NS },
        spec: { bucketName: 'fuzz-bucket', seedName: 'fuzz-seed' },
      },
      ['status'],
    ),
    target(RBAC, 'roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'fuzz-role', namespace: NS },
      rules,
    }),
    target(RBAC, 'rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'fuzz-binding', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'fuzz-role' },
      subjects,
    }),
    target(RBAC, 'clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'fuzz-role' },
      rules,
    }),
    target(RBAC, 'clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'fuzz-binding' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'fuzz-role' },
      subjects,
    }),
  ];
}

describe('garden API fuzz', () => {
  let g: TestGarden;
  let transport: FuzzTransport;

  before(async () => {
    g = await startTestGarden({ controllers: false });
    transport = await superuserTransport(g.garden.hosted, g.dir, 'fuzz-admin');
  });

  after(async () => {
    transport?.close();
    await g?.cleanup();
  });

  it(`answers ${fuzzRunOptions().numRuns} adversarial requests with a Status or a valid success, never a 5xx, the store unchanged by refusals`, async (t) => {
    const storage = g.garden.server.storage;
    await fuzzSurfaceTest(t, {
      name: 'garden',
      transport,
      targets: gardenTargets(),
      revision: () => storage.currentRevision(),
    });
  });
});
