/**
 * The request metrics' labels as Kubernetes cleans them (LIST, WATCH, APPLY, CONNECT; the
 * scopes), and what a registry holding them serves: `apiserver_request_total` with the code,
 * `apiserver_request_duration_seconds` with Kubernetes' buckets and without the code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RequestMetrics, requestLabels, requestVerb } from '../../src/apiserver/metrics/request-metrics.js';
import { parseRequestInfo } from '../../src/apiserver/request-info.js';
import { samplesOf, sampleValue } from '../helpers/prometheus-text.js';

const info = (method: string, path: string, query = '') => parseRequestInfo(method, path, new URLSearchParams(query));

describe('request metrics', () => {
  it("report Kubernetes' verbs", () => {
    const verb = (method: string, path: string, query = '', apply = false) =>
      requestVerb({ method, info: info(method, path, query), served: true, apply });
    assert.equal(verb('GET', '/api/v1/namespaces/a/configmaps'), 'LIST');
    assert.equal(verb('GET', '/api/v1/namespaces/a/configmaps', 'watch=true'), 'WATCH');
    assert.equal(verb('GET', '/api/v1/namespaces/a/configmaps/x'), 'GET');
    assert.equal(verb('HEAD', '/api/v1/namespaces/a/configmaps/x'), 'GET');
    assert.equal(verb('POST', '/api/v1/namespaces/a/configmaps'), 'POST');
    assert.equal(verb('PUT', '/api/v1/namespaces/a/configmaps/x'), 'PUT');
    assert.equal(verb('PATCH', '/api/v1/namespaces/a/configmaps/x'), 'PATCH');
    assert.equal(verb('PATCH', '/api/v1/namespaces/a/configmaps/x', '', true), 'APPLY');
    assert.equal(verb('DELETE', '/api/v1/namespaces/a/configmaps'), 'DELETE');
    assert.equal(verb('GET', '/api/v1/nodes/n/proxy/healthz'), 'CONNECT');
    assert.equal(verb('GET', '/metrics'), 'GET');
  });

  it('label the scope, and leave out the resource of a path no one serves', () => {
    const labels = (method: string, path: string, served = true) =>
      requestLabels({ method, info: info(method, path), served, apply: false, dryRun: false });
    assert.deepEqual(labels('GET', '/apis/apps/v1/namespaces/a/deployments/web/scale'), {
      verb: 'GET',
      dry_run: '',
      group: 'apps',
      version: 'v1',
      resource: 'deployments',
      subresource: 'scale',
      scope: 'resource',
      component: 'apiserver',
    });
    assert.equal(labels('POST', '/api/v1/namespaces/a/configmaps').scope, 'resource');
    assert.equal(labels('GET', '/api/v1/namespaces/a/configmaps').scope, 'namespace');
    assert.equal(labels('GET', '/api/v1/configmaps').scope, 'cluster');
    assert.equal(labels('GET', '/version').scope, '');
    assert.deepEqual(labels('GET', '/api/v1/namespaces/a/madeupthings', false), {
      verb: 'GET',
      dry_run: '',
      group: '',
      version: '',
      resource: '',
      subresource: '',
      scope: '',
      component: 'apiserver',
    });
  });

  it('serve a counter by code and a histogram without it', async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics(registry);
    const request = { method: 'GET', info: info('GET', '/api/v1/namespaces/a/configmaps'), served: true };
    metrics.record({ ...request, apply: false, dryRun: false, code: 200, seconds: 0.003 });
    metrics.record({ ...request, apply: false, dryRun: false, code: 200, seconds: 0.3 });
    metrics.record({ ...request, apply: false, dryRun: true, code: 403, seconds: 0.001 });
    const text = await registry.metrics();
    assert.equal(
      sampleValue(text, 'apiserver_request_total', { verb: 'LIST', resource: 'configmaps', dry_run: '', code: '200' }),
      2,
    );
    assert.equal(sampleValue(text, 'apiserver_request_total', { dry_run: 'All', code: '403' }), 1);
    const count = { verb: 'LIST', resource: 'configmaps', scope: 'namespace', component: 'apiserver', dry_run: '' };
    assert.equal(sampleValue(text, 'apiserver_request_duration_seconds_count', count), 2);
    assert.equal(sampleValue(text, 'apiserver_request_duration_seconds_bucket', { ...count, le: '0.005' }), 1);
    assert.equal(sampleValue(text, 'apiserver_request_duration_seconds_bucket', { ...count, le: '0.4' }), 2);
    assert.ok(
      samplesOf(text, 'apiserver_request_duration_seconds_count').every((s) => s.labels.code === undefined),
      'the histogram has no code label, as in Kubernetes',
    );
  });
});
