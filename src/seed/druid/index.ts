/**
 * The seed's druid: the Etcd controller (one real etcd server per Etcd object) and the helpers
 * `transplant down` and the gardenlet use to find and stop those servers.
 */
export * from './etcd-config.js';
export * from './etcd-controller.js';
export * from './etcd-members.js';
export * from './etcd-processes.js';
export * from './etcd-state.js';
export * from './etcd-status.js';
export * from './etcd-tls.js';
