/** The core (v1) kinds Transplant serves, plus coordination.k8s.io/v1 Lease. */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { leaseResource } from '../coordination/lease.js';
import { configMapResource } from './config-map.js';
import { eventResource } from './event.js';
import { namespaceResource } from './namespace.js';
import { nodeResource } from './node.js';
import { secretResource } from './secret.js';
import { serviceAccountResource } from './service-account.js';

export * from '../coordination/lease.js';
export * from './common.js';
export * from './config-map.js';
export * from './data-maps.js';
export * from './event.js';
export * from './namespace.js';
export * from './node.js';
export * from './secret.js';
export * from './service-account.js';

/** Namespace, Secret, ConfigMap, Event, ServiceAccount, Node and Lease. */
export const coreResources: ResourceDefinition[] = [
  namespaceResource,
  secretResource,
  configMapResource,
  eventResource,
  serviceAccountResource,
  nodeResource,
  leaseResource,
];
