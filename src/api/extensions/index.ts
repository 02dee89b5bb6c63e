/**
 * The extensions.gardener.cloud/v1alpha1 kinds each seed's API server serves: interfaces, guards,
 * references, readers and validation.
 */
export * from './backup-bucket.js';
export * from './backup-entry.js';
export * from './cluster.js';
export * from './common.js';
export * from './control-plane.js';
export * from './dns-record.js';
export * from './field-validation.js';
export * from './infrastructure.js';
export * from './worker.js';
