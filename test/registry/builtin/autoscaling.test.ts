/**
 * HorizontalPodAutoscaler served in autoscaling/v2 (stored) and v1 (`kubectl autoscale` of
 * 1.31): one object seen through both versions, nothing lost on a round trip through v1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/api/meta.js';
import { AdmissionChain } from '../../../src/apiserver/admission.js';
import { GenericStore } from '../../../src/apiserver/registry/generic-store.js';
import { builtinDefinitions } from '../../../src/registry/builtin/index.js';
import { ctx, type Doc, refused, row, storage } from '../../helpers/builtin-store.js';

function store(version: string): GenericStore {
  const def = builtinDefinitions.find((d) => d.group === 'autoscaling' && d.version === version)!;
  return new GenericStore(def, storage, new AdmissionChain([]));
}

const v1 = store('v1');
const v2 = store('v2');

const autoscaler = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'autoscaling/v1',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3, ...spec },
});

describe('autoscaling/v1 and v2 HorizontalPodAutoscaler', () => {
  it('a v1 CPU target is a v2 Resource metric, and back', async () => {
    const created = (await v1.create('hpa', autoscaler('web', { targetCPUUtilizationPercentage: 50 }), ctx)) as Doc;
    assert.equal(created.apiVersion, 'autoscaling/v1');
    assert.equal(created.spec.targetCPUUtilizationPercentage, 50);
    assert.equal(created.spec.minReplicas, 1);
    const seen = (await v2.get('hpa', 'web')) as Doc;
    assert.equal(seen.apiVersion, 'autoscaling/v2');
    assert.deepEqual(seen.spec.metrics, [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
    ]);
    assert.equal(row(v2, seen).TARGETS, 'cpu: <unknown>/50%');
    assert.equal(row(v1, created).TARGETS, '<unknown>/50%');
  });

  it('without a target, v2 defaults to 80% CPU', async () => {
    await v1.create('hpa', autoscaler('plain', {}), ctx);
    assert.equal(((await v2.get('hpa', 'plain')) as Doc).spec.metrics[0].resource.target.averageUtilization, 80);
    assert.equal(((await v1.get('hpa', 'plain')) as Doc).spec.targetCPUUtilizationPercentage, 80);
  });

  it('keeps what v1 cannot say (behavior, other metrics) through an update in v1', async () => {
    const memory = {
      type: 'Resource',
      resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } },
    };
    await v2.patch(
      'hpa',
      'web',
      '',
      'merge',
      { spec: { behavior: { scaleDown: { stabilizationWindowSeconds: 60 } }, metrics: [memory] } },
      ctx,
    );
    const asV1 = (await v1.get('hpa', 'web')) as Doc;
    assert.equal(asV1.spec.targetCPUUtilizationPercentage, undefined);
    assert.ok(asV1.metadata.annotations['autoscaling.alpha.kubernetes.io/behavior']);
    await v1.patch('hpa', 'web', '', 'merge', { spec: { maxReplicas: 5 } }, ctx);
    const back = (await v2.get('hpa', 'web')) as Doc;
    assert.equal(back.spec.maxReplicas, 5);
    assert.deepEqual(back.spec.behavior, { scaleDown: { stabilizationWindowSeconds: 60 } });
    assert.deepEqual(back.spec.metrics, [memory]);
    assert.equal(back.metadata.annotations, undefined);
  });

  it('refuses fewer than one replica in either version', async () => {
    await refused(v1.create('hpa', autoscaler('zero', { minReplicas: 0 }), ctx));
    const list = await v1.list('hpa', {});
    assert.deepEqual(
      list.items.map((i) => i.apiVersion),
      ['autoscaling/v1', 'autoscaling/v1'],
    );
  });
});
