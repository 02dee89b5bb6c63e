/** The definitions of the extensions.gardener.cloud/v1alpha1 kinds each seed's API server serves. */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { extensionBackupBucketDefinition } from './backup-bucket.js';
import { extensionBackupEntryDefinition } from './backup-entry.js';
import { clusterDefinition } from './cluster.js';
import { controlPlaneDefinition } from './control-plane.js';
import { dnsRecordDefinition } from './dns-record.js';
import { infrastructureDefinition } from './infrastructure.js';
import { workerDefinition } from './worker.js';

/** BackupBucket, BackupEntry, DNSRecord, Infrastructure, ControlPlane, Worker, Cluster. */
export const extensionDefinitions: ResourceDefinition[] = [
  extensionBackupBucketDefinition,
  extensionBackupEntryDefinition,
  dnsRecordDefinition,
  infrastructureDefinition,
  controlPlaneDefinition,
  workerDefinition,
  clusterDefinition,
];
