import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EtcdConditionType,
  etcdConditionTrue,
  etcdReady,
  etcdReplicas,
  etcdResource,
  STORE_PROVIDERS,
} from '../../../src/api/druid/index.js';
import type { FieldError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { ResourceDefinition, Strategy } from '../../../src/apiserver/types.js';
import { checked } from '../../../src/client/client.js';
import { etcdDefinition } from '../../../src/registry/druid/etcd.js';
import { druidDefinitions } from '../../../src/registry/druid/index.js';
import { definitionNames } from '../../helpers/definition-names.js';
import { sampleEtcdMain } from '../../helpers/sample-objects.js';

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

function created(obj: KubeObject): { obj: KubeObject; errors: FieldError[] } {
  const copy = structuredClone(obj);
  etcdDefinition.strategy.prepareForCreate!(copy);
  return { obj: copy, errors: etcdDefinition.strategy.validate!(copy) };
}

describe('druidDefinitions', () => {
  it('lists Etcd and EtcdCopyBackupsTask, namespaced with status', () => {
    assert.deepEqual(druidDefinitions.map(definitionNames), [
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
    ]);
    assert.deepEqual([...STORE_PROVIDERS], ['local', 's3']);
  });
});

describe('Etcd', () => {
  it('create: defaults replicas to 1, clears the status, validates and keeps unknown fields', () => {
    const { obj, errors } = created({ ...sampleEtcdMain(), status: { ready: true } });
    assert.deepEqual(errors, []);
    assert.equal((obj.spec as { replicas: number }).replicas, 1);
    assert.equal(obj.metadata.generation, 1);
    assert.equal(obj.status, undefined);
    assert.deepEqual((obj.spec as Record<string, unknown>).futureField, { keep: 'me' });
    assert.equal(etcdReplicas(checked(etcdResource, obj)), 1);
    const stopped = created(sampleEtcdMain({ replicas: 0 }));
    assert.deepEqual(stopped.errors, []);
    assert.equal(etcdReplicas(checked(etcdResource, stopped.obj)), 0);
    assert.deepEqual(created(sampleEtcdMain({}, { store: undefined })).errors, [], 'backups are optional');
  });

  it('rejects bad specs with field paths', () => {
    const check = (spec: Record<string, unknown>, backup: Record<string, unknown> = {}) =>
      paths(created(sampleEtcdMain(spec, backup)).errors);
    assert.deepEqual(check({ replicas: 2 }), [['spec.replicas', 'FieldValueNotSupported']]);
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
      ...sampleEtcdMain({ replicas: 1, storageClass: 'default' }),
      metadata: { ...sampleEtcdMain().metadata, generation: 2, resourceVersion: '5' },
      status: { ready: true, observedGeneration: 2 },
    };
    const same = structuredClone(old);
    etcdDefinition.strategy.prepareForUpdate!(same, old);
    assert.equal(same.metadata.generation, 2);
    const scaled = structuredClone(old);
    (scaled.spec as { replicas: number }).replicas = 0;
    delete scaled.status;
    etcdDefinition.strategy.prepareForUpdate!(scaled, old);
    assert.equal(scaled.metadata.generation, 3);
    assert.deepEqual(scaled.status, old.status);
    assert.deepEqual(etcdDefinition.strategy.validateUpdate!(scaled, old), []);
    const moved = structuredClone(old);
    (moved.spec as Record<string, unknown>).storageClass = 'fast';
    assert.deepEqual(paths(etcdDefinition.strategy.validateUpdate!(moved, old)), [
      ['spec.storageClass', 'FieldImmutable'],
    ]);
  });

  it('status: validates what the druid writes and keeps the spec', () => {
    const old: KubeObject = {
      ...sampleEtcdMain({ replicas: 1 }),
      metadata: { ...sampleEtcdMain().metadata, generation: 2 },
    };
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
    const strategy = statusStrategy(etcdDefinition);
    strategy.prepareForUpdate!(next, old);
    assert.deepEqual(next.spec, old.spec);
    assert.equal(next.metadata.generation, 2);
    assert.deepEqual(strategy.validateUpdate!(next, old), []);
    const etcd = checked(etcdResource, next);
    assert.ok(etcdReady(etcd));
    assert.ok(etcdConditionTrue(etcd, EtcdConditionType.Ready));
    assert.ok(!etcdConditionTrue(etcd, EtcdConditionType.BackupReady));
    assert.equal(etcd.status?.endpoint, 'http://127.0.0.1:23790');
    assert.equal(etcd.status?.clusterSize, 1);
    assert.deepEqual(
      etcd.status?.members?.map((m) => [m.name, m.role, m.status]),
      [['etcd-main-0', 'Leader', 'Ready']],
    );
    assert.deepEqual(cells(etcdDefinition, next), {
      READY: 'true',
      QUORATE: 'True',
      'ALL MEMBERS READY': 'True',
      'BACKUP READY': 'False',
    });
    assert.deepEqual(cells(etcdDefinition, next, true), {
      READY: 'true',
      QUORATE: 'True',
      'ALL MEMBERS READY': 'True',
      'BACKUP READY': 'False',
      'CLUSTER SIZE': 1,
      'CURRENT REPLICAS': 1,
      'READY REPLICAS': 1,
    });
    assert.deepEqual(cells(etcdDefinition, old), {
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
});
