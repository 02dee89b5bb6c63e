/** The definitions of the druid.gardener.cloud/v1alpha1 kinds each seed's API server serves. */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { etcdDefinition } from './etcd.js';
import { etcdCopyBackupsTaskDefinition } from './etcd-copy-backups-task.js';

/** Etcd, EtcdCopyBackupsTask. */
export const druidDefinitions: ResourceDefinition[] = [etcdDefinition, etcdCopyBackupsTaskDefinition];
