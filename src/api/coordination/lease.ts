/**
 * Lease (coordination.k8s.io/v1, namespaced): a heartbeat or a lock. Gardenlets renew one per seed
 * in `gardener-system-seed-lease`; leader election uses them too.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalString } from '../validation.js';

export const COORDINATION_GROUP = 'coordination.k8s.io';

export const leaseResource = resourceRef({
  group: COORDINATION_GROUP,
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
});
/** Where gardenlets keep their seed heartbeat Leases (one per seed, named after it). */
export const SEED_LEASE_NAMESPACE = 'gardener-system-seed-lease';

/** `spec.holderIdentity`, undefined when unset. */
export function leaseHolder(lease: KubeObject): string | undefined {
  const spec = isRecord(lease.spec) ? lease.spec : undefined;
  return typeof spec?.holderIdentity === 'string' ? spec.holderIdentity : undefined;
}

/** `spec.renewTime` (RFC 3339 with microseconds), undefined when unset. */
export function leaseRenewTime(lease: KubeObject): string | undefined {
  const spec = isRecord(lease.spec) ? lease.spec : undefined;
  return typeof spec?.renewTime === 'string' ? spec.renewTime : undefined;
}

function validateInteger(value: unknown, path: string, min: number): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value))
    return [FieldError.typeInvalid(path, value, 'must be an integer')];
  if (value < min)
    return [
      FieldError.invalid(path, value, min === 0 ? 'must be greater than or equal to 0' : 'must be greater than 0'),
    ];
  return [];
}

/** Holder, duration (> 0), transitions (>= 0) and the two timestamps. */
export function validateLeaseSpec(spec: unknown): FieldError[] {
  if (spec === undefined || spec === null) return [];
  if (!isRecord(spec)) return [FieldError.typeInvalid('spec', spec, 'must be an object')];
  return [
    ...optionalString(spec.holderIdentity, 'spec.holderIdentity'),
    ...validateInteger(spec.leaseDurationSeconds, 'spec.leaseDurationSeconds', 1),
    ...validateInteger(spec.leaseTransitions, 'spec.leaseTransitions', 0),
    ...optionalString(spec.acquireTime, 'spec.acquireTime'),
    ...optionalString(spec.renewTime, 'spec.renewTime'),
  ];
}
