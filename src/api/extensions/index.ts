/**
 * The extensions.gardener.cloud/v1alpha1 kinds each seed's API server serves, and their readers.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { extensionBackupBucketResource } from './backup-bucket.js';
import { extensionBackupEntryResource } from './backup-entry.js';
import { clusterResource } from './cluster.js';
import { controlPlaneResource } from './control-plane.js';
import { dnsRecordResource } from './dns-record.js';
import { infrastructureResource } from './infrastructure.js';
import { workerResource } from './worker.js';

export * from './backup-bucket.js';
export * from './backup-entry.js';
export * from './cluster.js';
export * from './common.js';
export * from './control-plane.js';
export * from './dns-record.js';
export * from './field-validation.js';
export * from './infrastructure.js';
export * from './worker.js';

/** BackupBucket, BackupEntry, DNSRecord, Infrastructure, ControlPlane, Worker, Cluster. */
export const extensionResources: ResourceDefinition[] = [
  extensionBackupBucketResource,
  extensionBackupEntryResource,
  dnsRecordResource,
  infrastructureResource,
  controlPlaneResource,
  workerResource,
  clusterResource,
];
