/**
 * A seed's API server under fuzz (test/helpers/api-fuzz/): the extension and druid kinds the
 * gardenlet writes, core kinds and RBAC, over HTTPS as the seed's admin (bearer token), with no
 * controllers. docs/security.md, "Fuzzing".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { KubeObject } from '../../src/api/meta.js';
import type { HostedApiServer } from '../../src/hosting/hosted-api-server.js';
import { startSeedApiServer } from '../../src/seed/seed.js';
import { type FuzzTarget, fuzzTarget } from '../helpers/api-fuzz/fuzz-arbitraries.js';
import { fuzzRunOptions, fuzzSurfaceTest } from '../helpers/api-fuzz/fuzz-property.js';
import { type FuzzTransport, superuserTransport } from '../helpers/api-fuzz/fuzz-transport.js';
import {
  SAMPLE_CONTROL_PLANE_NAMESPACE,
  sampleCopyTask,
  sampleEtcdMain,
  sampleExtensionObjects,
} from '../helpers/sample-objects.js';

const EXTENSIONS = 'apis/extensions.gardener.cloud/v1alpha1';
const DRUID = 'apis/druid.gardener.cloud/v1alpha1';

function target(groupVersionPath: string, plural: string, sample: KubeObject, subresources: string[] = []): FuzzTarget {
  return fuzzTarget(groupVersionPath, plural, sample, subresources, plural === 'namespaces');
}

function seedTargets(): FuzzTarget[] {
  const extension = (kind: string, plural: string) =>
    target(EXTENSIONS, plural, sampleExtensionObjects[kind]!, ['status']);
  return [
    target('api/v1', 'namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fuzz-sample' } }, [
      'status',
      'finalize',
    ]),
    target('api/v1', 'secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'etcd-backup', namespace: SAMPLE_CONTROL_PLANE_NAMESPACE },
      type: 'Opaque',
      stringData: { bucketName: 'b' },
    }),
    target('api/v1', 'configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'fuzz', namespace: 'garden', labels: { app: 'fuzz' } },
      data: { key: 'value' },
    }),
    extension('BackupBucket', 'backupbuckets'),
    extension('BackupEntry', 'backupentries'),
    extension('DNSRecord', 'dnsrecords'),
    extension('Infrastructure', 'infrastructures'),
    extension('ControlPlane', 'controlplanes'),
    extension('Worker', 'workers'),
    extension('Cluster', 'clusters'),
    target(DRUID, 'etcds', sampleEtcdMain(), ['status']),
    target(DRUID, 'etcdcopybackupstasks', sampleCopyTask(), ['status']),
    target('apis/rbac.authorization.k8s.io/v1', 'roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'fuzz-role', namespace: 'garden' },
      rules: [{ apiGroups: ['extensions.gardener.cloud'], resources: ['*'], verbs: ['get'] }],
    }),
  ];
}

describe('seed API fuzz', () => {
  let dir: string;
  let seed: HostedApiServer;
  let transport: FuzzTransport;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-seed-fuzz-'));
    seed = await startSeedApiServer({ name: 'seed-fuzz', dir, port: 0, logger: pino({ level: 'silent' }) });
    // The samples' namespace, out of the fuzzer's reach (the namespaces target is another one).
    await seed
      .store('', 'namespaces')
      .create(
        '',
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SAMPLE_CONTROL_PLANE_NAMESPACE } },
        seed.systemContext,
      );
    transport = await superuserTransport(seed, dir, 'seed-admin');
  });

  after(async () => {
    transport?.close();
    await seed?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`answers ${fuzzRunOptions().numRuns} adversarial requests with a Status or a valid success, never a 5xx, the store unchanged by refusals`, async (t) => {
    const storage = seed.server.storage;
    await fuzzSurfaceTest(t, {
      name: 'seed',
      transport,
      targets: seedTargets(),
      revision: () => storage.currentRevision(),
    });
  });
});
