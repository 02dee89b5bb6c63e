/** Project's definition: Gardener's strategy (with `spec.namespace` defaulted) and columns. */
import { pathString } from '../../api/core-gardener/common.js';
import {
  defaultProject,
  projectNamespace,
  projectPhase,
  projectResource,
  validateProject,
  validateProjectUpdate,
} from '../../api/core-gardener/project.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../columns.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';

export const projectDefinition: ResourceDefinition = {
  ...projectResource,
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
  columns: [
    { name: 'NAMESPACE', type: 'string', cell: (obj) => projectNamespace(obj) ?? '<unknown>' },
    { name: 'STATUS', type: 'string', cell: (obj) => projectPhase(obj) ?? '<unknown>' },
    { name: 'OWNER', type: 'string', cell: (obj) => pathString(obj, 'spec.owner.name') ?? '<unknown>' },
    { name: 'CREATOR', type: 'string', cell: (obj) => pathString(obj, 'spec.createdBy.name') ?? '<unknown>' },
    ageColumn,
  ],
  selectableFields: {
    'spec.namespace': (obj) => projectNamespace(obj) ?? '',
  },
};
