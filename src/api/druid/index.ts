/**
 * The druid.gardener.cloud/v1alpha1 kinds each seed's API server serves: interfaces, guards,
 * references, readers and validation.
 */
export * from './common.js';
export * from './etcd.js';
export * from './etcd-copy-backups-task.js';
