/**
 * The core.gardener.cloud/v1beta1 kinds Transplant serves, and the readers other modules use.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { backupBucketResource } from './backup-bucket.js';
import { backupEntryResource } from './backup-entry.js';
import { projectResource } from './project.js';
import { seedResource } from './seed.js';
import { shootResource } from './shoot.js';
import { shootStateResource } from './shoot-state.js';

export * from './backup-bucket.js';
export * from './backup-entry.js';
export * from './common.js';
export * from './conditions.js';
export * from './project.js';
export * from './seed.js';
export * from './seed-readiness.js';
export * from './shoot.js';
export * from './shoot-state.js';

/** Project, Seed, Shoot, ShootState, BackupBucket, BackupEntry. */
export const gardenResources: ResourceDefinition[] = [
  projectResource,
  seedResource,
  shootResource,
  shootStateResource,
  backupBucketResource,
  backupEntryResource,
];
