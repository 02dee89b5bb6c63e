/** Cluster's definition: Gardener's strategy (no status; the generation grows with every spec change), AGE only. */
import { clusterResource, validateClusterSpec } from '../../api/extensions/cluster.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../columns.js';
import { extensionSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy } from '../strategies.js';

export const clusterDefinition: ResourceDefinition = {
  ...clusterResource,
  ...extensionSchemas.Cluster,
  listKind: 'ClusterList',
  singular: 'cluster',
  strategy: gardenerStrategy({
    validate: (obj) => validateClusterSpec(obj.spec),
    validateUpdate: (obj) => validateClusterSpec(obj.spec),
  }),
  hasStatus: false,
  columns: [ageColumn],
};
