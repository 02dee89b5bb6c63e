/**
 * Every kind's guard (src/api/kind-guard.ts): it accepts the example manifests and objects as the
 * servers store them after the controllers wrote their status, and refuses a wrong shape with the
 * path of the first field that does not match.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isBackupBucket,
  isBackupEntry,
  isProject,
  isSeed,
  isShoot,
  isShootState,
  LAST_OPERATION_STATES,
  LAST_OPERATION_TYPES,
} from '../../src/api/core-gardener/index.js';
import { isEtcd, isEtcdCopyBackupsTask } from '../../src/api/druid/index.js';
import {
  isControlPlane,
  isDNSRecord,
  isExtensionBackupBucket,
  isExtensionBackupEntry,
  isInfrastructure,
  isWorker,
} from '../../src/api/extensions/index.js';
import { aString, type KindGuard, listOf, nullable, oneOf, optional, shape } from '../../src/api/kind-guard.js';
import type { KubeObject } from '../../src/api/meta.js';
import { loadExamples } from '../helpers/examples.js';
import {
  SAMPLE_SUCCEEDED_EXTENSION_STATUS,
  sampleCopyTask,
  sampleEtcdMain,
  sampleExtensionObjects,
  sampleFailedCopyTask,
  sampleShoot,
} from '../helpers/sample-objects.js';

const stored = { uid: 'u-1', resourceVersion: '42', generation: 2, creationTimestamp: '2026-11-23T19:40:00Z' };
const lastOperation = (type: string, state: string) => ({
  type,
  state,
  progress: 100,
  description: 'done',
  lastUpdateTime: '2026-11-23T19:40:00Z',
});
const condition = (type: string, status = 'True') => ({
  type,
  status,
  lastTransitionTime: '2026-11-23T19:40:00Z',
  lastUpdateTime: '2026-11-23T19:40:00+00:00',
  reason: 'Because',
  message: 'm',
});

/** A stored Shoot after the gardenlet reconciled it (what `ShootReconciler` writes). */
const reconciledShoot = sampleShoot({
  metadata: { ...stored, finalizers: ['gardener'], labels: { 'shoot.gardener.cloud/status': 'healthy' } },
  status: {
    seedName: 'seed-a',
    observedGeneration: 2,
    lastOperation: lastOperation('Reconcile', 'Succeeded'),
    conditions: [condition('APIServerAvailable'), condition('ControlPlaneHealthy', 'Progressing')],
    advertisedAddresses: [{ name: 'external', url: 'https://127.88.1.2:6443' }],
    technicalID: 'shoot--dev--my-shoot',
    uid: 'u-1',
  },
});

/** A stored Shoot whose Restore failed a step (lastErrors keyed by the step) after a Migrate. */
const restoringShoot = sampleShoot({
  spec: { seedName: 'seed-b', hibernation: { enabled: null } },
  status: {
    seedName: null,
    lastOperation: lastOperation('Restore', 'Error'),
    lastErrors: [
      { description: 'etcd-main is not ready', taskID: 'Waiting until main and event etcd report readiness' },
    ],
  },
});

interface Case {
  guard: KindGuard<KubeObject>;
  accepts: [string, unknown][];
  /** An object the guard refuses and the problem it names. */
  refuses: [unknown, string][];
}

const examples = loadExamples();
const example = (kind: string) => examples.filter(({ obj }) => obj.kind === kind).map(({ obj }) => obj);

const cases: Record<string, Case> = {
  Shoot: {
    guard: isShoot,
    accepts: [
      ...example('Shoot').map((obj): [string, unknown] => ['examples/30-shoot.yaml', obj]),
      ['the sample shoot', sampleShoot()],
      ['a reconciled shoot', reconciledShoot],
      ['a shoot being restored', restoringShoot],
    ],
    refuses: [
      [{ ...sampleShoot(), kind: 'Seed' }, 'kind: "Seed" is not one of Shoot'],
      [{ ...sampleShoot(), spec: undefined }, 'spec: must be an object, not undefined'],
      [sampleShoot({ spec: { seedName: 5 } }), 'spec.seedName: must be a string, not number 5'],
      [
        sampleShoot({ spec: { provider: { type: 'local', workers: [{ name: 'w', minimum: '1' }] } } }),
        'spec.provider.workers[0].minimum: must be a number, not "1"',
      ],
      [
        sampleShoot({ status: { lastOperation: { type: 'LiveMigrate', state: 'Succeeded' } } }),
        `status.lastOperation.type: "LiveMigrate" is not one of ${LAST_OPERATION_TYPES.join(', ')}`,
      ],
      [
        sampleShoot({ status: { lastOperation: { type: 'Reconcile', state: 'Done' } } }),
        `status.lastOperation.state: "Done" is not one of ${LAST_OPERATION_STATES.join(', ')}`,
      ],
      [
        sampleShoot({ status: { conditions: [{ type: 'EveryNodeReady', status: 'Yes' }] } }),
        'status.conditions[0].status: "Yes" is not one of True, False, Unknown, Progressing',
      ],
      [
        sampleShoot({ status: { lastErrors: [{ taskID: 'x' }] } }),
        'status.lastErrors[0].description: must be a string, not undefined',
      ],
    ],
  },
  Seed: {
    guard: isSeed,
    accepts: [
      ...example('Seed').map((obj): [string, unknown] => [`examples: ${obj.metadata.name}`, obj]),
      [
        'a seed with its gardenlet’s status',
        {
          ...example('Seed')[0]!,
          metadata: { ...example('Seed')[0]!.metadata, ...stored },
          status: {
            conditions: [condition('GardenletReady'), condition('BackupBucketsReady', 'Unknown')],
            observedGeneration: 2,
            gardener: { id: 'seed-a', name: 'gardenlet-seed-a', version: 'v1.0.0-transplant' },
            lastOperation: lastOperation('Reconcile', 'Succeeded'),
            kubernetesVersion: 'v1.31.0-transplant',
          },
        },
      ],
    ],
    refuses: [
      [
        { metadata: { name: 's' }, spec: { backup: { region: 'local' } } },
        'spec.backup.provider: must be a string, not undefined',
      ],
      [{ metadata: { name: 's' } }, 'spec: must be an object, not undefined'],
      [{ metadata: { name: 's' }, spec: {}, status: 'Ready' }, 'status: must be an object, not "Ready"'],
    ],
  },
  Project: {
    guard: isProject,
    accepts: [
      ...example('Project').map((obj): [string, unknown] => ['examples/10-project.yaml', obj]),
      ['a project without a spec', { metadata: { name: 'p' }, status: { phase: 'Ready', observedGeneration: 1 } }],
    ],
    refuses: [
      [
        { metadata: { name: 'p' }, spec: { members: [{ kind: 'User' }] } },
        'spec.members[0].name: must be a string, not undefined',
      ],
      [{ metadata: { name: 'p' }, spec: { namespace: 7 } }, 'spec.namespace: must be a string, not number 7'],
    ],
  },
  ShootState: {
    guard: isShootState,
    accepts: [
      [
        'an empty ShootState (the garden creates it)',
        { metadata: { name: 'my-shoot', namespace: 'garden-dev' }, spec: {} },
      ],
      [
        'a ShootState the gardenlet filled',
        {
          metadata: { name: 'my-shoot', namespace: 'garden-dev' },
          spec: {
            gardener: [
              {
                name: 'ca',
                type: 'secret',
                data: { data: { 'ca.crt': 'Y2E=' }, type: 'Opaque' },
                labels: { persist: 'true' },
              },
            ],
            extensions: [{ kind: 'Worker', name: 'my-shoot', state: { machines: [] } }],
          },
        },
      ],
    ],
    refuses: [
      [
        { metadata: { name: 's' }, spec: { gardener: [{ name: 'ca' }] } },
        'spec.gardener[0].type: must be a string, not undefined',
      ],
      [{ metadata: { name: 's' }, spec: { extensions: {} } }, 'spec.extensions: must be a list, not an object'],
    ],
  },
  BackupBucket: {
    guard: isBackupBucket,
    accepts: [
      [
        'the seed’s bucket as the gardenlet reports it',
        {
          apiVersion: 'core.gardener.cloud/v1beta1',
          kind: 'BackupBucket',
          metadata: { name: 'u-1', ...stored },
          spec: {
            provider: { type: 'local', region: 'local' },
            secretRef: { name: 'backup-seed-a', namespace: 'garden' },
            seedName: 'seed-a',
          },
          status: {
            lastOperation: lastOperation('Reconcile', 'Succeeded'),
            observedGeneration: 2,
            generatedSecretRef: null,
            providerStatus: null,
          },
        },
      ],
    ],
    refuses: [
      [{ metadata: { name: 'b' }, spec: { provider: {} } }, 'spec.provider.type: must be a string, not undefined'],
      [
        {
          apiVersion: 'extensions.gardener.cloud/v1alpha1',
          metadata: { name: 'b' },
          spec: { provider: { type: 'local' } },
        },
        'apiVersion: "extensions.gardener.cloud/v1alpha1" is not one of core.gardener.cloud/v1beta1',
      ],
    ],
  },
  BackupEntry: {
    guard: isBackupEntry,
    accepts: [
      [
        'an entry migrated away from its seed',
        {
          metadata: { name: 'shoot--dev--my-shoot--u-1', namespace: 'garden-dev', ...stored },
          spec: { bucketName: 'u-2', seedName: 'seed-b' },
          status: { seedName: null, lastOperation: lastOperation('Migrate', 'Succeeded'), observedGeneration: 2 },
        },
      ],
    ],
    refuses: [
      [{ metadata: { name: 'e' }, spec: {} }, 'spec.bucketName: must be a string, not undefined'],
      [
        { metadata: { name: 'e' }, spec: { bucketName: 'b' }, status: { lastError: { description: 3 } } },
        'status.lastError.description: must be a string, not number 3',
      ],
    ],
  },
  Etcd: {
    guard: isEtcd,
    accepts: [
      ['the sample etcd-main', sampleEtcdMain()],
      ['etcd-main without backups', sampleEtcdMain({}, { store: undefined })],
      [
        'etcd-main as the druid reports it',
        {
          ...sampleEtcdMain({ replicas: 1 }),
          status: {
            observedGeneration: 1,
            ready: false,
            conditions: [condition('Ready', 'False'), condition('BackupReady', 'Unknown')],
            clusterSize: 1,
            replicas: 1,
            currentReplicas: 1,
            readyReplicas: 0,
            members: [{ name: 'etcd-main-0', status: 'NotReady', reason: 'RestoreFailed' }],
            lastErrors: [{ code: 'RestoreFailed', description: 'no snapshot', observedAt: '2026-11-23T19:40:00Z' }],
            endpoint: 'https://127.0.0.1:32379',
          },
        },
      ],
    ],
    refuses: [
      [
        sampleEtcdMain({}, { store: { provider: 'gcs', container: 'c', prefix: 'p' } }),
        'spec.backup.store.provider: "gcs" is not one of local, s3',
      ],
      [sampleEtcdMain({ etcd: undefined }), 'spec.etcd: must be an object, not undefined'],
      [
        { ...sampleEtcdMain(), status: { members: [{ name: 'm', status: 'Up' }] } },
        'status.members[0].status: "Up" is not one of Ready, NotReady, Unknown',
      ],
    ],
  },
  EtcdCopyBackupsTask: {
    guard: isEtcdCopyBackupsTask,
    accepts: [
      ['the task the Restore creates', sampleCopyTask()],
      ['a failed task', sampleFailedCopyTask()],
      [
        'a task an operator marked Succeeded (the seed document’s patch)',
        {
          ...sampleCopyTask(),
          status: {
            // `date -Iseconds` timestamps, as the document's command writes them.
            conditions: [{ ...condition('Succeeded'), lastTransitionTime: '2026-11-23T19:40:00+00:00' }],
          },
        },
      ],
    ],
    refuses: [
      [sampleCopyTask({ targetStore: undefined }), 'spec.targetStore: must be an object, not undefined'],
      [
        sampleCopyTask({ waitForFinalSnapshot: { timeout: '5m' } }),
        'spec.waitForFinalSnapshot.enabled: must be a boolean, not undefined',
      ],
    ],
  },
};

const extensionStatus = {
  ...SAMPLE_SUCCEEDED_EXTENSION_STATUS,
  conditions: [condition('Ready')],
  resources: [{ name: 'machine-state', resourceRef: { apiVersion: 'v1', kind: 'Secret', name: 'ms' } }],
  state: { anything: ['the', { controller: 'saves' }] },
};
const extensionGuards: Record<string, KindGuard<KubeObject>> = {
  BackupBucket: isExtensionBackupBucket,
  BackupEntry: isExtensionBackupEntry,
  DNSRecord: isDNSRecord,
  Infrastructure: isInfrastructure,
  ControlPlane: isControlPlane,
  Worker: isWorker,
};
for (const [kind, guard] of Object.entries(extensionGuards)) {
  const sample = sampleExtensionObjects[kind]!;
  cases[`${kind} (extensions)`] = {
    guard,
    accepts: [
      [`the sample ${kind}`, sample],
      [`a reconciled ${kind}`, { ...sample, metadata: { ...sample.metadata, ...stored }, status: extensionStatus }],
      [
        `a migrated ${kind}`,
        {
          ...sample,
          status: { ...extensionStatus, lastOperation: lastOperation('Migrate', 'Succeeded'), lastError: null },
        },
      ],
    ],
    refuses: [
      [
        { ...sample, spec: { ...(sample.spec as object), type: undefined } },
        'spec.type: must be a string, not undefined',
      ],
      [
        { ...sample, spec: { ...(sample.spec as object), class: 'cluster' } },
        'spec.class: "cluster" is not one of garden, seed, shoot',
      ],
      [
        { ...sample, status: { lastOperation: { type: 'Reconcile', state: 'Processing', progress: '50%' } } },
        'status.lastOperation.progress: must be a number, not "50%"',
      ],
      [{ ...sample, kind: 'Cluster' }, `kind: "Cluster" is not one of ${kind}`],
      [{ ...sample, status: { state: 'saved' } }, 'status.state: must be an object, not "saved"'],
    ],
  };
}
cases['Worker (extensions)']!.refuses.push([
  {
    ...sampleExtensionObjects.Worker!,
    spec: { ...(sampleExtensionObjects.Worker!.spec as object), pools: [{ name: 'p' }] },
  },
  'spec.pools[0].machineType: must be a string, not undefined',
]);
cases['DNSRecord (extensions)']!.refuses.push([
  {
    ...sampleExtensionObjects.DNSRecord!,
    spec: { ...(sampleExtensionObjects.DNSRecord!.spec as object), recordType: 'MX' },
  },
  'spec.recordType: "MX" is not one of A, AAAA, CNAME, TXT',
]);

describe('kind guards', () => {
  for (const [kind, { guard, accepts, refuses }] of Object.entries(cases)) {
    describe(kind, () => {
      it('accepts the examples and stored objects', () => {
        assert.ok(accepts.length > 0);
        for (const [what, obj] of accepts) {
          assert.equal(guard.problem(obj), undefined, what);
          assert.ok(guard(obj), what);
        }
      });

      it('refuses a wrong shape, naming the first field that does not match', () => {
        for (const [obj, problem] of refuses) {
          assert.equal(guard.problem(obj), problem);
          assert.equal(guard(obj), false);
        }
        for (const notAnObject of [null, 'Shoot', [], 1]) assert.ok(!guard(notAnObject));
        assert.equal(guard.problem({ spec: {} }), 'metadata: must be an object, not undefined');
      });
    });
  }

  it('the examples hold one object of each typed kind they apply', () => {
    assert.deepEqual(
      ['Project', 'Seed', 'Shoot'].map((kind) => example(kind).length > 0),
      [true, true, true],
    );
  });
});

describe('checks', () => {
  it('compose into shapes whose problems carry the path', () => {
    const check = shape<{ a: string; b?: string[] | null; c?: string }>({
      a: oneOf(['x', 'y']),
      b: optional(nullable(listOf(aString))),
      c: optional(aString),
    });
    assert.equal(check({ a: 'x', b: null }, 'spec'), undefined);
    assert.equal(check({ a: 'x', b: ['1', 2] }, 'spec'), 'spec.b[1]: must be a string, not number 2');
    assert.equal(check({ a: 'z' }, 'spec'), 'spec.a: "z" is not one of x, y');
    assert.equal(check({ a: 'x', c: null }, 'spec'), 'spec.c: must be a string, not null');
    assert.equal(check([], 'spec'), 'spec: must be an object, not a list');
  });
});
