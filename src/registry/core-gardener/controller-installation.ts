/** ControllerInstallation's definition: Gardener's strategy, its table and field selectors. */
import {
  ControllerInstallationConditionType as Condition,
  type ControllerInstallation,
  controllerInstallationResource,
  installationConditionStatus,
  validateControllerInstallation,
  validateControllerInstallationUpdate,
} from '../../api/core-gardener/controller-installation.js';
import type { ResourceDefinition, TableColumn } from '../../apiserver/types.js';
import { ageColumn, kindColumns, kindFields } from '../columns.js';
import { conditionsByType } from '../field-types.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';

export const controllerInstallationDefinition: ResourceDefinition = {
  ...controllerInstallationResource,
  ...gardenSchemas.ControllerInstallation,
  listKind: 'ControllerInstallationList',
  singular: 'controllerinstallation',
  shortNames: ['ctrlinst'],
  nameRule: 'label',
  strategy: gardenerStrategy({
    validate: validateControllerInstallation,
    validateUpdate: validateControllerInstallationUpdate,
  }),
  subresources: [statusSubresource()],
  hasStatus: true,
  fieldTypes: conditionsByType,
  columns: kindColumns(controllerInstallationResource, [
    { name: 'REGISTRATION', type: 'string', cell: (i) => i.spec.registrationRef.name },
    {
      name: 'CLUSTER',
      type: 'string',
      cell: (i) =>
        i.spec.shootRef
          ? `Shoot/${i.spec.shootRef.namespace}/${i.spec.shootRef.name}`
          : i.spec.seedRef
            ? `Seed/${i.spec.seedRef.name}`
            : '<unknown>',
    },
    ...[Condition.Valid, Condition.Installed, Condition.Healthy, Condition.Progressing].map(
      (type): TableColumn<ControllerInstallation> => ({
        name: type.toUpperCase(),
        type: 'string',
        cell: (i) => installationConditionStatus(i, type),
      }),
    ),
    ageColumn,
  ]),
  selectableFields: kindFields(controllerInstallationResource, {
    'spec.seedRef.name': (i) => i.spec.seedRef?.name ?? '',
    'spec.registrationRef.name': (i) => i.spec.registrationRef.name,
  }),
};
