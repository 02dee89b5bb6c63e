/**
 * The druid.gardener.cloud/v1alpha1 kinds each seed's API server serves, and their readers.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { etcdResource } from './etcd.js';
import { etcdCopyBackupsTaskResource } from './etcd-copy-backups-task.js';

export * from './common.js';
export * from './etcd.js';
export * from './etcd-copy-backups-task.js';

/** Etcd, EtcdCopyBackupsTask. */
export const druidResources: ResourceDefinition[] = [etcdResource, etcdCopyBackupsTaskResource];
