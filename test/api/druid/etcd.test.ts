import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  validateEtcdMembership,
  validateEtcdSpec,
  validateEtcdSpecUpdate,
} from '../../../src/api/druid/etcd-validation.js';
import {
  etcdDeltaSnapshotPeriodMs,
  etcdNotReadyReason,
  etcdReady,
  etcdResource,
} from '../../../src/api/druid/index.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { checked } from '../../../src/client/client.js';
import { SAMPLE_CONTROL_PLANE_NAMESPACE, sampleEtcdMain } from '../../helpers/sample-objects.js';

describe('Etcd readers', () => {
  it('readers: store, schedule, readiness like Gardener’s CheckEtcdObject', () => {
    const etcd = checked(etcdResource, {
      ...sampleEtcdMain({ replicas: 1 }),
      metadata: { ...sampleEtcdMain().metadata, generation: 3 },
    });
    assert.deepEqual(etcd.spec.backup.store, {
      provider: 'local',
      container: '3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11',
      prefix: `${SAMPLE_CONTROL_PLANE_NAMESPACE}--0b5e8d3a/etcd-main`,
      secretRef: { name: 'etcd-backup' },
    });
    assert.equal(checked(etcdResource, sampleEtcdMain({}, { store: undefined })).spec.backup.store, undefined);
    assert.equal(etcd.spec.backup.fullSnapshotSchedule, '0 */12 * * *');
    assert.equal(etcdDeltaSnapshotPeriodMs(etcd), 300_000);
    assert.equal(etcdNotReadyReason(etcd), 'observed generation not recorded');
    assert.ok(!etcdReady(etcd));
    etcd.status = { observedGeneration: 2, ready: true };
    assert.equal(etcdNotReadyReason(etcd), 'observed generation outdated (2/3)');
    etcd.status = { observedGeneration: 3, ready: false };
    assert.equal(etcdNotReadyReason(etcd), 'is not ready yet');
    etcd.status = { observedGeneration: 3, ready: true };
    assert.equal(etcdNotReadyReason(etcd), undefined);
    etcd.metadata.annotations = { 'gardener.cloud/operation': 'reconcile' };
    assert.equal(etcdNotReadyReason(etcd), 'gardener operation "reconcile" is not yet picked up by etcd-druid');
    etcd.status = { observedGeneration: 3, ready: true, lastErrors: [{ code: 'E', description: 'disk full' }] };
    assert.equal(etcdNotReadyReason(etcd), 'errors during reconciliation: disk full');
  });
});

describe('Etcd validation: replicas', () => {
  const fields = (spec: Record<string, unknown>) =>
    validateEtcdSpec(sampleEtcdMain(spec).spec).map((e) => `${e.type} ${e.path}`);

  it('accepts 0, 1 and 3 members (3 with peer TLS) and refuses other sizes', () => {
    for (const replicas of [0, 1, 3]) assert.deepEqual(fields({ replicas }), [], `replicas ${replicas}`);
    assert.deepEqual(fields({ replicas: 2 }), ['FieldValueNotSupported spec.replicas']);
  });

  it('requires spec.etcd.peerUrlTls for more than one member: peers never talk in plain text', () => {
    const etcd = sampleEtcdMain({ replicas: 3 });
    const spec = etcd.spec as { etcd: Record<string, unknown> };
    delete spec.etcd.peerUrlTls;
    const errs = validateEtcdSpec(etcd.spec);
    assert.deepEqual(
      errs.map((e) => [e.type, e.path]),
      [['FieldValueRequired', 'spec.etcd.peerUrlTls']],
    );
    assert.match(errs[0]!.message, /^Required value: peer TLS is required/);
  });
});

describe('Etcd validation: live migration fields (etcd-druid CEL rules)', () => {
  const source = {
    members: [{ name: 'seed-a-etcd-main-0', peerUrls: ['https://127.0.0.1:2380'] }],
    clientEndpoints: ['https://127.0.0.1:2379'],
  };
  /** The sample Etcd (client and peer TLS) with `etcd` fields merged in and `more` spec fields. */
  const withFields = (etcd: Record<string, unknown>, more: Record<string, unknown> = {}) => {
    const obj = sampleEtcdMain({ memberNamePrefix: 'seed-b', ...more });
    const spec = obj.spec as { etcd: Record<string, unknown> };
    Object.assign(spec.etcd, etcd);
    return obj;
  };
  const errors = (obj: KubeObject) =>
    validateEtcdMembership(obj.spec, obj.metadata.name!).map((e) => `${e.type} ${e.path}`);

  it('accepts a join of an existing cluster and additional peer URLs of its own members', () => {
    assert.deepEqual(errors(withFields({ bootstrapWithExistingCluster: source })), []);
    const additional = [{ memberName: 'seed-b-etcd-main-0', urls: ['https://10.0.0.2:2380'] }];
    assert.deepEqual(errors(withFields({ additionalAdvertisePeerURLs: additional })), []);
  });

  it('URL schemes follow peerUrlTls and clientUrlTls', () => {
    const plain = withFields({ bootstrapWithExistingCluster: source });
    const spec = plain.spec as { etcd: Record<string, unknown> };
    delete spec.etcd.peerUrlTls;
    delete spec.etcd.clientUrlTls;
    assert.deepEqual(errors(plain), [
      'FieldValueInvalid spec.etcd.bootstrapWithExistingCluster.members[0].peerUrls[0]',
      'FieldValueInvalid spec.etcd.bootstrapWithExistingCluster.clientEndpoints[0]',
    ]);
    const additional = [{ memberName: 'seed-b-etcd-main-0', urls: ['http://10.0.0.2:2380', 'not a url'] }];
    assert.deepEqual(errors(withFields({ additionalAdvertisePeerURLs: additional })), [
      'FieldValueInvalid spec.etcd.additionalAdvertisePeerURLs[0].urls[0]',
      'FieldValueInvalid spec.etcd.additionalAdvertisePeerURLs[0].urls[1]',
    ]);
  });

  it('source member names are unique and never collide with the Etcd’s own (prefixed) members', () => {
    const member = { name: 'seed-b-etcd-main-0', peerUrls: ['https://127.0.0.1:2380'] };
    const twice = { ...source, members: [...source.members, source.members[0], member] };
    assert.deepEqual(errors(withFields({ bootstrapWithExistingCluster: twice })), [
      'FieldValueDuplicate spec.etcd.bootstrapWithExistingCluster.members[1].name',
      'FieldValueInvalid spec.etcd.bootstrapWithExistingCluster.members[2].name',
    ]);
    assert.deepEqual(errors(withFields({ bootstrapWithExistingCluster: { members: [], clientEndpoints: [] } })), [
      'FieldValueRequired spec.etcd.bootstrapWithExistingCluster.members',
      'FieldValueRequired spec.etcd.bootstrapWithExistingCluster.clientEndpoints',
    ]);
  });

  it('additional peer URLs name the Etcd’s own members, with an index below replicas', () => {
    const entries = [
      { memberName: 'etcd-main-0', urls: ['https://10.0.0.2:2380'] },
      { memberName: 'seed-b-etcd-main-1', urls: ['https://10.0.0.2:2381'] },
    ];
    assert.deepEqual(errors(withFields({ additionalAdvertisePeerURLs: entries }, { replicas: 1 })), [
      'FieldValueInvalid spec.etcd.additionalAdvertisePeerURLs[0].memberName',
      'FieldValueInvalid spec.etcd.additionalAdvertisePeerURLs[1].memberName',
    ]);
    assert.deepEqual(errors(withFields({ additionalAdvertisePeerURLs: entries.slice(1) }, { replicas: 3 })), []);
    assert.deepEqual(errors(withFields({}, { memberNamePrefix: 'Seed_B' })), [
      'FieldValueInvalid spec.memberNamePrefix',
    ]);
  });

  it('updates: the join only at creation (clearing it is allowed), fixed while in progress; the prefix immutable', () => {
    const update = (obj: KubeObject, old: KubeObject) =>
      validateEtcdSpecUpdate(obj, old).map((e) => `${e.type} ${e.path}`);
    const joining = withFields({ bootstrapWithExistingCluster: source });
    const plain = withFields({});
    assert.deepEqual(update(joining, plain), ['FieldValueForbidden spec.etcd.bootstrapWithExistingCluster']);
    assert.deepEqual(update(plain, joining), [], 'cleared after the join');
    const moved = withFields({
      bootstrapWithExistingCluster: { ...source, clientEndpoints: ['https://127.0.0.1:2479'] },
    });
    const condition = (status: string) => ({ conditions: [{ type: 'BootstrappedWithExistingCluster', status }] });
    assert.deepEqual(update(moved, { ...joining, status: condition('False') }), [
      'FieldValueForbidden spec.etcd.bootstrapWithExistingCluster.clientEndpoints',
    ]);
    assert.deepEqual(update(moved, { ...joining, status: condition('True') }), []);
    assert.deepEqual(update(withFields({}, { memberNamePrefix: 'seed-c' }), plain), [
      'FieldValueInvalid spec.memberNamePrefix',
    ]);
  });
});
