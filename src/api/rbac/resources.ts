/**
 * The four rbac.authorization.k8s.io/v1 kinds as ResourceDefinitions: names, scope, strategies
 * (v1 defaulting in prepare*, validation from ./validation.ts) and the columns kubectl shows.
 */
import { humanAge } from '../../apiserver/table.js';
import type { ResourceDefinition, Strategy, TableColumn } from '../../apiserver/types.js';
import type { KubeObject } from '../meta.js';
import { isRecord } from '../meta.js';
import { rbacGroup, rbacVersion } from './types.js';
import {
  validateClusterRole,
  validateClusterRoleBinding,
  validateClusterRoleBindingUpdate,
  validateRole,
  validateRoleBinding,
  validateRoleBindingUpdate,
} from './validation.js';

/** k8s v1 defaults: `roleRef.apiGroup` and User/Group subjects' `apiGroup` are the RBAC group. Mutates. */
export function defaultBinding(obj: KubeObject): void {
  if (isRecord(obj.roleRef) && !obj.roleRef.apiGroup) obj.roleRef.apiGroup = rbacGroup;
  if (!Array.isArray(obj.subjects)) return;
  for (const subject of obj.subjects) {
    if (isRecord(subject) && !subject.apiGroup && (subject.kind === 'User' || subject.kind === 'Group')) {
      subject.apiGroup = rbacGroup;
    }
  }
}

/** Role and ClusterRole carry no status and have no defaults: validation is all there is. */
export const roleStrategy = Object.freeze({ validate: validateRole, validateUpdate: validateRole }) satisfies Strategy;

export const clusterRoleStrategy = Object.freeze({
  validate: validateClusterRole,
  validateUpdate: validateClusterRole,
}) satisfies Strategy;

/** Defaults on create and update; `roleRef` is immutable. */
export const roleBindingStrategy = Object.freeze({
  prepareForCreate: defaultBinding,
  prepareForUpdate: defaultBinding,
  validate: validateRoleBinding,
  validateUpdate: validateRoleBindingUpdate,
}) satisfies Strategy;

export const clusterRoleBindingStrategy = Object.freeze({
  prepareForCreate: defaultBinding,
  prepareForUpdate: defaultBinding,
  validate: validateClusterRoleBinding,
  validateUpdate: validateClusterRoleBindingUpdate,
}) satisfies Strategy;

/** Roles show when they were created (k8s' default table), the server adds AGE. */
const createdAtColumn: TableColumn = {
  name: 'Created At',
  type: 'date',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (obj) => obj.metadata.creationTimestamp ?? null,
};

/** k8s printers.go `roleBindingsColumnDefinitions`: ROLE as `Kind/name`, then AGE; subjects with -o wide. */
const bindingColumns: TableColumn[] = [
  {
    name: 'Role',
    type: 'string',
    description: 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.',
    cell: (obj) => {
      const ref = isRecord(obj.roleRef) ? obj.roleRef : {};
      return `${ref.kind ?? ''}/${ref.name ?? ''}`;
    },
  },
  {
    name: 'Age',
    type: 'string',
    description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
    cell: (obj) => humanAge(obj.metadata.creationTimestamp),
  },
  subjectsColumn('Users', 'Users in the roleBinding', (s) => (s.kind === 'User' ? String(s.name ?? '') : undefined)),
  subjectsColumn('Groups', 'Groups in the roleBinding', (s) => (s.kind === 'Group' ? String(s.name ?? '') : undefined)),
  subjectsColumn('ServiceAccounts', 'ServiceAccounts in the roleBinding', (s) =>
    s.kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name ?? ''}` : undefined,
  ),
];

function subjectsColumn(
  name: string,
  description: string,
  render: (subject: Record<string, unknown>) => string | undefined,
): TableColumn {
  return {
    name,
    type: 'string',
    description,
    priority: 1,
    cell: (obj) => {
      const subjects = Array.isArray(obj.subjects) ? obj.subjects.filter(isRecord) : [];
      const shown = subjects.map(render).filter((s): s is string => s !== undefined);
      return shown.length > 0 ? shown.join(', ') : '';
    },
  };
}

/** RBAC names are path segments (k8s `ValidateRBACName`): `system:controller:foo` is valid. */
const common = { group: rbacGroup, version: rbacVersion, hasStatus: false, nameRule: 'pathSegment' } as const;

export const roleResource: ResourceDefinition = {
  ...common,
  kind: 'Role',
  listKind: 'RoleList',
  plural: 'roles',
  singular: 'role',
  namespaced: true,
  strategy: roleStrategy,
  columns: [createdAtColumn],
};

export const clusterRoleResource: ResourceDefinition = {
  ...common,
  kind: 'ClusterRole',
  listKind: 'ClusterRoleList',
  plural: 'clusterroles',
  singular: 'clusterrole',
  namespaced: false,
  strategy: clusterRoleStrategy,
  columns: [createdAtColumn],
};

export const roleBindingResource: ResourceDefinition = {
  ...common,
  kind: 'RoleBinding',
  listKind: 'RoleBindingList',
  plural: 'rolebindings',
  singular: 'rolebinding',
  namespaced: true,
  strategy: roleBindingStrategy,
  columns: bindingColumns,
};

export const clusterRoleBindingResource: ResourceDefinition = {
  ...common,
  kind: 'ClusterRoleBinding',
  listKind: 'ClusterRoleBindingList',
  plural: 'clusterrolebindings',
  singular: 'clusterrolebinding',
  namespaced: false,
  strategy: clusterRoleBindingStrategy,
  columns: bindingColumns,
};

export const rbacResources: ResourceDefinition[] = [
  roleResource,
  clusterRoleResource,
  roleBindingResource,
  clusterRoleBindingResource,
];
