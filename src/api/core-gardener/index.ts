/**
 * The core.gardener.cloud/v1beta1 kinds Transplant serves: their interfaces, guards and references,
 * the readers other modules use, and validation.
 */
export * from './backup-bucket.js';
export * from './backup-entry.js';
export * from './cloud-profile.js';
export * from './common.js';
export * from './conditions.js';
export * from './controller-installation.js';
export * from './controller-registration.js';
export * from './etcd-peer-reachability.js';
export * from './internal-domain.js';
export * from './project.js';
export * from './quota.js';
export * from './required-extensions.js';
export * from './secret-binding.js';
export * from './seed.js';
export * from './seed-readiness.js';
export * from './shoot.js';
export * from './shoot-state.js';
