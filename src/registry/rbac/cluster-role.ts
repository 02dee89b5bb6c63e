/** ClusterRole's definition: no status and no defaults, so validation is all its strategy does. */
import { clusterRoleResource } from '../../api/rbac/resources.js';
import { validateClusterRole } from '../../api/rbac/validation.js';
import type { ResourceDefinition, Strategy } from '../../apiserver/types.js';
import { createdAtColumn, rbacDefinitionBase } from './common.js';

const clusterRoleStrategy = Object.freeze({
  validate: validateClusterRole,
  validateUpdate: validateClusterRole,
}) satisfies Strategy;

export const clusterRoleDefinition: ResourceDefinition = {
  ...clusterRoleResource,
  ...rbacDefinitionBase,
  listKind: 'ClusterRoleList',
  singular: 'clusterrole',
  strategy: clusterRoleStrategy,
  columns: [createdAtColumn],
};
