/** Project's definition: Gardener's strategy (with `spec.namespace` defaulted) and columns. */
import {
  defaultProject,
  projectResource,
  validateProject,
  validateProjectUpdate,
} from '../../api/core-gardener/project.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns, kindFields } from '../columns.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';

export const projectDefinition: ResourceDefinition = {
  ...projectResource,
  ...gardenSchemas.Project,
  listKind: 'ProjectList',
  singular: 'project',
  nameRule: 'label',
  strategy: gardenerStrategy({
    defaults: defaultProject,
    validate: validateProject,
    validateUpdate: validateProjectUpdate,
  }),
  subresources: [statusSubresource()],
  hasStatus: true,
  columns: kindColumns(projectResource, [
    { name: 'NAMESPACE', type: 'string', cell: (project) => project.spec?.namespace || '<unknown>' },
    { name: 'STATUS', type: 'string', cell: (project) => project.status?.phase || '<unknown>' },
    { name: 'OWNER', type: 'string', cell: (project) => project.spec?.owner?.name ?? '<unknown>' },
    { name: 'CREATOR', type: 'string', cell: (project) => project.spec?.createdBy?.name ?? '<unknown>' },
    ageColumn,
  ]),
  selectableFields: kindFields(projectResource, {
    'spec.namespace': (project) => project.spec?.namespace ?? '',
  }),
};
