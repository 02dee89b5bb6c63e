/** References to the four rbac.authorization.k8s.io/v1 kinds. */
import { resourceRef } from '../resource-ref.js';
import {
  type ClusterRole,
  type ClusterRoleBinding,
  type Role,
  type RoleBinding,
  rbacGroup,
  rbacVersion,
} from './types.js';

export const roleResource = resourceRef<Role>({
  group: rbacGroup,
  version: rbacVersion,
  kind: 'Role',
  plural: 'roles',
  namespaced: true,
});

export const clusterRoleResource = resourceRef<ClusterRole>({
  group: rbacGroup,
  version: rbacVersion,
  kind: 'ClusterRole',
  plural: 'clusterroles',
  namespaced: false,
});

export const roleBindingResource = resourceRef<RoleBinding>({
  group: rbacGroup,
  version: rbacVersion,
  kind: 'RoleBinding',
  plural: 'rolebindings',
  namespaced: true,
});

export const clusterRoleBindingResource = resourceRef<ClusterRoleBinding>({
  group: rbacGroup,
  version: rbacVersion,
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  namespaced: false,
});
