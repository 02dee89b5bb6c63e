/** The definitions of the core (v1) kinds every API server here serves, plus coordination.k8s.io/v1 Lease. */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { leaseDefinition } from '../coordination/lease.js';
import { configMapDefinition } from './config-map.js';
import { eventDefinition } from './event.js';
import { namespaceDefinition } from './namespace.js';
import { nodeDefinition } from './node.js';
import { secretDefinition } from './secret.js';
import { serviceAccountDefinition } from './service-account.js';

/** Namespace, Secret, ConfigMap, Event, ServiceAccount, Node and Lease. */
export const coreDefinitions: ResourceDefinition[] = [
  namespaceDefinition,
  secretDefinition,
  configMapDefinition,
  eventDefinition,
  serviceAccountDefinition,
  nodeDefinition,
  leaseDefinition,
];
