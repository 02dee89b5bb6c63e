/** ControlPlane's definition: the extension strategy and Gardener's printer columns. */
import { controlPlaneResource, controlPlaneValidation } from '../../api/extensions/control-plane.js';
import { ageColumn } from '../columns.js';
import { extensionKindDefinition, lastOperationStateColumn, typeColumn } from './common.js';

export const controlPlaneDefinition = extensionKindDefinition(controlPlaneResource, controlPlaneValidation, {
  listKind: 'ControlPlaneList',
  singular: 'controlplane',
  shortNames: ['cp'],
  columns: [
    typeColumn,
    {
      name: 'PURPOSE',
      type: 'string',
      description: 'Purpose of control plane resource.',
      cell: (cp) => cp.spec.purpose || null,
    },
    lastOperationStateColumn('STATUS'),
    ageColumn,
  ],
});
