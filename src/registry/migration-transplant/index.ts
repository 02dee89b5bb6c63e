/** The definitions of the migration.transplant.gardener.cloud/v1alpha1 kinds the garden serves. */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { migrationPreflightDefinition } from './migration-preflight.js';

/** MigrationPreflight. */
export const migrationTransplantDefinitions: ResourceDefinition[] = [migrationPreflightDefinition];
