/** ClusterRoleBinding's definition: v1 defaults on create and update; `roleRef` is immutable. */
import { defaultBinding } from '../../api/rbac/defaults.js';
import { clusterRoleBindingResource } from '../../api/rbac/resources.js';
import { validateClusterRoleBinding, validateClusterRoleBindingUpdate } from '../../api/rbac/validation.js';
import type { ResourceDefinition, Strategy } from '../../apiserver/types.js';
import { bindingColumns, rbacDefinitionBase } from './common.js';

const clusterRoleBindingStrategy = Object.freeze({
  prepareForCreate: defaultBinding,
  prepareForUpdate: defaultBinding,
  validate: validateClusterRoleBinding,
  validateUpdate: validateClusterRoleBindingUpdate,
}) satisfies Strategy;

export const clusterRoleBindingDefinition: ResourceDefinition = {
  ...clusterRoleBindingResource,
  ...rbacDefinitionBase,
  listKind: 'ClusterRoleBindingList',
  singular: 'clusterrolebinding',
  strategy: clusterRoleBindingStrategy,
  columns: bindingColumns,
};
