/** RoleBinding's definition: v1 defaults on create and update; `roleRef` is immutable. */
import { defaultBinding } from '../../api/rbac/defaults.js';
import { roleBindingResource } from '../../api/rbac/resources.js';
import { validateRoleBinding, validateRoleBindingUpdate } from '../../api/rbac/validation.js';
import type { ResourceDefinition, Strategy } from '../../apiserver/types.js';
import { bindingColumns, rbacDefinitionBase } from './common.js';

const roleBindingStrategy = Object.freeze({
  prepareForCreate: defaultBinding,
  prepareForUpdate: defaultBinding,
  validate: validateRoleBinding,
  validateUpdate: validateRoleBindingUpdate,
}) satisfies Strategy;

export const roleBindingDefinition: ResourceDefinition = {
  ...roleBindingResource,
  ...rbacDefinitionBase,
  listKind: 'RoleBindingList',
  singular: 'rolebinding',
  strategy: roleBindingStrategy,
  columns: bindingColumns,
};
