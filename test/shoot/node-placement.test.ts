/**
 * Where a DaemonSet's pods belong (src/shoot/controller-manager/apps/daemonset/node-placement.ts):
 * nodeSelector, required node affinity by labels and by `metadata.name`, taints with and without
 * a toleration, and the pin to one node that `nodeOfPod` reads back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Node,
  nodeOfPod,
  pinnedAffinity,
  shouldRunOn,
} from '../../src/shoot/controller-manager/apps/daemonset/node-placement.js';

const node = (name: string, labels: Record<string, string> = {}, taints: Node['spec'] = {}): Node => ({
  metadata: { name, labels },
  spec: taints,
});
const template = (spec: Record<string, unknown>) => ({ spec: { containers: [{ name: 'c', image: 'i' }], ...spec } });

describe('DaemonSet node placement', () => {
  it('honours nodeSelector and required node affinity (labels, Gt, metadata.name)', () => {
    const gpu = node('n1', { accelerator: 'gpu', cores: '16' });
    const plain = node('n2', { cores: '4' });
    const selector = template({ nodeSelector: { accelerator: 'gpu' } });
    assert.deepEqual([shouldRunOn(selector, gpu), shouldRunOn(selector, plain)], [true, false]);
    const affinity = (term: Record<string, unknown>) =>
      template({
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } } },
      });
    const big = affinity({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] });
    assert.deepEqual([shouldRunOn(big, gpu), shouldRunOn(big, plain)], [true, false]);
    const named = affinity({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] });
    assert.deepEqual([shouldRunOn(named, gpu), shouldRunOn(named, plain)], [false, true]);
  });

  it('stays off a tainted node unless tolerated; cordoned and not-ready nodes are tolerated by default', () => {
    const tainted = node('n3', {}, { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    assert.equal(shouldRunOn(template({}), tainted), false);
    const tolerating = template({
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
    });
    assert.equal(shouldRunOn(tolerating, tainted), true);
    const cordoned = node(
      'n4',
      {},
      { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] },
    );
    assert.equal(shouldRunOn(template({}), cordoned), true);
    const notReady = node('n5', {}, { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] });
    assert.equal(shouldRunOn(template({}), notReady), true);
    const preferOnly = node('n6', {}, { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] });
    assert.equal(shouldRunOn(template({}), preferOnly), true, 'PreferNoSchedule does not keep it off');
  });

  it('pins a pod to its node by replacing the required terms, keeping preferred ones', () => {
    const preferred = [
      { weight: 1, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
    ];
    const affinity = pinnedAffinity(
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [] }] },
          preferredDuringSchedulingIgnoredDuringExecution: preferred,
        },
      },
      'n7',
    );
    assert.deepEqual(affinity.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }],
    });
    assert.deepEqual(affinity.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution, preferred);
    assert.equal(nodeOfPod({ metadata: {}, spec: { affinity } }), 'n7');
    assert.equal(nodeOfPod({ metadata: {}, spec: { nodeName: 'n8', affinity } }), 'n8', 'where it runs wins');
  });
});
