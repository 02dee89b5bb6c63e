import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRoles, nodeStatusColumn } from '../../src/api/core/index.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore, type RequestContext } from '../../src/apiserver/registry/generic-store.js';
import { coreDefinitions } from '../../src/registry/core/index.js';
import { nodeDefinition } from '../../src/registry/core/node.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';

const ctx: RequestContext = { user: { name: 'admin', groups: ['system:masters'] }, dryRun: false };

function node(labels: Record<string, string> = {}, status?: unknown, spec?: unknown): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'worker-1', labels, creationTimestamp: new Date(Date.now() - 90_000).toISOString() },
    ...(spec === undefined ? {} : { spec }),
    ...(status === undefined ? {} : { status }),
  };
}

const ready = (status: string) => ({
  conditions: [{ type: 'Ready', status }],
  nodeInfo: { kubeletVersion: 'v1.31.2' },
});

function cells(obj: KubeObject, wide = false): Record<string, unknown> {
  return Object.fromEntries(
    (nodeDefinition.columns ?? []).filter((c) => wide || !c.priority).map((c) => [c.name, c.cell(obj)]),
  );
}

describe('Node', () => {
  it('is a cluster-scoped core kind with a status subresource and the short name no', () => {
    assert.ok(coreDefinitions.includes(nodeDefinition));
    assert.deepEqual(
      [
        nodeDefinition.group,
        nodeDefinition.version,
        nodeDefinition.plural,
        nodeDefinition.namespaced,
        nodeDefinition.shortNames,
      ],
      ['', 'v1', 'nodes', false, ['no']],
    );
    assert.deepEqual(
      nodeDefinition.subresources?.map((s) => s.name),
      ['status'],
    );
  });

  it('prints STATUS, ROLES, AGE and VERSION like kubectl', () => {
    const { AGE, ...rest } = cells(node({ 'node-role.kubernetes.io/worker': '' }, ready('True')));
    assert.deepEqual(rest, { STATUS: 'Ready', ROLES: 'worker', VERSION: 'v1.31.2' });
    assert.match(String(AGE), /^9\ds$/);
    assert.deepEqual(
      nodeDefinition.columns?.filter((c) => !c.priority).map((c) => c.name),
      ['STATUS', 'ROLES', 'AGE', 'VERSION'],
    );
    assert.equal(nodeStatusColumn(node({}, ready('False'))), 'NotReady');
    assert.equal(nodeStatusColumn(node({}, ready('Unknown'))), 'NotReady');
    assert.equal(nodeStatusColumn(node({}, { conditions: [] })), 'Unknown');
    assert.equal(nodeStatusColumn(node()), 'Unknown');
    assert.equal(nodeStatusColumn(node({}, ready('True'), { unschedulable: true })), 'Ready,SchedulingDisabled');
    assert.deepEqual(
      nodeRoles(
        node({
          'node-role.kubernetes.io/worker': '',
          'node-role.kubernetes.io/control-plane': 'true',
          'kubernetes.io/role': 'infra',
          'node-role.kubernetes.io/': 'x',
        }),
      ),
      ['control-plane', 'infra', 'worker'],
    );
    assert.equal(cells(node()).ROLES, '<none>');
    assert.equal(cells(node()).VERSION, '');
  });

  it('shows addresses and node info with -o wide', () => {
    const status = {
      ...ready('True'),
      addresses: [
        { type: 'Hostname', address: 'worker-1' },
        { type: 'InternalIP', address: '10.250.0.4' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.31.2',
        osImage: 'Debian GNU/Linux 12',
        kernelVersion: '6.1.0',
        containerRuntimeVersion: 'containerd://1.7',
      },
    };
    const wide = cells(node({}, status), true);
    assert.equal(wide['INTERNAL-IP'], '10.250.0.4');
    assert.equal(wide['EXTERNAL-IP'], '<none>');
    assert.equal(wide['OS-IMAGE'], 'Debian GNU/Linux 12');
    assert.equal(wide['KERNEL-VERSION'], '6.1.0');
    assert.equal(wide['CONTAINER-RUNTIME'], 'containerd://1.7');
  });

  it('keeps the status on updates, changes it only through nodes/status, and validates both', async () => {
    const storage = openSqliteStore({ path: ':memory:' });
    const nodes = new GenericStore(nodeDefinition, storage, new AdmissionChain([]));
    try {
      const created = await nodes.create('', node({}, undefined, { podCIDR: '10.0.0.0/24' }), ctx);
      const reported = await nodes.update('', 'worker-1', 'status', { ...created, status: ready('True') }, ctx);
      assert.equal(nodeStatusColumn(reported), 'Ready');
      const cordoned = await nodes.update(
        '',
        'worker-1',
        '',
        { ...reported, spec: { podCIDR: '10.0.0.0/24', unschedulable: true }, status: ready('False') },
        ctx,
      );
      assert.equal(nodeStatusColumn(cordoned), 'Ready,SchedulingDisabled');
      await assert.rejects(
        nodes.update('', 'worker-1', '', { ...cordoned, spec: { unschedulable: 'yes' } }, ctx),
        /spec\.unschedulable/,
      );
      await assert.rejects(
        nodes.update(
          '',
          'worker-1',
          'status',
          { ...cordoned, status: { conditions: [{ type: 'Ready', status: 'Maybe' }] } },
          ctx,
        ),
        /status\.conditions\[0\]\.status/,
      );
      await assert.rejects(
        nodes.create(
          '',
          { ...node(), metadata: { name: 'w2' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } },
          ctx,
        ),
        /spec\.taints\[0\]\.effect/,
      );
      const unschedulable = await nodes.list('', {
        fieldSelector: [{ field: 'spec.unschedulable', op: '=', value: 'true' }],
      });
      assert.deepEqual(
        unschedulable.items.map((n) => n.metadata.name),
        ['worker-1'],
      );
    } finally {
      await storage.close();
    }
  });
});
