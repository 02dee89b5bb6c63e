/**
 * Cluster (extensions.gardener.cloud/v1alpha1, cluster-scoped): the shoot, its seed and its
 * cloud profile as extension controllers see them, named after the control-plane namespace
 * (`shoot--<project>--<shoot>`). The three fields are raw objects (RawExtensions) kept as sent;
 * `cloudProfile` and `shoot` are required. The kind has no status; the generation grows with
 * every spec change.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject, specOf } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalObject } from '../validation.js';
import { EXTENSIONS_GROUP, EXTENSIONS_VERSION } from './common.js';

export const clusterResource = resourceRef({
  group: EXTENSIONS_GROUP,
  version: EXTENSIONS_VERSION,
  kind: 'Cluster',
  plural: 'clusters',
  namespaced: false,
});

function rawObject(obj: KubeObject, field: 'cloudProfile' | 'seed' | 'shoot'): Record<string, unknown> | undefined {
  const value = specOf(obj)?.[field];
  return isRecord(value) ? value : undefined;
}

/** `spec.shoot`: the Shoot as the gardenlet last wrote it. */
export function clusterShoot(cluster: KubeObject): Record<string, unknown> | undefined {
  return rawObject(cluster, 'shoot');
}

/** `spec.seed`: the Seed hosting the control plane. */
export function clusterSeed(cluster: KubeObject): Record<string, unknown> | undefined {
  return rawObject(cluster, 'seed');
}

/** `spec.cloudProfile`. */
export function clusterCloudProfile(cluster: KubeObject): Record<string, unknown> | undefined {
  return rawObject(cluster, 'cloudProfile');
}

/** Validates the Cluster spec: `cloudProfile` and `shoot` objects, `seed` an object when set. */
export function validateClusterSpec(spec: unknown): FieldError[] {
  if (!isRecord(spec)) return [FieldError.required('spec')];
  const errs: FieldError[] = [];
  for (const field of ['cloudProfile', 'shoot'] as const) {
    if (spec[field] === undefined || spec[field] === null) errs.push(FieldError.required(`spec.${field}`));
    else errs.push(...optionalObject(spec[field], `spec.${field}`));
  }
  errs.push(...optionalObject(spec.seed, 'spec.seed'));
  return errs;
}
