/** The definitions of the core.gardener.cloud/v1beta1 kinds the garden serves. */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { backupBucketDefinition } from './backup-bucket.js';
import { backupEntryDefinition } from './backup-entry.js';
import { cloudProfileDefinition } from './cloud-profile.js';
import { controllerInstallationDefinition } from './controller-installation.js';
import { controllerRegistrationDefinition } from './controller-registration.js';
import { projectDefinition } from './project.js';
import { quotaDefinition } from './quota.js';
import { secretBindingDefinition } from './secret-binding.js';
import { seedDefinition } from './seed.js';
import { shootDefinition } from './shoot.js';
import { shootStateDefinition } from './shoot-state.js';

/**
 * Project, Seed, Shoot, ShootState, BackupBucket, BackupEntry, ControllerRegistration,
 * ControllerInstallation, CloudProfile, SecretBinding, Quota.
 */
export const gardenerDefinitions: ResourceDefinition[] = [
  projectDefinition,
  seedDefinition,
  shootDefinition,
  shootStateDefinition,
  backupBucketDefinition,
  backupEntryDefinition,
  controllerRegistrationDefinition,
  controllerInstallationDefinition,
  cloudProfileDefinition,
  secretBindingDefinition,
  quotaDefinition,
];
