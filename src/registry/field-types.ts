/**
 * Server-side apply's list types (`ResourceDefinition.fieldTypes`) that several kinds share,
 * taken from the kinds' Go types: a list with `patchStrategy:"merge"` and a `patchMergeKey` (or
 * `+listType=map`) is a list map keyed by that field; every other list is atomic, which needs no
 * entry. `metadata.finalizers` and `metadata.ownerReferences` hold for every kind already
 * (src/apiserver/fieldmanager/schema.ts).
 */
import type { FieldTypes } from '../apiserver/types.js';

/** Gardener's and Kubernetes' conditions: one item per condition type. */
export const conditionsByType: FieldTypes = Object.freeze({ 'status.conditions': { mapKeys: ['type'] } });

/** An extension kind's status (extensionsv1alpha1.DefaultStatus): conditions by type, resources by name. */
export const extensionStatusFieldTypes: FieldTypes = Object.freeze({
  ...conditionsByType,
  'status.resources': { mapKeys: ['name'] },
});

/** RBAC's rules and subjects are atomic (`+listType=atomic`): a role is applied as a whole. */
export const rbacFieldTypes: FieldTypes = Object.freeze({
  rules: 'atomic',
  subjects: 'atomic',
  'aggregationRule.clusterRoleSelectors': 'atomic',
});
