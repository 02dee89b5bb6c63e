import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { ResourceDefinition } from '../../../src/apiserver/types.js';
import { coreDefinitions } from '../../../src/registry/core/index.js';

function def(kind: string): ResourceDefinition {
  const found = coreDefinitions.find((d) => d.kind === kind);
  assert.ok(found, kind);
  return found;
}

function create(kind: string, obj: KubeObject): { obj: KubeObject; errors: FieldError[] } {
  const copy = structuredClone(obj);
  const strategy = def(kind).strategy;
  strategy.prepareForCreate?.(copy);
  return { obj: copy, errors: strategy.validate?.(copy) ?? [] };
}

function update(
  kind: string,
  obj: KubeObject,
  old: KubeObject,
  subresource = '',
): { obj: KubeObject; errors: FieldError[] } {
  const copy = structuredClone(obj);
  const d = def(kind);
  const strategy = subresource ? d.subresources!.find((s) => s.name === subresource)!.strategy : d.strategy;
  strategy.prepareForUpdate?.(copy, old);
  return { obj: copy, errors: strategy.validateUpdate?.(copy, old) ?? [] };
}

function cells(kind: string, obj: KubeObject): Record<string, unknown> {
  return Object.fromEntries((def(kind).columns ?? []).map((c) => [c.name, c.cell(obj)]));
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('core definitions', () => {
  it('lists Namespace, Secret, ConfigMap, Event, ServiceAccount, Node and Lease with the right scope', () => {
    assert.deepEqual(
      coreDefinitions.map((d) => [d.group, d.version, d.kind, d.plural, d.namespaced, d.hasStatus !== false]),
      [
        ['', 'v1', 'Namespace', 'namespaces', false, true],
        ['', 'v1', 'Secret', 'secrets', true, false],
        ['', 'v1', 'ConfigMap', 'configmaps', true, false],
        ['', 'v1', 'Event', 'events', true, false],
        ['', 'v1', 'ServiceAccount', 'serviceaccounts', true, false],
        ['', 'v1', 'Node', 'nodes', false, true],
        ['coordination.k8s.io', 'v1', 'Lease', 'leases', true, false],
      ],
    );
    assert.equal(def('Namespace').nameRule, 'label');
  });
});

describe('Namespace', () => {
  it('is created Active and keeps its status on updates', () => {
    const { obj, errors } = create('Namespace', { metadata: { name: 'garden' }, status: { phase: 'Terminating' } });
    assert.deepEqual(errors, []);
    assert.deepEqual(obj.status, { phase: 'Active' });
    assert.deepEqual(cells('Namespace', obj), { STATUS: 'Active' });
    const changed = update(
      'Namespace',
      { metadata: { name: 'garden', labels: { a: 'b' } }, status: { phase: 'Terminating' } },
      obj,
    );
    assert.deepEqual(changed.obj.status, { phase: 'Active' });
    assert.deepEqual(changed.obj.metadata.labels, { a: 'b' });
  });

  it('changes only its status through the status subresource', () => {
    const old: KubeObject = {
      metadata: { name: 'garden', resourceVersion: '5', labels: { a: 'b' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    const { obj, errors } = update(
      'Namespace',
      { metadata: { name: 'garden', resourceVersion: '5' }, spec: {}, status: { phase: 'Terminating' } },
      old,
      'status',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(obj, { ...old, status: { phase: 'Terminating' } });
    assert.equal(
      update('Namespace', { metadata: { name: 'garden' }, status: { phase: 'Gone' } }, old, 'status').errors[0]!.type,
      'FieldValueNotSupported',
    );
    assert.equal(def('Namespace').selectableFields!['status.phase']!(old), 'Active');
  });
});

describe('Secret', () => {
  it('defaults the type to Opaque and merges stringData into data', () => {
    const { obj, errors } = create('Secret', {
      metadata: { name: 's', namespace: 'garden' },
      data: { a: b64('old'), b: b64('keep') },
      stringData: { a: 'new', c: 'plain' },
      unknownField: { kept: true },
    });
    assert.deepEqual(errors, []);
    assert.equal(obj.type, 'Opaque');
    assert.equal(obj.stringData, undefined);
    assert.deepEqual(obj.data, { a: b64('new'), b: b64('keep'), c: b64('plain') });
    assert.deepEqual(obj.unknownField, { kept: true });
    assert.deepEqual(cells('Secret', obj), { TYPE: 'Opaque', DATA: 3 });
  });

  it('merges stringData on update too', () => {
    const old = create('Secret', { metadata: { name: 's', namespace: 'garden' }, data: { a: b64('1') } }).obj;
    const { obj } = update('Secret', { ...structuredClone(old), stringData: { a: '2' } }, old);
    assert.deepEqual(obj.data, { a: b64('2') });
    assert.equal('stringData' in obj, false);
  });

  it('rejects non-base64 data, bad keys, malformed stringData and missing typed keys', () => {
    const bad = create('Secret', {
      metadata: { name: 's', namespace: 'garden' },
      data: { 'bad key': b64('x'), ok: 'not base64!' },
    });
    assert.deepEqual(bad.errors.map((e) => e.path).sort(), ['data', 'data[ok]']);
    assert.match(bad.errors.find((e) => e.path === 'data[ok]')!.message, /must be base64 encoded/);
    assert.equal(
      create('Secret', { metadata: { name: 's', namespace: 'garden' }, stringData: { a: 1 } }).errors[0]!.path,
      'stringData',
    );
    const tls = create('Secret', {
      metadata: { name: 's', namespace: 'garden' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64('c') },
    });
    assert.deepEqual(
      tls.errors.map((e) => e.path),
      ['data[tls.key]'],
    );
  });

  it('keeps the type and, when immutable, the data', () => {
    const old = create('Secret', {
      metadata: { name: 's', namespace: 'garden' },
      data: { a: b64('1') },
      immutable: true,
    }).obj;
    const retyped = update('Secret', { ...structuredClone(old), type: 'kubernetes.io/basic-auth' }, old);
    assert.ok(retyped.errors.some((e) => e.path === 'type' && e.type === 'FieldImmutable'));
    const changed = update('Secret', { ...structuredClone(old), data: { a: b64('2') } }, old);
    assert.ok(changed.errors.some((e) => e.path === 'data' && e.type === 'FieldValueForbidden'));
    const unfrozen = update('Secret', { ...structuredClone(old), immutable: false }, old);
    assert.ok(unfrozen.errors.some((e) => e.path === 'immutable'));
    assert.deepEqual(update('Secret', structuredClone(old), old).errors, []);
  });

  it('enforces the 1 MiB limit', () => {
    const big = create('Secret', {
      metadata: { name: 's', namespace: 'garden' },
      data: { a: Buffer.alloc(1024 * 1024 + 1).toString('base64') },
    });
    assert.deepEqual(
      big.errors.map((e) => e.type),
      ['FieldValueTooLong'],
    );
  });
});

describe('ConfigMap', () => {
  it('counts data and binaryData keys and rejects duplicates across them', () => {
    const { obj, errors } = create('ConfigMap', {
      metadata: { name: 'c', namespace: 'garden' },
      data: { a: 'x' },
      binaryData: { b: b64('y') },
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(cells('ConfigMap', obj), { DATA: 2 });
    const dup = create('ConfigMap', {
      metadata: { name: 'c', namespace: 'garden' },
      data: { a: 'x' },
      binaryData: { a: b64('y') },
    });
    assert.match(dup.errors[0]!.message, /duplicate of key present in data/);
    assert.equal(
      create('ConfigMap', { metadata: { name: 'c', namespace: 'garden' }, data: { a: 1 } }).errors[0]!.path,
      'data[a]',
    );
  });
});

describe('Event', () => {
  const event: KubeObject = {
    metadata: { name: 'my-shoot.1', namespace: 'garden-dev', creationTimestamp: '2026-01-01T00:00:00Z' },
    involvedObject: { kind: 'Shoot', name: 'my-shoot', namespace: 'garden-dev', uid: 'u1' },
    reason: 'PrepareMigration',
    message: 'Preparing Shoot cluster for migration',
    type: 'Normal',
    source: { component: 'gardenlet' },
    count: 2,
  };

  it('prints kubectl-like columns', () => {
    const c = cells('Event', event);
    assert.equal(c.TYPE, 'Normal');
    assert.equal(c.REASON, 'PrepareMigration');
    assert.equal(c.OBJECT, 'shoot/my-shoot');
    assert.equal(c.MESSAGE, 'Preparing Shoot cluster for migration');
    assert.match(String(c['LAST SEEN']), /^\d+[smhdy]/);
  });

  it('offers the field selectors kubectl describe uses', () => {
    const fields = def('Event').selectableFields!;
    assert.equal(fields['involvedObject.name']!(event), 'my-shoot');
    assert.equal(fields['involvedObject.kind']!(event), 'Shoot');
    assert.equal(fields['involvedObject.uid']!(event), 'u1');
    assert.equal(fields['involvedObject.fieldPath']!(event), '');
    assert.equal(fields.source!(event), 'gardenlet');
  });

  it('accepts only Normal and Warning types', () => {
    assert.deepEqual(create('Event', event).errors, []);
    assert.equal(create('Event', { ...event, type: 'Bad' }).errors[0]!.type, 'FieldValueNotSupported');
  });
});

describe('ServiceAccount and Lease', () => {
  it('validates service accounts', () => {
    const sa: KubeObject = { metadata: { name: 'default', namespace: 'garden' }, secrets: [{ name: 'x' }] };
    assert.deepEqual(create('ServiceAccount', sa).errors, []);
    assert.deepEqual(cells('ServiceAccount', sa), { SECRETS: 1 });
    assert.equal(create('ServiceAccount', { ...sa, automountServiceAccountToken: 'yes' }).errors.length, 1);
  });

  it('validates leases and shows the holder', () => {
    const lease: KubeObject = {
      metadata: { name: 'seed-a', namespace: 'gardener-system-seed-lease' },
      spec: { holderIdentity: 'seed-a', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' },
    };
    assert.deepEqual(create('Lease', lease).errors, []);
    assert.deepEqual(cells('Lease', lease), { HOLDER: 'seed-a' });
    assert.deepEqual(
      create('Lease', { ...lease, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } }).errors.map((e) => e.path),
      ['spec.leaseDurationSeconds', 'spec.leaseTransitions'],
    );
  });
});
