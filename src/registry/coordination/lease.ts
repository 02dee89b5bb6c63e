/** Lease's definition: spec validation only, a HOLDER column. */
import { leaseHolder, leaseResource, validateLeaseSpec } from '../../api/coordination/lease.js';
import type { ResourceDefinition } from '../../apiserver/types.js';

export const leaseDefinition: ResourceDefinition = {
  ...leaseResource,
  listKind: 'LeaseList',
  singular: 'lease',
  strategy: {
    validate: (obj) => validateLeaseSpec(obj.spec),
    validateUpdate: (obj) => validateLeaseSpec(obj.spec),
  },
  hasStatus: false,
  columns: [
    { name: 'HOLDER', type: 'string', description: 'spec.holderIdentity', cell: (obj) => leaseHolder(obj) ?? '' },
  ],
};
