import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldError } from '../../../src/api/errors.js';
import {
  clusterShoot,
  controlPlanePurpose,
  controlPlaneResource,
  dnsRecordResource,
  type ExtensionObject,
  extensionBackupBucketResource,
  extensionBackupEntryResource,
  extensionOperation,
  GARDENER_OPERATION_ANNOTATION,
  infrastructureResource,
  isExtensionMigrated,
  isSourceBackupEntry,
  workerResource,
} from '../../../src/api/extensions/index.js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { ResourceRef } from '../../../src/api/resource-ref.js';
import { mergePatch } from '../../../src/apiserver/patch.js';
import type { ResourceDefinition, Strategy } from '../../../src/apiserver/types.js';
import { checked } from '../../../src/client/client.js';
import { extensionBackupBucketDefinition } from '../../../src/registry/extensions/backup-bucket.js';
import { extensionBackupEntryDefinition } from '../../../src/registry/extensions/backup-entry.js';
import { clusterDefinition } from '../../../src/registry/extensions/cluster.js';
import { controlPlaneDefinition } from '../../../src/registry/extensions/control-plane.js';
import { dnsRecordDefinition } from '../../../src/registry/extensions/dns-record.js';
import { extensionDefinitions } from '../../../src/registry/extensions/index.js';
import { infrastructureDefinition } from '../../../src/registry/extensions/infrastructure.js';
import { workerDefinition } from '../../../src/registry/extensions/worker.js';
import { definitionNames } from '../../helpers/definition-names.js';
import {
  SAMPLE_CONTROL_PLANE_NAMESPACE,
  SAMPLE_SUCCEEDED_EXTENSION_STATUS,
  sampleExtensionObjects,
} from '../../helpers/sample-objects.js';

const NS = SAMPLE_CONTROL_PLANE_NAMESPACE;
const samples = sampleExtensionObjects;
const succeeded = SAMPLE_SUCCEEDED_EXTENSION_STATUS;

function cells(def: ResourceDefinition, obj: KubeObject, wide = false): Record<string, unknown> {
  return Object.fromEntries(
    (def.columns ?? []).filter((c) => c.name !== 'AGE' && (wide || !c.priority)).map((c) => [c.name, c.cell(obj)]),
  );
}

function paths(errors: FieldError[]): [string, string][] {
  return errors.map((e) => [e.path, e.type]);
}

function statusStrategy(def: ResourceDefinition): Strategy {
  return def.subresources!.find((s) => s.name === 'status')!.strategy;
}

/** Create as the generic store does: the strategy's prepare hook, then validation. */
function created(def: ResourceDefinition, obj: KubeObject): { obj: KubeObject; errors: FieldError[] } {
  const copy = structuredClone(obj);
  copy.metadata.generation = 1;
  def.strategy.prepareForCreate!(copy);
  return { obj: copy, errors: def.strategy.validate!(copy) };
}

function updated(def: ResourceDefinition, obj: KubeObject, old: KubeObject): { obj: KubeObject; errors: FieldError[] } {
  const copy = structuredClone(obj);
  def.strategy.prepareForUpdate!(copy, old);
  return { obj: copy, errors: def.strategy.validateUpdate!(copy, old) };
}

function withSpec(obj: KubeObject, spec: Record<string, unknown>): KubeObject {
  return { ...structuredClone(obj), spec: { ...(obj.spec as Record<string, unknown>), ...spec } };
}

function def(kind: string): ResourceDefinition {
  return extensionDefinitions.find((d) => d.kind === kind)!;
}

/** Each kind's reference, to read an object as a client does (through its guard). */
const refs: Record<string, ResourceRef<ExtensionObject>> = {
  BackupBucket: extensionBackupBucketResource,
  BackupEntry: extensionBackupEntryResource,
  DNSRecord: dnsRecordResource,
  Infrastructure: infrastructureResource,
  ControlPlane: controlPlaneResource,
  Worker: workerResource,
};

describe('extensionDefinitions', () => {
  it('lists the seven kinds with Gardener’s names, scopes and short names', () => {
    assert.deepEqual(
      extensionDefinitions.map((d) => [...definitionNames(d), d.shortNames ?? []]),
      [
        [
          'extensions.gardener.cloud',
          'v1alpha1',
          'BackupBucket',
          'BackupBucketList',
          'backupbuckets',
          'backupbucket',
          false,
          true,
          ['bb'],
        ],
        [
          'extensions.gardener.cloud',
          'v1alpha1',
          'BackupEntry',
          'BackupEntryList',
          'backupentries',
          'backupentry',
          false,
          true,
          ['be'],
        ],
        [
          'extensions.gardener.cloud',
          'v1alpha1',
          'DNSRecord',
          'DNSRecordList',
          'dnsrecords',
          'dnsrecord',
          true,
          true,
          ['dns'],
        ],
        [
          'extensions.gardener.cloud',
          'v1alpha1',
          'Infrastructure',
          'InfrastructureList',
          'infrastructures',
          'infrastructure',
          true,
          true,
          ['infra'],
        ],
        [
          'extensions.gardener.cloud',
          'v1alpha1',
          'ControlPlane',
          'ControlPlaneList',
          'controlplanes',
          'controlplane',
          true,
          true,
          ['cp'],
        ],
        ['extensions.gardener.cloud', 'v1alpha1', 'Worker', 'WorkerList', 'workers', 'worker', true, true, []],
        ['extensions.gardener.cloud', 'v1alpha1', 'Cluster', 'ClusterList', 'clusters', 'cluster', false, false, []],
      ],
    );
    for (const d of extensionDefinitions) {
      const subresources = (d.subresources ?? []).map((s) => [s.name, [...s.verbs]]);
      assert.deepEqual(subresources, d.kind === 'Cluster' ? [] : [['status', ['get', 'update', 'patch']]], d.kind);
    }
    assert.equal(extensionBackupBucketDefinition, def('BackupBucket'));
    assert.equal(extensionBackupEntryDefinition, def('BackupEntry'));
  });
});

describe('every extension kind', () => {
  for (const [kind, sample] of Object.entries(samples)) {
    it(`${kind}: create clears the status, sets generation 1, validates and keeps unknown fields`, () => {
      const input = withSpec({ ...sample, status: succeeded, futureTopLevel: 1 }, { futureField: { keep: 'me' } });
      const { obj, errors } = created(def(kind), input);
      assert.deepEqual(errors, []);
      assert.equal(obj.status, undefined);
      assert.equal(obj.metadata.generation, 1);
      assert.deepEqual((obj.spec as Record<string, unknown>).futureField, { keep: 'me' });
      assert.equal(obj.futureTopLevel, 1);
    });

    it(`${kind}: rejects a missing spec`, () => {
      const { errors } = created(def(kind), { ...sample, spec: undefined });
      assert.deepEqual(paths(errors), [['spec', 'FieldValueRequired']]);
    });
  }

  for (const kind of Object.keys(samples).filter((k) => k !== 'Cluster')) {
    it(`${kind}: requires spec.type and keeps it immutable`, () => {
      const { errors } = created(def(kind), withSpec(samples[kind]!, { type: '' }));
      assert.deepEqual(paths(errors), [['spec.type', 'FieldValueRequired']]);
      const old = { ...structuredClone(samples[kind]!), metadata: { ...samples[kind]!.metadata, generation: 1 } };
      const change = updated(def(kind), withSpec(old, { type: 's3' }), old);
      assert.deepEqual(paths(change.errors), [['spec.type', 'FieldImmutable']]);
    });

    it(`${kind}: update keeps the status, bumps the generation on spec changes and on reconcile`, () => {
      const old: KubeObject = {
        ...structuredClone(samples[kind]!),
        metadata: { ...samples[kind]!.metadata, generation: 3, resourceVersion: '7' },
        status: succeeded,
      };
      const strategy = def(kind).strategy;
      // Metadata-only change: same generation, stored status wins over the request's.
      const relabelled = structuredClone(old);
      relabelled.metadata.labels = { a: 'b' };
      const labelled = updated(def(kind), { ...relabelled, status: { hacked: true } }, old);
      assert.equal(labelled.obj.metadata.generation, 3);
      assert.deepEqual(labelled.obj.status, succeeded);
      assert.deepEqual(labelled.errors, []);
      // Spec change: generation + 1.
      const changed = updated(def(kind), withSpec(old, { providerConfig: { tuned: true } }), old);
      assert.deepEqual(changed.errors, []);
      assert.equal(changed.obj.metadata.generation, 4);
      // Reconcile annotation newly set: generation + 1, the annotation stays for the controller.
      const annotated = structuredClone(old);
      annotated.metadata.annotations = { [GARDENER_OPERATION_ANNOTATION]: 'reconcile' };
      const reconcile = updated(def(kind), annotated, old);
      assert.equal(reconcile.obj.metadata.generation, 4);
      assert.equal(extensionOperation(reconcile.obj), 'reconcile');
      // Still set on the next write: no further bump.
      const again = structuredClone(reconcile.obj);
      strategy.prepareForUpdate!(again, reconcile.obj);
      assert.equal(again.metadata.generation, 4);
      // migrate, restore and wait-for-state are allowed and do not bump.
      for (const op of ['migrate', 'restore', 'wait-for-state']) {
        const other = structuredClone(old);
        other.metadata.annotations = { [GARDENER_OPERATION_ANNOTATION]: op };
        const result = updated(def(kind), other, old);
        assert.deepEqual(result.errors, []);
        assert.equal(result.obj.metadata.generation, 3, op);
        assert.equal(extensionOperation(result.obj), op);
      }
    });

    it(`${kind}: the status subresource keeps the spec and takes the migration state`, () => {
      const old: KubeObject = {
        ...structuredClone(samples[kind]!),
        metadata: { ...samples[kind]!.metadata, generation: 2, resourceVersion: '9' },
      };
      const status = {
        observedGeneration: 2,
        lastOperation: { type: 'Migrate', state: 'Succeeded', progress: 100, lastUpdateTime: '2026-11-23T19:40:00Z' },
        state: { anything: ['the', { controller: 'saves' }] },
        resources: [{ name: 'machine-state', resourceRef: { apiVersion: 'v1', kind: 'Secret', name: 'ms' } }],
        conditions: [
          {
            type: 'Created',
            status: 'True',
            reason: 'r',
            message: 'm',
            lastTransitionTime: '2026-11-23T19:40:00+00:00',
            lastUpdateTime: '2026-11-23T19:40:00+00:00',
          },
        ],
        providerStatus: { kept: true },
      };
      const next: KubeObject = { ...withSpec(old, { type: 'changed' }), status };
      next.metadata = { ...next.metadata, resourceVersion: '9', labels: { sneaky: 'yes' } };
      const strategy = statusStrategy(def(kind));
      strategy.prepareForUpdate!(next, old);
      assert.deepEqual(next.spec, old.spec);
      assert.equal(next.metadata.labels, undefined);
      assert.equal(next.metadata.generation, 2);
      assert.deepEqual(strategy.validateUpdate!(next, old), []);
      const read = checked(refs[kind]!, next);
      assert.ok(isExtensionMigrated(read));
      assert.deepEqual(read.status?.state, status.state);
      assert.deepEqual(read.status?.resources, status.resources);
      const bad = {
        ...structuredClone(next),
        status: { ...status, lastOperation: { type: 'Migrate', progress: 300 } },
      };
      assert.deepEqual(paths(strategy.validateUpdate!(bad, old)), [
        ['status.lastOperation.state', 'FieldValueRequired'],
        ['status.lastOperation.progress', 'FieldValueInvalid'],
      ]);
      const badState = { ...structuredClone(next), status: { ...status, state: 'a string', observedGeneration: -1 } };
      assert.deepEqual(paths(strategy.validateUpdate!(badState, old)), [
        ['status.observedGeneration', 'FieldValueInvalid'],
        ['status.state', 'FieldValueTypeInvalid'],
      ]);
    });

    it(`${kind}: once deleting, the spec may not change`, () => {
      const old: KubeObject = {
        ...structuredClone(samples[kind]!),
        metadata: { ...samples[kind]!.metadata, generation: 1, deletionTimestamp: '2026-11-23T19:40:00Z' },
      };
      const { errors } = updated(def(kind), withSpec(old, { providerConfig: { x: 1 } }), old);
      assert.deepEqual(paths(errors), [['spec', 'FieldValueForbidden']]);
      assert.deepEqual(updated(def(kind), structuredClone(old), old).errors, []);
    });
  }
});

describe('BackupBucket and BackupEntry', () => {
  it('BackupBucket requires region and secretRef, keeps the region and reports the generated secret', () => {
    const { errors } = created(
      extensionBackupBucketDefinition,
      withSpec(samples.BackupBucket!, { region: '', secretRef: null }),
    );
    assert.deepEqual(paths(errors), [
      ['spec.region', 'FieldValueRequired'],
      ['spec.secretRef.name', 'FieldValueRequired'],
    ]);
    const old = samples.BackupBucket!;
    assert.deepEqual(paths(updated(extensionBackupBucketDefinition, withSpec(old, { region: 'eu' }), old).errors), [
      ['spec.region', 'FieldImmutable'],
    ]);
    const seedClass = withSpec(old, { class: 'seed' });
    assert.deepEqual(
      paths(updated(extensionBackupBucketDefinition, withSpec(seedClass, { class: 'shoot' }), seedClass).errors),
      [['spec.class', 'FieldImmutable']],
    );
    assert.deepEqual(paths(created(extensionBackupBucketDefinition, withSpec(old, { class: 'garden-x' })).errors), [
      ['spec.class', 'FieldValueNotSupported'],
    ]);
    const withStatus: KubeObject = {
      ...old,
      status: { ...succeeded, generatedSecretRef: { name: 'generated-bucket-secret', namespace: 'garden' } },
    };
    assert.deepEqual(statusStrategy(extensionBackupBucketDefinition).validateUpdate!(withStatus, old), []);
    assert.deepEqual(checked(extensionBackupBucketResource, withStatus).status?.generatedSecretRef, {
      name: 'generated-bucket-secret',
      namespace: 'garden',
    });
    assert.deepEqual(
      paths(
        statusStrategy(extensionBackupBucketDefinition).validateUpdate!(
          { ...old, status: { generatedSecretRef: { namespace: 'garden' } } },
          old,
        ),
      ),
      [['status.generatedSecretRef.name', 'FieldValueRequired']],
    );
    assert.deepEqual(cells(extensionBackupBucketDefinition, withStatus), {
      TYPE: 'local',
      REGION: 'local',
      STATE: 'Succeeded',
    });
  });

  it('BackupEntry requires a bucket, region and secretRef and prints Gardener’s columns', () => {
    const { errors } = created(
      extensionBackupEntryDefinition,
      withSpec(samples.BackupEntry!, { bucketName: undefined, region: undefined, secretRef: {} }),
    );
    assert.deepEqual(paths(errors), [
      ['spec.region', 'FieldValueRequired'],
      ['spec.bucketName', 'FieldValueRequired'],
      ['spec.secretRef.name', 'FieldValueRequired'],
    ]);
    const entry: KubeObject = {
      ...samples.BackupEntry!,
      status: { lastOperation: { type: 'Restore', state: 'Processing', progress: 40 } },
    };
    assert.deepEqual(cells(extensionBackupEntryDefinition, entry), {
      TYPE: 'local',
      REGION: 'local',
      BUCKET: '3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11',
      STATE: 'Processing',
    });
    assert.deepEqual(cells(extensionBackupEntryDefinition, { metadata: { name: 'x' }, spec: {} }), {
      TYPE: null,
      REGION: null,
      BUCKET: null,
      STATE: null,
    });
    assert.equal(checked(extensionBackupEntryResource, entry).spec.bucketName, '3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11');
    assert.equal(
      extensionBackupEntryDefinition.selectableFields!['spec.bucketName']!(entry),
      '3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11',
    );
    assert.equal(extensionBackupEntryDefinition.selectableFields!['spec.type']!(entry), 'local');
    assert.ok(!isSourceBackupEntry(entry));
    assert.ok(isSourceBackupEntry({ metadata: { name: `source-${NS}--0b5e8d3a` } }));
    assert.deepEqual(checked(extensionBackupEntryResource, entry).spec.secretRef, {
      name: 'entry-shoot--dev--my-shoot--0b5e8d3a',
      namespace: 'garden',
    });
    // bucketName may change (the Restore points the entry at the destination bucket); region is not Gardener-immutable here.
    const moved = updated(extensionBackupEntryDefinition, withSpec(entry, { bucketName: 'other-bucket' }), {
      ...entry,
      metadata: { ...entry.metadata, generation: 1 },
    });
    assert.deepEqual(moved.errors, []);
    assert.equal(moved.obj.metadata.generation, 2);
  });
});

describe('DNSRecord', () => {
  const record = samples.DNSRecord!;

  it('validates names, record types and values like Gardener', () => {
    const check = (spec: Record<string, unknown>) => paths(created(dnsRecordDefinition, withSpec(record, spec)).errors);
    assert.deepEqual(check({ name: '*.ingress.my-shoot.dev.local.gardener.cloud' }), []);
    assert.deepEqual(
      check({ recordType: 'TXT', name: '_acme-challenge.my-shoot.example.com', values: ['any text'] }),
      [],
    );
    assert.deepEqual(check({ recordType: 'AAAA', values: ['fd00::10', '::1'] }), []);
    assert.deepEqual(check({ recordType: 'CNAME', values: ['lb.example.com'] }), []);
    assert.deepEqual(check({ name: 'localhost' }), [['spec.name', 'FieldValueInvalid']]);
    assert.deepEqual(check({ name: undefined }), [['spec.name', 'FieldValueRequired']]);
    assert.deepEqual(check({ recordType: 'MX' }), [['spec.recordType', 'FieldValueNotSupported']]);
    assert.deepEqual(check({ values: [] }), [['spec.values', 'FieldValueRequired']]);
    assert.deepEqual(check({ values: undefined }), [['spec.values', 'FieldValueRequired']]);
    assert.deepEqual(check({ values: ['10.0.0.1', 'not-an-ip', 7] }), [
      ['spec.values[1]', 'FieldValueInvalid'],
      ['spec.values[2]', 'FieldValueTypeInvalid'],
    ]);
    assert.deepEqual(check({ recordType: 'AAAA', values: ['10.0.0.1'] }), [['spec.values[0]', 'FieldValueInvalid']]);
    assert.deepEqual(check({ recordType: 'CNAME', values: ['a.example.com', 'b.example.com'] }), [
      ['spec.values', 'FieldValueInvalid'],
    ]);
    assert.deepEqual(check({ ttl: -1, zone: '', region: '' }), [
      ['spec.region', 'FieldValueInvalid'],
      ['spec.zone', 'FieldValueInvalid'],
      ['spec.ttl', 'FieldValueInvalid'],
    ]);
    assert.deepEqual(check({ secretRef: undefined }), [['spec.secretRef.name', 'FieldValueRequired']]);
  });

  it('keeps name and record type immutable but lets the values move', () => {
    const old = { ...record, metadata: { ...record.metadata, generation: 1 } };
    assert.deepEqual(
      paths(
        updated(
          dnsRecordDefinition,
          withSpec(old, { name: 'api.other.example.com', recordType: 'CNAME', values: ['x.example.com'] }),
          old,
        ).errors,
      ),
      [
        ['spec.name', 'FieldImmutable'],
        ['spec.recordType', 'FieldImmutable'],
      ],
    );
    const moved = updated(dnsRecordDefinition, withSpec(old, { values: ['10.0.0.20'] }), old);
    assert.deepEqual(moved.errors, []);
    assert.equal(moved.obj.metadata.generation, 2);
  });

  it('reads values and prints DOMAIN NAME, RECORD TYPE and STATUS (VALUES with -o wide)', () => {
    const withStatus: KubeObject = {
      ...record,
      status: { lastOperation: { type: 'Reconcile', state: 'Error' }, zone: 'Z1' },
    };
    const read = checked(dnsRecordResource, withStatus);
    assert.deepEqual(read.spec.values, ['10.0.0.10']);
    assert.equal(read.spec.name, 'api.internal.my-shoot.dev.local.gardener.cloud');
    assert.equal(read.spec.recordType, 'A');
    assert.equal(read.spec.ttl, 120);
    assert.equal(read.status?.zone, 'Z1');
    assert.deepEqual(cells(dnsRecordDefinition, withStatus), {
      TYPE: 'local',
      'DOMAIN NAME': 'api.internal.my-shoot.dev.local.gardener.cloud',
      'RECORD TYPE': 'A',
      STATUS: 'Error',
    });
    assert.equal(
      cells(dnsRecordDefinition, withSpec(withStatus, { values: ['10.0.0.1', '10.0.0.2'] }), true).VALUES,
      '10.0.0.1,10.0.0.2',
    );
    assert.deepEqual(statusStrategy(dnsRecordDefinition).validateUpdate!(withStatus, record), []);
    assert.equal(
      dnsRecordDefinition.selectableFields!['spec.name']!(withStatus),
      'api.internal.my-shoot.dev.local.gardener.cloud',
    );
  });
});

describe('Infrastructure, ControlPlane, Worker, Cluster', () => {
  it('Infrastructure requires region and secretRef; region is immutable', () => {
    assert.deepEqual(
      paths(
        created(infrastructureDefinition, withSpec(samples.Infrastructure!, { region: null, sshPublicKey: 5 })).errors,
      ),
      [
        ['spec.region', 'FieldValueRequired'],
        ['spec.sshPublicKey', 'FieldValueTypeInvalid'],
      ],
    );
    const old = samples.Infrastructure!;
    assert.deepEqual(paths(updated(infrastructureDefinition, withSpec(old, { region: 'x' }), old).errors), [
      ['spec.region', 'FieldImmutable'],
    ]);
    assert.deepEqual(cells(infrastructureDefinition, { ...old, status: succeeded }), {
      TYPE: 'local',
      REGION: 'local',
      STATUS: 'Succeeded',
    });
  });

  it('ControlPlane checks the purpose and prints it', () => {
    assert.deepEqual(
      paths(created(controlPlaneDefinition, withSpec(samples.ControlPlane!, { purpose: 'public' })).errors),
      [['spec.purpose', 'FieldValueNotSupported']],
    );
    const old = samples.ControlPlane!;
    assert.deepEqual(paths(updated(controlPlaneDefinition, withSpec(old, { purpose: 'exposure' }), old).errors), [
      ['spec.purpose', 'FieldImmutable'],
    ]);
    const { purpose: _purpose, ...withoutPurpose } = checked(controlPlaneResource, old).spec;
    assert.equal(controlPlanePurpose({ ...old, spec: withoutPurpose }), 'normal');
    assert.deepEqual(cells(controlPlaneDefinition, old), { TYPE: 'local', PURPOSE: 'normal', STATUS: null });
  });

  it('Worker validates its pools with indexed paths', () => {
    const pool = (samples.Worker!.spec as { pools: Record<string, unknown>[] }).pools[0]!;
    const check = (pools: unknown) => paths(created(workerDefinition, withSpec(samples.Worker!, { pools })).errors);
    assert.deepEqual(check([]), []);
    assert.deepEqual(check(undefined), [['spec.pools', 'FieldValueRequired']]);
    assert.deepEqual(check({}), [['spec.pools', 'FieldValueTypeInvalid']]);
    assert.deepEqual(
      check([
        pool,
        { ...pool, name: 'Bad_Pool', machineType: '', minimum: 3, maximum: 1 },
        { ...pool, minimum: undefined, maxSurge: -1, machineImage: { name: 'x' }, architecture: 'sparc' },
        { ...pool },
      ]),
      [
        ['spec.pools[1].name', 'FieldValueInvalid'],
        ['spec.pools[1].machineType', 'FieldValueRequired'],
        ['spec.pools[1].maximum', 'FieldValueForbidden'],
        ['spec.pools[2].minimum', 'FieldValueRequired'],
        ['spec.pools[2].maxSurge', 'FieldValueTypeInvalid'],
        ['spec.pools[2].machineImage.version', 'FieldValueRequired'],
        ['spec.pools[2].architecture', 'FieldValueNotSupported'],
        ['spec.pools[2].name', 'FieldValueDuplicate'],
        ['spec.pools[3].name', 'FieldValueDuplicate'],
      ],
    );
    assert.deepEqual(
      checked(workerResource, samples.Worker!).spec.pools.map((p) => [p.name, p.minimum, p.maximum]),
      [['local', 1, 3]],
    );
    assert.deepEqual(cells(workerDefinition, samples.Worker!), { TYPE: 'local', REGION: 'local', STATUS: null });
  });

  it('Cluster requires cloudProfile and shoot objects, keeps them raw and has no status', () => {
    assert.deepEqual(
      paths(created(clusterDefinition, withSpec(samples.Cluster!, { shoot: undefined, seed: 'seed-a' })).errors),
      [
        ['spec.shoot', 'FieldValueRequired'],
        ['spec.seed', 'FieldValueTypeInvalid'],
      ],
    );
    assert.equal((clusterShoot(samples.Cluster!)!.metadata as { name: string }).name, 'my-shoot');
    const old = { ...samples.Cluster!, metadata: { ...samples.Cluster!.metadata, generation: 1 } };
    const next = withSpec(old, {
      shoot: { kind: 'Shoot', metadata: { name: 'my-shoot' }, spec: { seedName: 'seed-b' } },
    });
    const result = updated(clusterDefinition, next, old);
    assert.deepEqual(result.errors, []);
    assert.equal(result.obj.metadata.generation, 2);
    assert.deepEqual(cells(clusterDefinition, old), {});
    assert.equal(clusterDefinition.columns?.[0]?.name, 'AGE');
  });
});

describe('the migrate annotation', () => {
  const base: KubeObject = {
    ...samples.Infrastructure!,
    metadata: { ...samples.Infrastructure!.metadata, generation: 2 },
  };

  it('the seed-side migrate annotation round trip: set migrate, controller saves state via a status merge patch', () => {
    const stored: KubeObject = { ...structuredClone(base), status: { ...succeeded, observedGeneration: 2 } };
    const annotated = mergePatch(stored, {
      metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: 'migrate' } },
    }) as KubeObject;
    const main = updated(infrastructureDefinition, annotated, stored);
    assert.deepEqual(main.errors, []);
    assert.equal(main.obj.metadata.generation, 2);
    const patched = mergePatch(main.obj, {
      status: {
        lastOperation: { type: 'Migrate', state: 'Succeeded', progress: 100 },
        state: { network: { id: 'net-1' } },
      },
    }) as KubeObject;
    const strategy = statusStrategy(infrastructureDefinition);
    strategy.prepareForUpdate!(patched, main.obj);
    assert.deepEqual(strategy.validateUpdate!(patched, main.obj), []);
    const read = checked(infrastructureResource, patched);
    assert.ok(isExtensionMigrated(read));
    assert.deepEqual(read.status?.state, { network: { id: 'net-1' } });
    assert.equal(extensionOperation(read), 'migrate');
  });
});
