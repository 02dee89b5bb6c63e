/** The core (v1) kinds Transplant serves, plus coordination.k8s.io/v1 Lease: references, readers and validation. */
export * from '../coordination/lease.js';
export * from './config-map.js';
export * from './data-maps.js';
export * from './event.js';
export * from './namespace.js';
export * from './node.js';
export * from './secret.js';
export * from './service-account.js';
