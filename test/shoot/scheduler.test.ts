/**
 * kube-scheduler's decision on its own: which nodes a pod may go to (requests against what is
 * left, nodeSelector and node affinity, taints, cordoned and not-Ready nodes), which one it picks,
 * and the message a pod that fits nowhere gets — in Kubernetes' words.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta.js';
import { podRequests } from '../../src/shoot/scheduler/resources.js';
import { type NodeWithPods, schedulePod } from '../../src/shoot/scheduler/schedule.js';

function node(
  name: string,
  extra: { labels?: Record<string, string>; spec?: object; ready?: string; cpu?: string; pods?: string } = {},
): KubeObject {
  const allocatable = { cpu: extra.cpu ?? '2', memory: '4Gi', pods: extra.pods ?? '110', 'ephemeral-storage': '20Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
    spec: extra.spec ?? {},
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: extra.ready ?? 'True' }] },
  };
}

function pod(name: string, spec: Record<string, unknown> = {}, requests?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: name } },
    spec: { containers: [{ name: 'c', image: 'nginx', ...(requests ? { resources: { requests } } : {}) }], ...spec },
  };
}

const three = (...extras: Parameters<typeof node>[1][]): NodeWithPods[] =>
  ['node-a', 'node-b', 'node-c'].map((name, i) => ({ node: node(name, extras[i] ?? {}), pods: [] }));

describe('pod requests', () => {
  it('sums containers, takes the largest init container when larger, adds sidecars and overhead; limits stand in for requests', () => {
    const requests = podRequests({
      metadata: {},
      spec: {
        containers: [
          { name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } },
          { name: 'b', resources: { limits: { cpu: '200m' } } },
        ],
        initContainers: [
          { name: 'init', resources: { requests: { cpu: '1', memory: '32Mi' } } },
          { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
        ],
        overhead: { cpu: '10m' },
      },
    });
    assert.deepEqual(requests, { cpu: 1010, memory: 64 * 1024 * 1024 });
  });
});

describe('scheduling a pod', () => {
  it('spreads pods without requests over the nodes and picks the least allocated', () => {
    const nodes = three();
    nodes[0]!.pods = [pod('x'), pod('y')];
    nodes[1]!.pods = [pod('z')];
    assert.deepEqual(schedulePod(pod('web'), nodes), { node: 'node-c' });
  });

  it('counts what the pods on a node request: a pod that fits only where room is left goes there', () => {
    const nodes = three();
    nodes[0]!.pods = [pod('big-a', {}, { cpu: '1500m' })];
    nodes[1]!.pods = [pod('big-b', {}, { cpu: '1800m' })];
    nodes[2]!.pods = [pod('big-c', {}, { cpu: '1900m' })];
    assert.deepEqual(schedulePod(pod('web', {}, { cpu: '400m' }), nodes), { node: 'node-a' });
  });

  it('refuses a pod asking for more cpu than any node has, in kube-scheduler words', () => {
    assert.deepEqual(schedulePod(pod('huge', {}, { cpu: '100' }), three()), {
      unschedulable:
        '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    });
    const full = three({ pods: '1' }, { pods: '1' }, { pods: '1' });
    for (const n of full) n.pods = [pod(`on-${n.node.metadata.name}`)];
    assert.match((schedulePod(pod('one-more'), full) as { unschedulable: string }).unschedulable, /3 Too many pods\./);
  });

  it('respects nodeSelector and required node affinity (labels, and metadata.name as DaemonSet pods use it)', () => {
    const nodes = three({}, { labels: { disk: 'ssd' } }, { labels: { disk: 'ssd', zone: '2' } });
    assert.deepEqual(schedulePod(pod('p', { nodeSelector: { disk: 'ssd', zone: '2' } }), nodes), { node: 'node-c' });
    const byName = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-b'] }] }],
        },
      },
    };
    assert.deepEqual(schedulePod(pod('ds', { affinity: byName }), nodes), { node: 'node-b' });
    const gt = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'Gt', values: ['5'] }] },
            { matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] },
          ],
        },
      },
    };
    assert.deepEqual(schedulePod(pod('gt', { affinity: gt }), nodes), { node: 'node-a' });
    assert.deepEqual(schedulePod(pod('none', { nodeSelector: { disk: 'hdd' } }), nodes), {
      unschedulable:
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    });
  });

  it('keeps pods off tainted, cordoned and not-Ready nodes unless they tolerate it; PreferNoSchedule only scores', () => {
    const nodes = three(
      { spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } },
      { spec: { unschedulable: true } },
      { ready: 'Unknown' },
    );
    const message = (schedulePod(pod('p'), nodes) as { unschedulable: string }).unschedulable;
    assert.equal(
      message,
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
    const tolerating = { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] };
    assert.deepEqual(schedulePod(pod('gpu', tolerating), nodes), { node: 'node-a' });
    const prefer = three({ spec: { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] } }, {}, {});
    prefer[1]!.pods = [pod('x')];
    prefer[2]!.pods = [pod('y')];
    assert.deepEqual(schedulePod(pod('p'), prefer), { node: 'node-b' }, 'the tainted, emptier node scores lower');
  });

  it('says so when there are no nodes at all', () => {
    assert.deepEqual(schedulePod(pod('p'), []), { unschedulable: 'no nodes available to schedule pods' });
  });
});
