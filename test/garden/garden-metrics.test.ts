/**
 * The garden's `/metrics`: Gardener's shoot metrics computed from the Shoots and Projects (names,
 * labels and state numbers of gardener-metrics-exporter), and on a real garden the endpoint as
 * Kubernetes guards it — the operator and the metrics reader may read it, a project member may
 * not, nobody without a credential; the reader may read no object; requests and an open watch
 * are counted (the watch once established, while it is still open).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { configMapResource } from '../../src/api/core/config-map.js';
import type { Project } from '../../src/api/core-gardener/project.js';
import type { Shoot } from '../../src/api/core-gardener/shoot.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { RestClient } from '../../src/client/rest-client.js';
import { registerShootMetrics } from '../../src/garden/shoot-metrics.js';
import { rawRequest } from '../helpers/api-client.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { samplesOf, sampleValue } from '../helpers/prometheus-text.js';

function shoot(name: string, fields: { seed?: string; last?: Shoot['status'] }): Shoot {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name, namespace: 'garden-dev', uid: `uid-${name}` },
    spec: {
      ...(fields.seed ? { seedName: fields.seed } : {}),
      region: 'local',
      provider: { type: 'local' },
      kubernetes: { version: '1.31.1' },
    },
    ...(fields.last ? { status: fields.last } : {}),
  };
}

const project: Project = {
  apiVersion: 'core.gardener.cloud/v1beta1',
  kind: 'Project',
  metadata: { name: 'dev' },
  spec: { namespace: 'garden-dev' },
} as Project;

describe('garden shoot metrics', () => {
  it("are gardener-metrics-exporter's, computed from the objects at each scrape", async () => {
    const registry = new Registry();
    let reads = 0;
    const shoots = [
      shoot('moving', {
        seed: 'seed-b',
        last: {
          technicalID: 'shoot--dev--moving',
          lastOperation: { type: 'Migrate', state: 'Processing', progress: 40 },
        },
      }),
      shoot('settled', {
        seed: 'seed-a',
        last: { lastOperation: { type: 'Create', state: 'Succeeded', progress: 100 } },
      }),
      shoot('unscheduled', {}),
    ];
    registerShootMetrics(registry, async () => {
      reads++;
      return { shoots, projects: [project] };
    });
    const text = await registry.metrics();
    assert.equal(reads, 1, 'one read per scrape for all four gauges');
    const moving = { name: 'moving', project: 'dev', technical_id: 'shoot--dev--moving' };
    assert.equal(sampleValue(text, 'garden_shoot_operation_states', { ...moving, operation: 'Migrate' }), 2);
    assert.equal(sampleValue(text, 'garden_shoot_operation_states', { ...moving, operation: 'Restore' }), 0);
    assert.equal(sampleValue(text, 'garden_shoot_operation_progress_percent', { ...moving, operation: 'Migrate' }), 40);
    assert.equal(sampleValue(text, 'garden_shoot_operation_states', { name: 'settled', operation: 'Create' }), 1);
    assert.equal(samplesOf(text, 'garden_shoot_operation_states').length, 10, '5 operations × 2 scheduled shoots');
    assert.equal(
      sampleValue(text, 'garden_shoot_operations_total', {
        operation: 'Migrate',
        state: 'Processing',
        iaas: 'local',
        seed: 'seed-b',
        version: '1.31.1',
        region: 'local',
      }),
      1,
    );
    assert.equal(
      sampleValue(text, 'garden_shoot_info', { name: 'settled', seed: 'seed-a', is_hibernated: 'false' }),
      0,
    );

    // Nothing is kept: a shoot that went is gone from the next scrape.
    shoots.splice(0, 1);
    const next = await registry.metrics();
    assert.equal(samplesOf(next, 'garden_shoot_operation_states', { name: 'moving' }).length, 0);
    assert.equal(reads, 2);
  });
});

describe('garden shoot metrics, when the objects cannot be read', () => {
  it("show no shoot series and count gardener-metrics-exporter's scrape failure", async () => {
    const registry = new Registry();
    registerShootMetrics(registry, async () => {
      throw new Error('a malformed Shoot');
    });
    const text = await registry.metrics();
    assert.deepEqual(samplesOf(text, 'garden_shoot_operation_states'), []);
    assert.equal(sampleValue(text, 'garden_scrape_failure_total', { kind: 'shoots' }), 1, 'once per scrape');
  });
});

describe("the garden's /metrics", () => {
  let g: TestGarden;
  let readerToken: string;

  before(async () => {
    g = await startTestGarden({ localSetup: false });
    readerToken = (await readFile(g.garden.hosted.metricsReader.tokenFile, 'utf8')).trim();
  });

  after(async () => {
    await g?.cleanup();
  });

  it('answers the operator and the metrics reader, refuses a project member and the anonymous', async () => {
    const operator = await rawRequest(g.kubeconfig, 'GET', '/metrics');
    assert.equal(operator.status, 200, operator.text);
    assert.match(String(operator.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const reader = await rawRequest(g.kubeconfig, 'GET', '/metrics', undefined, {}, { token: readerToken });
    assert.equal(reader.status, 200, reader.text);
    assert.ok(samplesOf(reader.text, 'apiserver_request_total', { component: 'apiserver' }).length > 0);
    assert.equal((await rawRequest(g.memberKubeconfig, 'GET', '/metrics')).status, 403);
    assert.equal((await rawRequest(g.kubeconfig, 'GET', '/metrics', undefined, {}, { token: null })).status, 401);
    const ca = await readFile(g.garden.hosted.metricsReader.caFile, 'utf8');
    assert.equal(ca, g.garden.hosted.caPem, "the reader's CA file is the garden's CA");
  });

  it('gives the metrics reader no object (only /metrics, and discovery as every authenticated user)', async () => {
    for (const path of ['/api/v1/namespaces', '/apis/core.gardener.cloud/v1beta1/shoots', '/api/v1/secrets']) {
      const read = await rawRequest(g.kubeconfig, 'GET', path, undefined, {}, { token: readerToken });
      assert.equal(read.status, 403, `${path}: ${read.text}`);
    }
  });

  it('counts requests by verb and resource, and a watch once it is established', async () => {
    const client = new RestClient(loadKubeconfig(g.kubeconfig));
    const watch = await client.resource(configMapResource).watch('default');
    try {
      await client.resource(configMapResource).list('default');
      const text = (await rawRequest(g.kubeconfig, 'GET', '/metrics')).text;
      const configMaps = { group: '', version: 'v1', resource: 'configmaps', scope: 'namespace' };
      assert.equal(sampleValue(text, 'apiserver_request_total', { ...configMaps, verb: 'WATCH', code: '200' }), 1);
      assert.ok(sampleValue(text, 'apiserver_request_total', { ...configMaps, verb: 'LIST', code: '200' }) >= 1);
      assert.equal(sampleValue(text, 'apiserver_request_duration_seconds_count', { ...configMaps, verb: 'WATCH' }), 1);
      assert.ok(
        sampleValue(text, 'apiserver_request_total', { verb: 'GET', resource: '', scope: '', code: '403' }) >= 1,
        'the refused non-resource requests',
      );
    } finally {
      watch.stop();
      client.close();
    }
  });
});
