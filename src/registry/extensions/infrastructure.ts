/** Infrastructure's definition: the extension strategy and Gardener's printer columns. */
import { infrastructureResource, infrastructureValidation } from '../../api/extensions/infrastructure.js';
import { ageColumn } from '../columns.js';
import { extensionKindDefinition, lastOperationStateColumn, regionColumn, typeColumn } from './common.js';

export const infrastructureDefinition = extensionKindDefinition(infrastructureResource, infrastructureValidation, {
  listKind: 'InfrastructureList',
  singular: 'infrastructure',
  shortNames: ['infra'],
  columns: [typeColumn, regionColumn, lastOperationStateColumn('STATUS'), ageColumn],
});
