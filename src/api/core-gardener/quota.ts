/**
 * Quota (core.gardener.cloud/v1beta1, namespaced): limits for the shoots of a project or of the
 * credentials a binding names (`spec.scope`: a Project or a Secret/WorkloadIdentity), as resource
 * amounts (`spec.metrics`: `cpu`, `gpu`, `memory`, …) and a maximal lifetime in days. Transplant
 * stores and validates quotas and bindings reference them; it does not enforce them.
 */
import { FieldError } from '../errors.js';
import { aNumber, aString, optional, shape } from '../kind-guard.js';
import { isRecord, type KubeObject } from '../meta.js';
import { parseQuantity } from '../quantity.js';
import { gardenerKind } from './common.js';

/** The scopes Gardener accepts: a Project, or credentials (Secret, WorkloadIdentity). */
export const QUOTA_SCOPES = Object.freeze([
  'core.gardener.cloud/v1beta1.Project',
  'v1.Secret',
  'security.gardener.cloud/v1alpha1.WorkloadIdentity',
] as const);

export interface QuotaSpec {
  scope: { apiVersion: string; kind: string };
  clusterLifetimeDays?: number;
  /** Resource name → quantity. */
  metrics: Record<string, string | number>;
}

export interface Quota extends KubeObject {
  spec: QuotaSpec;
}

/** The guard and reference of Quota. */
export const { is: isQuota, resource: quotaResource } = gardenerKind<Quota>(
  { kind: 'Quota', plural: 'quotas', namespaced: true },
  {
    spec: shape<QuotaSpec>({
      scope: shape({ apiVersion: aString, kind: aString }),
      clusterLifetimeDays: optional(aNumber),
    }),
  },
);

/** The SCOPE cell: `<apiVersion>.<kind>`. */
export function quotaScope(quota: Quota): string {
  return `${quota.spec.scope?.apiVersion ?? ''}.${quota.spec.scope?.kind ?? ''}`;
}

/** Gardener's `ValidateQuotaSpec`: a known scope, a positive lifetime, non-negative metrics. */
export function validateQuota(obj: KubeObject): FieldError[] {
  const spec = obj.spec;
  if (!isRecord(spec)) return [FieldError.required('spec')];
  const errs: FieldError[] = [];
  const scope = spec.scope;
  if (!isRecord(scope)) errs.push(FieldError.required('spec.scope'));
  else {
    const value = `${String(scope.apiVersion)}.${String(scope.kind)}`;
    if (!(QUOTA_SCOPES as readonly string[]).includes(value)) {
      errs.push(FieldError.notSupported('spec.scope', value, QUOTA_SCOPES));
    }
  }
  const days = spec.clusterLifetimeDays;
  if (days !== undefined && days !== null && (typeof days !== 'number' || !Number.isInteger(days) || days < 1)) {
    errs.push(FieldError.invalid('spec.clusterLifetimeDays', days, 'must be a positive integer'));
  }
  if (!isRecord(spec.metrics)) errs.push(FieldError.required('spec.metrics'));
  else {
    for (const [name, value] of Object.entries(spec.metrics)) {
      const amount = parseQuantity(value);
      if (amount === undefined || amount < 0) {
        errs.push(FieldError.invalid(`spec.metrics[${name}]`, value, 'must be a non-negative quantity'));
      }
    }
  }
  return errs;
}

/** On update: the create checks, and the scope never changes. */
export function validateQuotaUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateQuota(obj);
  const scope = (o: KubeObject) => (isRecord(o.spec) ? JSON.stringify(o.spec.scope) : undefined);
  if (scope(old) !== undefined && scope(obj) !== scope(old)) {
    errs.push(FieldError.immutable('spec.scope', isRecord(obj.spec) ? obj.spec.scope : undefined));
  }
  return errs;
}
