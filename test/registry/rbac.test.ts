import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta.js';
import type { ResourceDefinition } from '../../src/apiserver/types.js';
import { clusterRoleDefinition } from '../../src/registry/rbac/cluster-role.js';
import { clusterRoleBindingDefinition } from '../../src/registry/rbac/cluster-role-binding.js';
import { rbacDefinitions } from '../../src/registry/rbac/index.js';
import { roleDefinition } from '../../src/registry/rbac/role.js';
import { roleBindingDefinition } from '../../src/registry/rbac/role-binding.js';
import { definitionNames } from '../helpers/definition-names.js';
import { RBAC_GROUP as group, sampleBinding as rb, sampleRole as role } from '../helpers/sample-objects.js';

describe('rbac: resource definitions', () => {
  it('registers the four kinds with their names and scope', () => {
    assert.ok(rbacDefinitions.every((d) => d.nameRule === 'pathSegment'));
    const rows = rbacDefinitions.map(definitionNames);
    assert.deepEqual(rows, [
      [group, 'v1', 'Role', 'RoleList', 'roles', 'role', true, false],
      [group, 'v1', 'ClusterRole', 'ClusterRoleList', 'clusterroles', 'clusterrole', false, false],
      [group, 'v1', 'RoleBinding', 'RoleBindingList', 'rolebindings', 'rolebinding', true, false],
      [
        group,
        'v1',
        'ClusterRoleBinding',
        'ClusterRoleBindingList',
        'clusterrolebindings',
        'clusterrolebinding',
        false,
        false,
      ],
    ]);
  });

  it('binding strategies default apiGroups before validating', () => {
    const obj: KubeObject = {
      metadata: { name: 'b', namespace: 'ns' },
      roleRef: { kind: 'Role', name: 'edit' },
      subjects: [
        { kind: 'User', name: 'jane' },
        { kind: 'Group', name: 'devs' },
        { kind: 'ServiceAccount', name: 'robot' },
      ],
    };
    const strategy = roleBindingDefinition.strategy;
    strategy.prepareForCreate?.(obj);
    assert.deepEqual(obj.roleRef, { kind: 'Role', name: 'edit', apiGroup: group });
    assert.deepEqual(obj.subjects, [
      { kind: 'User', name: 'jane', apiGroup: group },
      { kind: 'Group', name: 'devs', apiGroup: group },
      { kind: 'ServiceAccount', name: 'robot' },
    ]);
    assert.deepEqual(strategy.validate?.(obj), []);
    const update = structuredClone(obj);
    (update.roleRef as Record<string, unknown>).apiGroup = undefined;
    clusterRoleBindingDefinition.strategy.prepareForUpdate?.(update, obj);
    assert.equal((update.roleRef as Record<string, unknown>).apiGroup, group);
    assert.deepEqual(roleBindingDefinition.strategy.validateUpdate?.(update, obj), []);
  });

  it('role strategies validate on create and update', () => {
    const bad = role([{ verbs: [], apiGroups: [''], resources: ['pods'] }]);
    assert.equal(roleDefinition.strategy.validate?.(bad).length, 1);
    assert.equal(roleDefinition.strategy.validateUpdate?.(bad, role([])).length, 1);
    assert.equal(clusterRoleDefinition.strategy.validateUpdate?.({ ...bad, kind: 'ClusterRole' }, bad).length, 1);
  });

  function cells(def: ResourceDefinition, obj: KubeObject, wide = false): Record<string, unknown> {
    const columns = (def.columns ?? []).filter((c) => wide || !c.priority);
    return Object.fromEntries(columns.map((c) => [c.name, c.cell(obj)]));
  }

  it('shows ROLE as Kind/name and AGE before the -o wide subject columns', () => {
    const created = new Date(Date.now() - 3 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const obj = rb(
      {
        subjects: [
          { kind: 'User', apiGroup: group, name: 'jane' },
          { kind: 'User', apiGroup: group, name: 'joe' },
          { kind: 'Group', apiGroup: group, name: 'devs' },
          { kind: 'ServiceAccount', name: 'robot', namespace: 'garden-dev' },
        ],
      },
      undefined,
    );
    obj.metadata.creationTimestamp = created;
    assert.deepEqual(cells(clusterRoleBindingDefinition, obj), { Role: 'ClusterRole/view', Age: '3h' });
    assert.deepEqual(cells(roleBindingDefinition, obj, true), {
      Role: 'ClusterRole/view',
      Age: '3h',
      Users: 'jane, joe',
      Groups: 'devs',
      ServiceAccounts: 'garden-dev/robot',
    });
    assert.deepEqual(cells(roleDefinition, { metadata: { name: 'r', creationTimestamp: created } }), {
      'Created At': created,
    });
  });
});
