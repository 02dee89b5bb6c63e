/**
 * The SeedGraph, the SeedAuthorizer's rules and SeedRestriction on objects in memory (the e2e
 * test test/e2e/seed-authorization.test.ts tries the same with real gardenlet credentials).
 *
 * One file over 500 lines: the authorizer's and SeedRestriction's cases share one landscape of
 * objects, defined once here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { RESTORE_PROGRESS_ANNOTATION } from '../../src/api/core-gardener/restore-progress.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { AdmissionAttributes, RequestAttributes, UserInfo } from '../../src/apiserver/types.js';
import { SeedRestriction } from '../../src/garden/admission/seed-restriction.js';
import { GraphFeed } from '../../src/garden/authorizer/graph-feed.js';
import { SeedAuthorizer } from '../../src/garden/authorizer/seed-authorizer.js';
import { SeedGraph, vertex } from '../../src/garden/authorizer/seed-graph.js';
import {
  bootstrapClusterRoles,
  gardenletUser,
  projectMemberClusterRole,
  seedsGroup,
} from '../../src/garden/bootstrap-rbac.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';

const G = 'core.gardener.cloud/v1beta1';
const gardenlet = (seed: string): UserInfo => ({
  name: gardenletUser(seed),
  groups: [seedsGroup, 'system:authenticated'],
});

function shoot(name: string, spec?: string, status?: string): KubeObject {
  return {
    apiVersion: G,
    kind: 'Shoot',
    metadata: { name, namespace: 'garden-dev', uid: `uid-${name}` },
    spec: { ...(spec ? { seedName: spec } : {}) },
    status: { ...(status ? { seedName: status } : {}) },
  };
}
function seed(name: string): KubeObject {
  return {
    apiVersion: G,
    kind: 'Seed',
    metadata: { name },
    spec: {
      provider: { type: 'local' },
      backup: { provider: 'local', credentialsRef: { name: `backup-${name}`, namespace: 'garden' } },
    },
  };
}
function bucket(name: string, seedName: string): KubeObject {
  return {
    apiVersion: G,
    kind: 'BackupBucket',
    metadata: { name },
    spec: { provider: { type: 'local' }, seedName, secretRef: { name: `backup-${seedName}`, namespace: 'garden' } },
  };
}
function entry(name: string, bucketName: string, spec?: string, status?: string): KubeObject {
  return {
    apiVersion: G,
    kind: 'BackupEntry',
    metadata: {
      name,
      namespace: 'garden-dev',
      ownerReferences: [{ apiVersion: G, kind: 'Shoot', name: 'moving', uid: 'uid-moving' }],
    },
    spec: { bucketName, ...(spec ? { seedName: spec } : {}) },
    status: { ...(status ? { seedName: status } : {}) },
  };
}

const MP = 'migration.transplant.gardener.cloud/v1alpha1';
/** A preflight of moving `a1` from seed-a (status.sourceSeedName) to `target`, with its two probes pending. */
function preflight(name: string, target: string, source?: string): KubeObject {
  return {
    apiVersion: MP,
    kind: 'MigrationPreflight',
    metadata: { name, namespace: 'garden-dev', uid: `uid-${name}` },
    spec: { shootName: 'a1', seedName: target },
    status: {
      phase: 'Pending',
      ...(source ? { sourceSeedName: source } : {}),
      checks: [
        { name: 'ShootMovable', status: 'Passed', origin: 'garden', message: 'ok' },
        { name: 'TargetSeedReachesSourceBackupStore', status: 'Pending', origin: `seed/${target}`, message: 'waiting' },
        { name: 'MachinesReachTargetSeed', status: 'Pending', origin: `seed/${source}`, message: 'waiting' },
      ],
    },
  };
}

/** seed-a hosts `a1`, seed-b `b1`; `moving` is being migrated from seed-a to seed-b. */
function landscape(): SeedGraph {
  const graph = new SeedGraph();
  for (const obj of [
    seed('seed-a'),
    seed('seed-b'),
    bucket('bucket-a', 'seed-a'),
    bucket('bucket-b', 'seed-b'),
    shoot('a1', 'seed-a', 'seed-a'),
    shoot('b1', 'seed-b', 'seed-b'),
    shoot('moving', 'seed-b', 'seed-a'),
    entry('shoot--dev--b1', 'bucket-b', 'seed-b', 'seed-b'),
    entry('source-shoot--dev--moving', 'bucket-a', 'seed-b'),
    preflight('a1-to-b', 'seed-b', 'seed-a'),
  ]) {
    graph.upsert(obj);
  }
  return graph;
}

function request(
  seedName: string,
  verb: string,
  resource: string,
  more: Partial<RequestAttributes> = {},
): RequestAttributes {
  const group = resource === 'secrets' ? '' : resource === 'leases' ? 'coordination.k8s.io' : 'core.gardener.cloud';
  return {
    user: gardenlet(seedName),
    verb,
    resourceRequest: true,
    apiGroup: group,
    apiVersion: 'v1',
    namespace: '',
    resource,
    subresource: '',
    name: '',
    path: '',
    ...more,
  };
}

function authorizer(graph: SeedGraph): SeedAuthorizer {
  return new SeedAuthorizer({ graph, feed: { synced: async () => {}, caughtUp: async () => {} } });
}

describe('SeedGraph', () => {
  it('finds paths to a seed through references and drops them when objects change', () => {
    const graph = landscape();
    assert.equal(graph.reaches(vertex('Shoot', 'garden-dev', 'moving'), 'seed-a'), true);
    assert.equal(graph.reaches(vertex('Shoot', 'garden-dev', 'moving'), 'seed-b'), true);
    assert.equal(graph.reaches(vertex('Shoot', 'garden-dev', 'b1'), 'seed-a'), false);
    // seed-b's source entry names seed-a's bucket: seed-b reads it and the Secret it refers to.
    assert.equal(graph.reaches(vertex('BackupBucket', '', 'bucket-a'), 'seed-b'), true);
    assert.equal(graph.reaches(vertex('Secret', 'garden', 'backup-seed-a'), 'seed-b'), true);
    assert.equal(graph.reaches(vertex('Secret', 'garden', 'backup-seed-b'), 'seed-a'), false);
    graph.upsert(shoot('moving', 'seed-b'));
    assert.equal(graph.reaches(vertex('Shoot', 'garden-dev', 'moving'), 'seed-a'), false, 'Migrate done');
    graph.remove(entry('source-shoot--dev--moving', 'bucket-a', 'seed-b'));
    assert.equal(graph.reaches(vertex('BackupBucket', '', 'bucket-a'), 'seed-b'), false);
    // Both Seed and bucket refer to backup-seed-a: one reference gone, the other keeps the edge.
    graph.remove(bucket('bucket-a', 'seed-a'));
    assert.equal(graph.reaches(vertex('Secret', 'garden', 'backup-seed-a'), 'seed-a'), true);
  });
});

describe('GraphFeed', () => {
  it('fills the graph from the store and is caught up with every write committed before it is asked', async () => {
    const storage = openSqliteStore({ path: ':memory:' });
    const graph = new SeedGraph();
    const feed = new GraphFeed({ storage, graph, logger: pino({ level: 'silent' }) });
    try {
      await storage.create('/registry/core.gardener.cloud/shoots/garden-dev/a1', shoot('a1', 'seed-a'));
      feed.start();
      await feed.synced();
      assert.equal(graph.reaches(vertex('Shoot', 'garden-dev', 'a1'), 'seed-a'), true);
      // The binding of a shoot, and at once the question: the graph has seen it.
      await storage.guaranteedUpdate('/registry/core.gardener.cloud/shoots/garden-dev/a1', () => shoot('a1', 'seed-b'));
      await storage.create('/registry/configmaps/default/other', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'other' },
      });
      await feed.caughtUp(5_000);
      assert.equal(graph.reaches(vertex('Shoot', 'garden-dev', 'a1'), 'seed-a'), false);
      assert.equal(graph.reaches(vertex('Shoot', 'garden-dev', 'a1'), 'seed-b'), true);
      assert.equal(feed.revision, await storage.currentRevision());
      await storage.delete('/registry/core.gardener.cloud/shoots/garden-dev/a1');
      await feed.caughtUp(5_000);
      assert.equal(graph.has(vertex('Shoot', 'garden-dev', 'a1')), false);
    } finally {
      feed.stop();
      await storage.close();
    }
  });
});

describe('SeedAuthorizer', () => {
  const graph = landscape();
  const decide = async (attrs: RequestAttributes) => (await authorizer(graph).authorize(attrs)).decision;
  const ns = 'garden-dev';

  it('has no opinion on anyone but a gardenlet, nor on discovery, self reviews and events', async () => {
    assert.equal(
      await decide({ ...request('seed-a', 'get', 'shoots'), user: { name: 'operator', groups: [] } }),
      'noOpinion',
    );
    assert.equal(
      await decide({ ...request('seed-a', 'get', 'shoots'), user: { name: gardenletUser('x'), groups: [] } }),
      'noOpinion',
    );
    assert.equal(await decide({ ...request('seed-a', 'get', ''), resourceRequest: false, path: '/apis' }), 'noOpinion');
    assert.equal(
      await decide(request('seed-a', 'create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io' })),
      'noOpinion',
    );
  });

  it("allows a seed's own shoots, both seeds of a migration, and nobody else's", async () => {
    assert.equal(await decide(request('seed-a', 'get', 'shoots', { namespace: ns, name: 'a1' })), 'allow');
    assert.equal(await decide(request('seed-a', 'get', 'shoots', { namespace: ns, name: 'b1' })), 'deny');
    assert.equal(
      await decide(request('seed-a', 'patch', 'shoots', { namespace: ns, name: 'moving', subresource: 'status' })),
      'allow',
    );
    assert.equal(await decide(request('seed-b', 'get', 'shoots', { namespace: ns, name: 'moving' })), 'allow');
    assert.equal(
      await decide(request('seed-a', 'update', 'shoots', { namespace: ns, name: 'a1', subresource: 'binding' })),
      'deny',
    );
    assert.equal(await decide(request('seed-a', 'delete', 'shoots', { namespace: ns, name: 'a1' })), 'deny');
    assert.equal(await decide(request('seed-a', 'get', 'shootstates', { namespace: ns, name: 'a1' })), 'allow');
    assert.equal(await decide(request('seed-a', 'get', 'shootstates', { namespace: ns, name: 'b1' })), 'deny');
    // A shoot that does not exist reads as its 404; its ShootState does not.
    assert.equal(await decide(request('seed-a', 'get', 'shoots', { namespace: ns, name: 'gone' })), 'allow');
    assert.equal(await decide(request('seed-a', 'get', 'shootstates', { namespace: ns, name: 'gone' })), 'deny');
    // Deleting a BackupEntry already gone (a step run again after a crash) is answered 404 too.
    assert.equal(await decide(request('seed-b', 'delete', 'backupentries', { namespace: ns, name: 'gone' })), 'allow');
    assert.equal(
      await decide(request('seed-a', 'delete', 'backupentries', { namespace: ns, name: 'shoot--dev--b1' })),
      'deny',
    );
  });

  it('lists and watches only with a field selector naming the seed', async () => {
    assert.equal(await decide(request('seed-a', 'list', 'shoots')), 'deny');
    assert.equal(
      await decide(request('seed-a', 'watch', 'shoots', { fieldSelector: 'spec.seedName=seed-a' })),
      'allow',
    );
    assert.equal(
      await decide(request('seed-a', 'list', 'shoots', { fieldSelector: 'status.seedName==seed-a' })),
      'allow',
    );
    assert.equal(await decide(request('seed-a', 'list', 'shoots', { fieldSelector: 'spec.seedName=seed-b' })), 'deny');
    assert.equal(await decide(request('seed-a', 'list', 'shoots', { fieldSelector: 'spec.seedName!=seed-a' })), 'deny');
    assert.equal(
      await decide(request('seed-a', 'watch', 'shoots', { namespace: ns, fieldSelector: 'metadata.name=b1' })),
      'deny',
    );
    assert.equal(await decide(request('seed-a', 'watch', 'shoots', { fieldSelector: 'metadata.name=b1' })), 'deny');
    assert.equal(
      await decide(request('seed-a', 'watch', 'shoots', { namespace: ns, fieldSelector: 'metadata.name=a1' })),
      'allow',
    );
    assert.equal(
      await decide(request('seed-a', 'list', 'backupentries', { fieldSelector: 'spec.bucketName=bucket-a' })),
      'allow',
    );
    assert.equal(
      await decide(request('seed-a', 'list', 'backupentries', { fieldSelector: 'spec.bucketName=bucket-b' })),
      'deny',
    );
    assert.equal(await decide(request('seed-a', 'list', 'secrets', { namespace: 'garden' })), 'deny');
    const internalDomain = { namespace: 'garden', labelSelector: 'gardener.cloud/role=internal-domain' };
    assert.equal(await decide(request('seed-a', 'list', 'secrets', internalDomain)), 'allow');
    assert.equal(await decide(request('seed-a', 'list', 'secrets', { ...internalDomain, namespace: ns })), 'deny');
  });

  it('allows reading every Seed, and its own Seed, Lease, buckets and Secrets only', async () => {
    assert.equal(await decide(request('seed-a', 'patch', 'seeds', { name: 'seed-a', subresource: 'status' })), 'allow');
    assert.equal(await decide(request('seed-a', 'patch', 'seeds', { name: 'seed-b', subresource: 'status' })), 'deny');
    assert.equal(await decide(request('seed-a', 'delete', 'seeds', { name: 'seed-a' })), 'deny');
    // Every Seed is readable (the etcd peer endpoints the others publish), as in Gardener.
    assert.equal(await decide(request('seed-a', 'get', 'seeds', { name: 'seed-b' })), 'allow');
    assert.equal(await decide(request('seed-a', 'list', 'seeds', {})), 'allow');
    assert.equal(await decide(request('seed-a', 'watch', 'seeds', {})), 'allow');
    assert.equal(await decide(request('seed-a', 'update', 'seeds', { name: 'seed-b' })), 'deny');
    assert.equal(await decide(request('seed-a', 'patch', 'seeds', { name: 'seed-b' })), 'deny');
    const lease = { namespace: 'gardener-system-seed-lease' };
    assert.equal(await decide(request('seed-a', 'patch', 'leases', { ...lease, name: 'seed-a' })), 'allow');
    assert.equal(await decide(request('seed-a', 'patch', 'leases', { ...lease, name: 'seed-b' })), 'deny');
    assert.equal(
      await decide(request('seed-a', 'patch', 'leases', { namespace: 'kube-system', name: 'seed-a' })),
      'deny',
    );
    assert.equal(await decide(request('seed-b', 'get', 'backupbuckets', { name: 'bucket-a' })), 'allow');
    assert.equal(await decide(request('seed-b', 'patch', 'backupbuckets', { name: 'bucket-a' })), 'deny');
    assert.equal(
      await decide(request('seed-a', 'get', 'secrets', { namespace: 'garden', name: 'backup-seed-b' })),
      'deny',
    );
    assert.equal(
      await decide(request('seed-b', 'get', 'secrets', { namespace: 'garden', name: 'backup-seed-a' })),
      'allow',
    );
    assert.equal(
      await decide(request('seed-b', 'patch', 'secrets', { namespace: 'garden', name: 'backup-seed-a' })),
      'deny',
    );
    assert.equal(
      await decide(request('seed-a', 'patch', 'secrets', { namespace: 'garden', name: 'generated-bucket-bucket-a' })),
      'allow',
    );
    assert.equal(await decide(request('seed-a', 'get', 'namespaces', { apiGroup: '', name: 'garden' })), 'deny');
    assert.equal(await decide(request('seed-a', 'list', 'projects')), 'allow');
  });
});

describe("SeedAuthorizer and SeedRestriction: the restore progress on a moving shoot's BackupEntry", () => {
  // The destination reconciled the shoot's own entry (its Restore's "Deploying backup entry").
  const own = (status?: string, annotations?: Record<string, string>): KubeObject => {
    const e = entry('shoot--dev--moving--uid-moving', 'bucket-b', 'seed-b', status);
    return { ...e, metadata: { ...e.metadata, ...(annotations ? { annotations } : {}) } };
  };
  const ns = 'garden-dev';
  const patch = (seedName: string, name: string) =>
    request(seedName, 'patch', 'backupentries', { namespace: ns, name });

  it('lets the destination patch the entry it hosts, not the source or another seed', async () => {
    for (const status of ['seed-b', undefined]) {
      const graph = landscape();
      graph.upsert(own(status));
      const decide = async (attrs: RequestAttributes) => (await authorizer(graph).authorize(attrs)).decision;
      assert.equal(await decide(patch('seed-b', 'shoot--dev--moving--uid-moving')), 'allow', `status ${status}`);
      assert.equal(await decide(patch('seed-a', 'shoot--dev--moving--uid-moving')), 'deny', `status ${status}`);
      assert.equal(await decide(patch('seed-a', 'shoot--dev--b1')), 'deny');
    }
  });

  it('admits a write of the annotation alone, and project members may read the entry', async () => {
    const plugin = new SeedRestriction({
      getBackupBucket: async () => null,
      getBackupEntry: async () => null,
      getShoot: async () => null,
    });
    const value = '{"phase":"Copy","copiedBytes":1,"copyTotalBytes":2,"updated":"2026-01-01T00:00:00.000Z"}';
    await plugin.validate({
      operation: 'UPDATE',
      kind: { group: 'core.gardener.cloud', version: 'v1beta1', kind: 'BackupEntry' },
      resource: 'backupentries',
      subresource: '',
      namespace: ns,
      name: 'shoot--dev--moving--uid-moving',
      user: gardenlet('seed-b'),
      dryRun: false,
      object: own('seed-b', { [RESTORE_PROGRESS_ANNOTATION]: value }),
      oldObject: own('seed-b'),
    } as AdmissionAttributes);
    const member = bootstrapClusterRoles().find((r) => r.metadata.name === projectMemberClusterRole) as KubeObject & {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    assert.ok(
      member.rules.some(
        (r) =>
          r.apiGroups.includes('core.gardener.cloud') &&
          r.resources.includes('backupentries') &&
          ['get', 'watch'].every((v) => r.verbs.includes(v)),
      ),
    );
  });
});

describe('SeedAuthorizer: MigrationPreflights', () => {
  const ask = (seedName: string, verb: string, more: Partial<RequestAttributes> = {}) =>
    authorizer(landscape()).authorize(
      request(seedName, verb, 'migrationpreflights', {
        apiGroup: 'migration.transplant.gardener.cloud',
        namespace: 'garden-dev',
        ...more,
      }),
    );

  it('lets the target and the source seed read a preflight and write its status, nobody else', async () => {
    for (const seedName of ['seed-a', 'seed-b']) {
      assert.equal((await ask(seedName, 'get', { name: 'a1-to-b' })).decision, 'allow', seedName);
      assert.equal((await ask(seedName, 'update', { name: 'a1-to-b', subresource: 'status' })).decision, 'allow');
    }
    assert.equal((await ask('seed-c', 'get', { name: 'a1-to-b' })).decision, 'deny');
    assert.equal((await ask('seed-c', 'update', { name: 'a1-to-b', subresource: 'status' })).decision, 'deny');
    const spec = await ask('seed-b', 'update', { name: 'a1-to-b' });
    assert.deepEqual([spec.decision, spec.reason], ['deny', 'seeds may only write the status of MigrationPreflights']);
    assert.equal((await ask('seed-b', 'create')).decision, 'deny');
    assert.equal((await ask('seed-b', 'delete', { name: 'a1-to-b' })).decision, 'deny');
  });

  it('lists and watches only with a field selector naming the seed as target or source', async () => {
    assert.equal((await ask('seed-b', 'list', { fieldSelector: 'spec.seedName=seed-b' })).decision, 'allow');
    assert.equal((await ask('seed-a', 'watch', { fieldSelector: 'status.sourceSeedName=seed-a' })).decision, 'allow');
    const other = await ask('seed-a', 'list', { fieldSelector: 'spec.seedName=seed-b' });
    assert.equal(other.decision, 'deny');
    assert.match(other.reason, /spec\.seedName=seed-a or status\.sourceSeedName=seed-a/);
    assert.equal((await ask('seed-a', 'list')).decision, 'deny');
  });
});

describe('SeedRestriction', () => {
  const graph = landscape();
  const objects = new Map<string, KubeObject>();
  for (const obj of [bucket('bucket-a', 'seed-a'), bucket('bucket-b', 'seed-b'), shoot('moving', 'seed-b', 'seed-a')]) {
    objects.set(`${obj.kind}/${obj.metadata.name}`, obj);
  }
  void graph;
  const plugin = new SeedRestriction({
    getBackupBucket: async (name) => (objects.get(`BackupBucket/${name}`) as never) ?? null,
    getBackupEntry: async () => null,
    getShoot: async (_ns, name) => (objects.get(`Shoot/${name}`) as never) ?? null,
  });
  const admit = async (seedName: string, attrs: Partial<AdmissionAttributes>) => {
    const object = attrs.object!;
    const group =
      object.apiVersion === 'v1'
        ? ''
        : object.apiVersion?.startsWith('coordination')
          ? 'coordination.k8s.io'
          : 'core.gardener.cloud';
    try {
      await plugin.validate({
        operation: 'UPDATE',
        kind: { group, version: 'v1', kind: object.kind! },
        resource: '',
        subresource: '',
        namespace: object.metadata.namespace ?? '',
        name: object.metadata.name ?? '',
        user: gardenlet(seedName),
        dryRun: false,
        ...attrs,
        object,
      } as AdmissionAttributes);
      return 'admitted';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('refuses another seed, another Lease, and moving a shoot, naming the field', async () => {
    assert.match(
      await admit('seed-a', { operation: 'CREATE', resource: 'seeds', object: seed('seed-b') }),
      /may only register and change its own Seed/,
    );
    assert.equal(await admit('seed-a', { operation: 'CREATE', resource: 'seeds', object: seed('seed-a') }), 'admitted');
    const lease = (name: string): KubeObject => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'gardener-system-seed-lease' },
    });
    assert.match(
      await admit('seed-a', { operation: 'CREATE', resource: 'leases', object: lease('seed-b') }),
      /its own Lease/,
    );
    assert.equal(
      await admit('seed-a', { operation: 'CREATE', resource: 'leases', object: lease('seed-a') }),
      'admitted',
    );
    assert.match(
      await admit('seed-a', {
        resource: 'shoots',
        object: shoot('a1', 'seed-b', 'seed-a'),
        oldObject: shoot('a1', 'seed-a', 'seed-a'),
      }),
      /may not change spec.seedName/,
    );
    assert.match(
      await admit('seed-a', {
        resource: 'shoots',
        subresource: 'status',
        object: shoot('b1', 'seed-b', 'seed-a'),
        oldObject: shoot('b1', 'seed-b'),
      }),
      /may not set status.seedName to "seed-a"/,
    );
    // Migrate's end on the source; the destination waits until then.
    assert.equal(
      await admit('seed-a', {
        resource: 'shoots',
        subresource: 'status',
        object: shoot('moving', 'seed-b'),
        oldObject: shoot('moving', 'seed-b', 'seed-a'),
      }),
      'admitted',
    );
    assert.match(
      await admit('seed-b', {
        resource: 'shoots',
        subresource: 'status',
        object: shoot('moving', 'seed-b', 'seed-a'),
        oldObject: shoot('moving', 'seed-b', 'seed-a'),
      }),
      /still hosts \(status.seedName\)/,
    );
    assert.equal(
      await admit('seed-b', {
        resource: 'shoots',
        subresource: 'status',
        object: shoot('moving', 'seed-b', 'seed-b'),
        oldObject: shoot('moving', 'seed-b'),
      }),
      'admitted',
    );
  });

  it('lets backup objects be written for its own seed only', async () => {
    assert.match(
      await admit('seed-a', { operation: 'CREATE', resource: 'backupbuckets', object: bucket('x', 'seed-b') }),
      /spec.seedName "seed-b"/,
    );
    assert.match(
      await admit('seed-a', {
        operation: 'CREATE',
        resource: 'backupentries',
        object: entry('e', 'bucket-a', 'seed-b'),
      }),
      /spec.seedName "seed-b"/,
    );
    assert.match(
      await admit('seed-a', {
        operation: 'CREATE',
        resource: 'backupentries',
        object: entry('e', 'bucket-b', 'seed-a'),
      }),
      /spec.bucketName "bucket-b"/,
    );
    assert.equal(
      await admit('seed-a', {
        operation: 'CREATE',
        resource: 'backupentries',
        object: entry('e', 'bucket-a', 'seed-a'),
      }),
      'admitted',
    );
    // "Migrating BackupEntry to new seed": the source hands the entry of `moving` to seed-b.
    assert.equal(
      await admit('seed-a', {
        resource: 'backupentries',
        object: entry('e', 'bucket-a', 'seed-b'),
        oldObject: entry('e', 'bucket-a', 'seed-a'),
      }),
      'admitted',
    );
    const secret = (name: string, labels?: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: 'garden', ...(labels ? { labels } : {}) },
    });
    assert.equal(
      await admit('seed-a', { operation: 'CREATE', resource: 'secrets', object: secret('backup-seed-a') }),
      'admitted',
    );
    assert.match(
      await admit('seed-a', { operation: 'CREATE', resource: 'secrets', object: secret('backup-seed-b') }),
      /may only write the Secrets/,
    );
    assert.match(
      await admit('seed-a', {
        operation: 'CREATE',
        resource: 'secrets',
        object: secret('backup-seed-a', { 'gardener.cloud/role': 'internal-domain' }),
      }),
      /may not set the label gardener.cloud\/role/,
    );
  });

  it('lets Events be written only about Shoots placed on or hosted by the seed, in their namespace', async () => {
    const event = (about: Record<string, unknown>, namespace = 'garden-dev'): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'moving.1', namespace },
      involvedObject: { apiVersion: G, kind: 'Shoot', namespace: 'garden-dev', name: 'moving', ...about },
      reason: 'PrepareMigration',
    });
    const create = (seedName: string, object: KubeObject) =>
      admit(seedName, { operation: 'CREATE', resource: 'events', object });
    // `moving` is hosted by seed-a and placed on seed-b: both may report on it.
    assert.equal(await create('seed-a', event({})), 'admitted');
    assert.equal(await create('seed-b', event({})), 'admitted');
    assert.match(await create('seed-c', event({})), /seed "seed-c" may only write Events about Shoots/);
    assert.match(await create('seed-a', event({ name: 'unknown' })), /involvedObject "Shoot garden-dev\/unknown"/);
    assert.match(await create('seed-a', event({ kind: 'Seed' })), /involvedObject "Seed garden-dev\/moving"/);
    assert.match(await create('seed-a', event({}, 'garden-other')), /may only write Events/);
  });

  it("lets a seed change only its own answer in a MigrationPreflight's status", async () => {
    const old = preflight('a1-to-b', 'seed-b', 'seed-a');
    const answered = (name: string, by: string, status = 'Passed'): KubeObject => {
      const next = structuredClone(old) as KubeObject & {
        status: { checks: { name: string; status: string; origin: string }[] };
      };
      const check = next.status.checks.find((c) => c.name === name)!;
      check.status = status;
      check.origin = by;
      return next;
    };
    const write = (seedName: string, object: KubeObject) =>
      admit(seedName, {
        resource: 'migrationpreflights',
        subresource: 'status',
        kind: { group: 'migration.transplant.gardener.cloud', version: 'v1alpha1', kind: 'MigrationPreflight' },
        object,
        oldObject: old,
      });
    assert.equal(await write('seed-b', answered('TargetSeedReachesSourceBackupStore', 'seed/seed-b')), 'admitted');
    assert.equal(await write('seed-a', answered('MachinesReachTargetSeed', 'seed/seed-a', 'Failed')), 'admitted');
    assert.match(
      await write('seed-a', answered('TargetSeedReachesSourceBackupStore', 'seed/seed-a')),
      /may only answer its own checks of a MigrationPreflight \(MachinesReachTargetSeed\)/,
    );
    assert.match(
      await write('seed-b', answered('ShootMovable', 'seed/seed-b', 'Failed')),
      /may only answer its own checks/,
    );
    const phase = structuredClone(old) as KubeObject & { status: { phase: string } };
    phase.status.phase = 'Succeeded';
    assert.match(await write('seed-b', phase), /may only answer its own checks/);
    assert.match(await write('seed-c', answered('MachinesReachTargetSeed', 'seed/seed-c')), /\(none\)/);
  });
});
