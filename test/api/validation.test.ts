import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isConfigMapKey,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  semanticEqual,
  validateAnnotations,
  validateFinalizers,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaName,
  validateObjectMetaUpdate,
} from '../../src/api/validation.js';

describe('names', () => {
  it('accepts RFC 1123 subdomains and rejects the rest with the Kubernetes message', () => {
    assert.deepEqual(isDns1123Subdomain('example.com'), []);
    assert.deepEqual(isDns1123Subdomain('a'), []);
    const [msg] = isDns1123Subdomain('Example.com');
    assert.equal(
      msg,
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
    assert.deepEqual(isDns1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
    assert.equal(isDns1123Subdomain('-a').length, 1);
  });

  it('accepts RFC 1123 labels only without dots', () => {
    assert.deepEqual(isDns1123Label('seed-a'), []);
    assert.match(isDns1123Label('seed.a')[0]!, /^a lowercase RFC 1123 label must consist of/);
    assert.deepEqual(isDns1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  });

  it('validateObjectMetaName returns field errors at the given path', () => {
    assert.deepEqual(validateObjectMetaName('my-shoot'), []);
    const [err] = validateObjectMetaName('My_Shoot');
    assert.equal(err!.path, 'metadata.name');
    assert.equal(err!.type, 'FieldValueInvalid');
    assert.match(err!.message, /^Invalid value: "My_Shoot": a lowercase RFC 1123 subdomain must consist/);
    assert.equal(validateObjectMetaName('a.b', 'label', 'spec.seedName')[0]!.path, 'spec.seedName');
    assert.equal(validateObjectMetaName(42)[0]!.type, 'FieldValueTypeInvalid');
    assert.ok(validateObjectMetaName('..').some((e) => e.message.includes("may not be '..'")));
    assert.ok(validateObjectMetaName('a/b').some((e) => e.message.includes("may not contain '/'")));
  });

  it('checks a generateName prefix without its trailing dash', () => {
    assert.deepEqual(validateObjectMetaName('shoot-', 'label', 'metadata.generateName', true), []);
  });
});

describe('labels and annotations', () => {
  it('validates qualified names and label values', () => {
    assert.deepEqual(isQualifiedName('gardener.cloud/role'), []);
    assert.deepEqual(isQualifiedName('app'), []);
    assert.match(isQualifiedName('-app')[0]!, /^name part must consist of alphanumeric characters/);
    assert.match(isQualifiedName('Example.com/app')[0]!, /^prefix part a lowercase RFC 1123 subdomain/);
    assert.deepEqual(isQualifiedName('a/'), ['name part must be non-empty']);
    assert.match(isQualifiedName('a/b/c')[0]!, /with an optional DNS subdomain prefix/);
    assert.deepEqual(isValidLabelValue(''), []);
    assert.match(isValidLabelValue('bad value')[0]!, /^a valid label must be an empty string or consist of/);
    assert.deepEqual(isValidLabelValue('x'.repeat(64)), ['must be no more than 63 characters']);
  });

  it('returns errors under metadata.labels', () => {
    assert.deepEqual(validateLabels({ 'project.gardener.cloud/name': 'dev' }), []);
    const errs = validateLabels({ 'bad key!': 'ok', good: 'bad value' });
    assert.equal(errs.length, 2);
    assert.ok(errs.every((e) => e.path === 'metadata.labels'));
    assert.equal(validateLabels({ a: 1 })[0]!.path, 'metadata.labels[a]');
    assert.equal(validateLabels('x')[0]!.type, 'FieldValueTypeInvalid');
  });

  it('limits the total annotation size to 256 KiB', () => {
    assert.deepEqual(validateAnnotations({ 'kubectl.kubernetes.io/last-applied-configuration': '{}' }), []);
    const [err] = validateAnnotations({ big: 'x'.repeat(256 * 1024) });
    assert.equal(err!.type, 'FieldValueTooLong');
    assert.equal(err!.path, 'metadata.annotations');
    assert.equal(err!.message, 'Too long: may not be more than 262144 bytes');
  });

  it('validates finalizers', () => {
    assert.deepEqual(validateFinalizers(['gardener', 'kubernetes.io/pv-protection']), []);
    assert.equal(validateFinalizers(['gardener', 'gardener'])[0]!.type, 'FieldValueDuplicate');
  });

  it('validates config keys', () => {
    assert.deepEqual(isConfigMapKey('tls.crt'), []);
    assert.match(isConfigMapKey('a b')[0]!, /^a valid config key must consist of alphanumeric characters/);
    assert.deepEqual(isConfigMapKey('..a'), ["must not start with '..'"]);
  });
});

describe('validateObjectMeta', () => {
  it('requires a name or generateName and a namespace exactly for namespaced kinds', () => {
    assert.deepEqual(validateObjectMeta({ name: 'a', namespace: 'garden' }, { namespaced: true }), []);
    assert.deepEqual(validateObjectMeta({ generateName: 'a-', namespace: 'garden' }, { namespaced: true }), []);
    assert.deepEqual(
      validateObjectMeta({ namespace: 'garden' }, { namespaced: true }).map((e) => e.path),
      ['metadata.name'],
    );
    assert.deepEqual(
      validateObjectMeta({ name: 'a' }, { namespaced: true }).map((e) => e.path),
      ['metadata.namespace'],
    );
    assert.equal(
      validateObjectMeta({ name: 'a', namespace: 'x' }, { namespaced: false })[0]!.type,
      'FieldValueForbidden',
    );
    assert.equal(validateObjectMeta({ name: 'a.b' }, { namespaced: false, name: 'label' }).length, 1);
  });

  it('keeps name and namespace immutable on update', () => {
    const errs = validateObjectMetaUpdate(
      { name: 'b', namespace: 'x' },
      { name: 'a', namespace: 'x' },
      { namespaced: true },
    );
    assert.deepEqual(
      errs.map((e) => [e.path, e.type]),
      [['metadata.name', 'FieldImmutable']],
    );
  });
});

describe('semanticEqual', () => {
  it('treats missing, null, [] and {} alike and compares the rest deeply', () => {
    assert.ok(semanticEqual({ a: 1, b: null }, { a: 1 }));
    assert.ok(semanticEqual({ a: [] }, { a: undefined }));
    assert.ok(semanticEqual({ a: { b: {} } }, { a: {} }));
    assert.ok(semanticEqual([{ x: 1 }], [{ x: 1, y: null }]));
    assert.ok(!semanticEqual({ a: { enabled: false } }, {}));
    assert.ok(!semanticEqual([1, 2], [2, 1]));
    assert.ok(!semanticEqual({ a: '1' }, { a: 1 }));
  });
});
