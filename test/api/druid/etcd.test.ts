import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DRUID_API_VERSION,
  druidResources,
  etcdBackupReady,
  etcdBackupStore,
  etcdClusterSize,
  etcdDeltaSnapshotPeriodMs,
  etcdEndpoint,
  etcdFullSnapshotSchedule,
  etcdMembers,
  etcdNotReadyReason,
  etcdQuorate,
  etcdReady,
  etcdReconciled,
  etcdReplicas,
  etcdResource,
  STORE_PROVIDERS,
} from '../../../src/api/druid/index.js';
import type { FieldError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { ResourceDefinition, Strategy } from '../../../src/apiserver/types.js';

const NS = 'shoot--dev--my-shoot';

function paths(errors: FieldError[]): [string, string][] {
  return errors.map((e) => [e.path, e.type]);
}

function cells(def: ResourceDefinition, obj: KubeObject, wide = false): Record<string, unknown> {
  return Object.fromEntries(
    (def.columns ?? []).filter((c) => c.name !== 'AGE' && (wide || !c.priority)).map((c) => [c.name, c.cell(obj)]),
  );
}

function statusStrategy(def: ResourceDefinition): Strategy {
  return def.subresources!.find((s) => s.name === 'status')!.strategy;
}

/** Gardener's etcd-main, trimmed to what Transplant runs. */
function etcdMain(spec: Record<string, unknown> = {}, backup: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: DRUID_API_VERSION,
    kind: 'Etcd',
    metadata: { name: 'etcd-main', namespace: NS, labels: { role: 'main' } },
    spec: {
      labels: { 'gardener.cloud/role': 'controlplane', role: 'main', app: 'etcd-statefulset' },
      selector: { matchLabels: { 'gardener.cloud/role': 'controlplane', role: 'main' } },
      etcd: {
        quota: '8Gi',
        clientPort: 2379,
        serverPort: 2380,
        metrics: 'basic',
        defragmentationSchedule: '0 */24 * * *',
        clientUrlTls: {
          tlsCASecretRef: { name: 'ca-etcd-bundle', dataKey: 'bundle.crt' },
          serverTLSSecretRef: { name: 'etcd-server-etcd-main' },
          clientTLSSecretRef: { name: 'etcd-client' },
        },
        peerUrlTls: {
          tlsCASecretRef: { name: 'ca-etcd-peer-bundle', dataKey: 'bundle.crt' },
          serverTLSSecretRef: { name: 'etcd-peer-server-etcd-main' },
        },
      },
      backup: {
        port: 8080,
        store: {
          provider: 'local',
          container: '3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11',
          prefix: `${NS}--0b5e8d3a/etcd-main`,
          secretRef: { name: 'etcd-backup' },
        },
        fullSnapshotSchedule: '0 */12 * * *',
        deltaSnapshotPeriod: '5m',
        deltaSnapshotMemoryLimit: '100Mi',
        garbageCollectionPolicy: 'Exponential',
        garbageCollectionPeriod: '12h',
        compression: { enabled: true, policy: 'gzip' },
        ...backup,
      },
      sharedConfig: { autoCompactionMode: 'periodic', autoCompactionRetention: '30m' },
      storageCapacity: '10Gi',
      priorityClassName: 'gardener-system-500',
      futureField: { keep: 'me' },
      ...spec,
    },
  };
}

function created(obj: KubeObject): { obj: KubeObject; errors: FieldError[] } {
  const copy = structuredClone(obj);
  etcdResource.strategy.prepareForCreate!(copy);
  return { obj: copy, errors: etcdResource.strategy.validate!(copy) };
}

describe('druidResources', () => {
  it('lists Etcd and EtcdCopyBackupsTask, namespaced with status', () => {
    assert.deepEqual(
      druidResources.map((d) => [
        d.group,
        d.version,
        d.kind,
        d.listKind,
        d.plural,
        d.singular,
        d.namespaced,
        d.hasStatus,
      ]),
      [
        ['druid.gardener.cloud', 'v1alpha1', 'Etcd', 'EtcdList', 'etcds', 'etcd', true, true],
        [
          'druid.gardener.cloud',
          'v1alpha1',
          'EtcdCopyBackupsTask',
          'EtcdCopyBackupsTaskList',
          'etcdcopybackupstasks',
          'etcdcopybackupstask',
          true,
          true,
        ],
      ],
    );
    assert.deepEqual([...STORE_PROVIDERS], ['local', 's3']);
  });
});

describe('Etcd', () => {
  it('create: defaults replicas to 1, clears the status, validates and keeps unknown fields', () => {
    const { obj, errors } = created({ ...etcdMain(), status: { ready: true } });
    assert.deepEqual(errors, []);
    assert.equal((obj.spec as { replicas: number }).replicas, 1);
    assert.equal(obj.metadata.generation, 1);
    assert.equal(obj.status, undefined);
    assert.deepEqual((obj.spec as Record<string, unknown>).futureField, { keep: 'me' });
    assert.equal(etcdReplicas(obj), 1);
    const stopped = created(etcdMain({ replicas: 0 }));
    assert.deepEqual(stopped.errors, []);
    assert.equal(etcdReplicas(stopped.obj), 0);
    assert.deepEqual(created(etcdMain({}, { store: undefined })).errors, [], 'backups are optional');
  });

  it('rejects bad specs with field paths', () => {
    const check = (spec: Record<string, unknown>, backup: Record<string, unknown> = {}) =>
      paths(created(etcdMain(spec, backup)).errors);
    assert.deepEqual(check({ replicas: 3 }), [['spec.replicas', 'FieldValueNotSupported']]);
    assert.deepEqual(check({ replicas: '1' }), [['spec.replicas', 'FieldValueTypeInvalid']]);
    assert.deepEqual(check({ labels: undefined, etcd: undefined, backup: undefined }), [
      ['spec.labels', 'FieldValueRequired'],
      ['spec.etcd', 'FieldValueRequired'],
      ['spec.backup', 'FieldValueRequired'],
    ]);
    assert.deepEqual(
      check({
        etcd: {
          quota: '8 gigs',
          clientPort: 0,
          serverPort: 70000,
          clientUrlTls: { serverTLSSecretRef: { name: 'x' } },
        },
        storageCapacity: 'lots',
      }),
      [
        ['spec.etcd.quota', 'FieldValueInvalid'],
        ['spec.etcd.serverPort', 'FieldValueInvalid'],
        ['spec.etcd.clientPort', 'FieldValueInvalid'],
        ['spec.etcd.clientUrlTls.tlsCASecretRef.name', 'FieldValueRequired'],
        ['spec.storageCapacity', 'FieldValueInvalid'],
      ],
    );
    assert.deepEqual(
      check(
        {},
        {
          store: { provider: 'gcs', container: 'ab', prefix: '' },
          garbageCollectionPolicy: 'Never',
          deltaSnapshotPeriod: '5 minutes',
          fullSnapshotSchedule: 'hourly',
          maxBackupsLimitBasedGC: -1,
          compression: { policy: 'bzip2' },
        },
      ),
      [
        ['spec.backup.store.provider', 'FieldValueNotSupported'],
        ['spec.backup.store.prefix', 'FieldValueRequired'],
        ['spec.backup.store.container', 'FieldValueInvalid'],
        ['spec.backup.fullSnapshotSchedule', 'FieldValueInvalid'],
        ['spec.backup.garbageCollectionPolicy', 'FieldValueNotSupported'],
        ['spec.backup.maxBackupsLimitBasedGC', 'FieldValueInvalid'],
        ['spec.backup.deltaSnapshotPeriod', 'FieldValueInvalid'],
        ['spec.backup.compression.policy', 'FieldValueNotSupported'],
      ],
    );
    assert.deepEqual(
      check({}, { store: { provider: 's3', container: 'bucket', prefix: 'p' } }),
      [['spec.backup.store.secretRef.name', 'FieldValueRequired']],
      'S3 needs credentials',
    );
    assert.deepEqual(check({}, { garbageCollectionPeriod: '1m' }), [
      ['spec.backup.garbageCollectionPeriod', 'FieldValueInvalid'],
    ]);
    assert.deepEqual(check({}, { garbageCollectionPolicy: 'LimitBased', maxBackupsLimitBasedGC: 7 }), []);
  });

  it('update: bumps the generation on spec changes, keeps storageClass, replicas only up or to 0', () => {
    const old: KubeObject = {
      ...etcdMain({ replicas: 1, storageClass: 'default' }),
      metadata: { ...etcdMain().metadata, generation: 2, resourceVersion: '5' },
      status: { ready: true, observedGeneration: 2 },
    };
    const same = structuredClone(old);
    etcdResource.strategy.prepareForUpdate!(same, old);
    assert.equal(same.metadata.generation, 2);
    const scaled = structuredClone(old);
    (scaled.spec as { replicas: number }).replicas = 0;
    delete scaled.status;
    etcdResource.strategy.prepareForUpdate!(scaled, old);
    assert.equal(scaled.metadata.generation, 3);
    assert.deepEqual(scaled.status, old.status);
    assert.deepEqual(etcdResource.strategy.validateUpdate!(scaled, old), []);
    const moved = structuredClone(old);
    (moved.spec as Record<string, unknown>).storageClass = 'fast';
    assert.deepEqual(paths(etcdResource.strategy.validateUpdate!(moved, old)), [
      ['spec.storageClass', 'FieldImmutable'],
    ]);
  });

  it('status: validates what the druid writes and keeps the spec', () => {
    const old: KubeObject = { ...etcdMain({ replicas: 1 }), metadata: { ...etcdMain().metadata, generation: 2 } };
    const status = {
      observedGeneration: 2,
      ready: true,
      clusterSize: 1,
      currentReplicas: 1,
      readyReplicas: 1,
      endpoint: 'http://127.0.0.1:23790',
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Quorate', message: 'ok', lastTransitionTime: '2026-11-23T19:40:00Z' },
        { type: 'AllMembersReady', status: 'True', reason: 'AllMembersReady', message: 'ok' },
        { type: 'BackupReady', status: 'False', reason: 'NoFullSnapshot', message: 'none yet' },
      ],
      members: [{ name: 'etcd-main-0', id: '1a2b', role: 'Leader', status: 'Ready', reason: 'LeaseSucceeded' }],
    };
    const next: KubeObject = { ...structuredClone(old), spec: { replicas: 0 }, status };
    const strategy = statusStrategy(etcdResource);
    strategy.prepareForUpdate!(next, old);
    assert.deepEqual(next.spec, old.spec);
    assert.equal(next.metadata.generation, 2);
    assert.deepEqual(strategy.validateUpdate!(next, old), []);
    assert.ok(etcdReady(next));
    assert.ok(etcdQuorate(next));
    assert.ok(!etcdBackupReady(next));
    assert.equal(etcdEndpoint(next), 'http://127.0.0.1:23790');
    assert.equal(etcdClusterSize(next), 1);
    assert.deepEqual(
      etcdMembers(next).map((m) => [m.name, m.role, m.status]),
      [['etcd-main-0', 'Leader', 'Ready']],
    );
    assert.deepEqual(cells(etcdResource, next), {
      READY: 'true',
      QUORATE: 'True',
      'ALL MEMBERS READY': 'True',
      'BACKUP READY': 'False',
    });
    assert.deepEqual(cells(etcdResource, next, true), {
      READY: 'true',
      QUORATE: 'True',
      'ALL MEMBERS READY': 'True',
      'BACKUP READY': 'False',
      'CLUSTER SIZE': 1,
      'CURRENT REPLICAS': 1,
      'READY REPLICAS': 1,
    });
    assert.deepEqual(cells(etcdResource, old), {
      READY: null,
      QUORATE: null,
      'ALL MEMBERS READY': null,
      'BACKUP READY': null,
    });
    const bad = {
      ...next,
      status: {
        ready: 'yes',
        conditions: [{ type: 'Ready', status: 'True', lastUpdateTime: '23.11.2026' }],
        members: [{ name: 'etcd-main-0', status: 'Healthy' }],
        lastErrors: [{ code: 'ERR' }],
      },
    };
    assert.deepEqual(paths(strategy.validateUpdate!(bad, old)), [
      ['status.ready', 'FieldValueTypeInvalid'],
      ['status.conditions[0].lastUpdateTime', 'FieldValueInvalid'],
      ['status.lastErrors[0].description', 'FieldValueRequired'],
      ['status.members[0].status', 'FieldValueNotSupported'],
    ]);
  });

  it('readers: store, schedule, readiness like Gardener’s CheckEtcdObject', () => {
    const etcd: KubeObject = { ...etcdMain({ replicas: 1 }), metadata: { ...etcdMain().metadata, generation: 3 } };
    assert.deepEqual(etcdBackupStore(etcd), {
      provider: 'local',
      container: '3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11',
      prefix: `${NS}--0b5e8d3a/etcd-main`,
      secretRef: { name: 'etcd-backup' },
    });
    assert.equal(etcdBackupStore(etcdMain({}, { store: undefined })), undefined);
    assert.equal(etcdFullSnapshotSchedule(etcd), '0 */12 * * *');
    assert.equal(etcdDeltaSnapshotPeriodMs(etcd), 300_000);
    assert.equal(etcdNotReadyReason(etcd), 'observed generation not recorded');
    etcd.status = { observedGeneration: 2, ready: true };
    assert.equal(etcdNotReadyReason(etcd), 'observed generation outdated (2/3)');
    etcd.status = { observedGeneration: 3, ready: false };
    assert.equal(etcdNotReadyReason(etcd), 'is not ready yet');
    etcd.status = { observedGeneration: 3, ready: true };
    assert.ok(etcdReconciled(etcd));
    etcd.metadata.annotations = { 'gardener.cloud/operation': 'reconcile' };
    assert.equal(etcdNotReadyReason(etcd), 'gardener operation "reconcile" is not yet picked up by etcd-druid');
    etcd.status = { observedGeneration: 3, ready: true, lastErrors: [{ code: 'E', description: 'disk full' }] };
    assert.equal(etcdNotReadyReason(etcd), 'errors during reconciliation: disk full');
    assert.ok(!etcdReady({ metadata: {} }));
  });
});
