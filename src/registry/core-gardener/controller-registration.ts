/** ControllerRegistration's definition: Gardener's strategy (defaults on every write) and its table. */
import {
  controllerRegistrationResource,
  defaultControllerRegistration,
  validateControllerRegistration,
  validateControllerRegistrationUpdate,
} from '../../api/core-gardener/controller-registration.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns } from '../columns.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy } from '../strategies.js';

const strategy = gardenerStrategy({
  defaults: defaultControllerRegistration,
  validate: validateControllerRegistration,
  validateUpdate: validateControllerRegistrationUpdate,
});

export const controllerRegistrationDefinition: ResourceDefinition = {
  ...controllerRegistrationResource,
  ...gardenSchemas.ControllerRegistration,
  listKind: 'ControllerRegistrationList',
  singular: 'controllerregistration',
  shortNames: ['ctrlreg'],
  nameRule: 'label',
  // Gardener's ControllerRegistration has no status.
  hasStatus: false,
  strategy: {
    ...strategy,
    // Gardener defaults on decode, so an update that leaves `primary` out keeps it true.
    prepareForUpdate(obj, old) {
      defaultControllerRegistration(obj);
      strategy.prepareForUpdate?.(obj, old);
    },
  },
  columns: kindColumns(controllerRegistrationResource, [
    {
      name: 'RESOURCES',
      type: 'string',
      description: 'The extension kinds and types the controller serves.',
      cell: (registration) => (registration.spec.resources ?? []).map((r) => `${r.kind}/${r.type}`).join(', '),
    },
    ageColumn,
  ]),
};
