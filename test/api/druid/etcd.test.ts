import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateEtcdSpec } from '../../../src/api/druid/etcd-validation.js';
import {
  etcdDeltaSnapshotPeriodMs,
  etcdNotReadyReason,
  etcdReady,
  etcdResource,
} from '../../../src/api/druid/index.js';
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
