import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequestInfo } from '../../src/apiserver/request-info.js';
import { matchesLabels, parseFieldSelector, parseLabelSelector } from '../../src/apiserver/selectors.js';
import { humanAge, wantsTable } from '../../src/apiserver/table.js';

const q = (s = '') => new URLSearchParams(s);

describe('request info', () => {
  it('parses namespaced subresource requests', () => {
    const info = parseRequestInfo(
      'PUT',
      '/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots/s/binding',
      q(),
    );
    assert.deepEqual(
      [info.verb, info.apiGroup, info.apiVersion, info.namespace, info.resource, info.name, info.subresource],
      ['update', 'core.gardener.cloud', 'v1beta1', 'garden-dev', 'shoots', 's', 'binding'],
    );
  });

  it('tells list, watch and deletecollection apart', () => {
    assert.equal(parseRequestInfo('GET', '/api/v1/namespaces/x/secrets', q()).verb, 'list');
    assert.equal(parseRequestInfo('GET', '/api/v1/secrets', q('watch=true')).verb, 'watch');
    assert.equal(parseRequestInfo('GET', '/api/v1/watch/secrets', q()).verb, 'watch');
    assert.equal(parseRequestInfo('DELETE', '/api/v1/namespaces/x/secrets', q()).verb, 'deletecollection');
  });

  it('addresses namespaces themselves', () => {
    const info = parseRequestInfo('GET', '/api/v1/namespaces/garden', q());
    assert.deepEqual([info.resource, info.name, info.namespace], ['namespaces', 'garden', '']);
    const status = parseRequestInfo('PUT', '/api/v1/namespaces/garden/status', q());
    assert.deepEqual([status.resource, status.subresource], ['namespaces', 'status']);
  });

  it('marks discovery and other paths as non-resource requests', () => {
    for (const path of [
      '/api',
      '/apis',
      '/apis/core.gardener.cloud',
      '/apis/core.gardener.cloud/v1beta1',
      '/openapi/v3',
    ]) {
      assert.equal(parseRequestInfo('GET', path, q()).resourceRequest, false, path);
    }
  });
});

describe('selectors', () => {
  it('parses and matches label selectors', () => {
    const sel = parseLabelSelector('a=b,c!=d,e in (x, y),!f,g');
    assert.ok(matchesLabels(sel, { a: 'b', e: 'y', g: '' }));
    assert.ok(!matchesLabels(sel, { a: 'b', e: 'y', g: '', f: '1' }));
    assert.ok(!matchesLabels(sel, { a: 'b', c: 'd', e: 'x', g: '' }));
    assert.throws(
      () => parseLabelSelector('a in b'),
      (err: { code?: number }) => err.code === 400,
    );
  });

  it('rejects unsupported field selectors with 400', () => {
    assert.deepEqual(parseFieldSelector('spec.seedName=a', ['spec.seedName']), [
      { field: 'spec.seedName', op: '=', value: 'a' },
    ]);
    assert.throws(
      () => parseFieldSelector('spec.other=a', ['spec.seedName']),
      (err: { code?: number; message: string }) => err.code === 400 && /spec.other/.test(err.message),
    );
  });
});

describe('tables', () => {
  it('renders ages like kubectl', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    assert.equal(humanAge('2026-01-09T23:59:15Z', now), '45s');
    assert.equal(humanAge('2026-01-09T23:55:00Z', now), '5m');
    assert.equal(humanAge('2026-01-09T21:00:00Z', now), '3h');
    assert.equal(humanAge('2026-01-01T00:00:00Z', now), '9d');
  });

  it('recognises kubectl table requests', () => {
    assert.ok(
      wantsTable(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    );
    assert.ok(!wantsTable('application/json'));
  });
});
