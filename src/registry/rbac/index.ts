/** The definitions of the rbac.authorization.k8s.io/v1 kinds every hosted API server and every shoot's serve. */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { clusterRoleDefinition } from './cluster-role.js';
import { clusterRoleBindingDefinition } from './cluster-role-binding.js';
import { roleDefinition } from './role.js';
import { roleBindingDefinition } from './role-binding.js';

/** Role, ClusterRole, RoleBinding, ClusterRoleBinding. */
export const rbacDefinitions: ResourceDefinition[] = [
  roleDefinition,
  clusterRoleDefinition,
  roleBindingDefinition,
  clusterRoleBindingDefinition,
];
