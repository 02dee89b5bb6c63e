/** Role's definition: no status and no defaults, so validation is all its strategy does. */
import { roleResource } from '../../api/rbac/resources.js';
import { validateRole } from '../../api/rbac/validation.js';
import type { ResourceDefinition, Strategy } from '../../apiserver/types.js';
import { createdAtColumn, rbacDefinitionBase } from './common.js';

const roleStrategy = Object.freeze({ validate: validateRole, validateUpdate: validateRole }) satisfies Strategy;

export const roleDefinition: ResourceDefinition = {
  ...roleResource,
  ...rbacDefinitionBase,
  listKind: 'RoleList',
  singular: 'role',
  strategy: roleStrategy,
  columns: [createdAtColumn],
};
