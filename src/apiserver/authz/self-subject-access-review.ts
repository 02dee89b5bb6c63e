/**
 * `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews` (what `kubectl auth can-i`
 * sends): asks the authorizer about the requesting user and answers in the review's status
 * (k8s registry/authorization/selfsubjectaccessreview).
 */
import { badRequest, FieldError, invalid } from '../../api/errors.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { Authorizer, RequestAttributes, UserInfo } from '../types.js';

export const authorizationGroup = 'authorization.k8s.io';

export interface SelfSubjectAccessReviewStatus {
  allowed: boolean;
  /** Only when an authorizer explicitly denied. */
  denied?: boolean;
  reason?: string;
}

const resourceFields = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'] as const;
const nonResourceFields = ['path', 'verb'] as const;

/**
 * Validates the review (a SelfSubjectAccessReview unless `kind` says which other review asks on
 * `user`'s behalf), authorizes its attributes for `user` and returns the review with its
 * status filled in. Throws 400 for a body that is not an object and 422 (Invalid) for a spec
 * without exactly one of resourceAttributes and nonResourceAttributes.
 */
export async function evaluateSelfSubjectAccessReview(
  authorizer: Authorizer,
  user: UserInfo,
  body: unknown,
  kind = 'SelfSubjectAccessReview',
): Promise<KubeObject & { status: SelfSubjectAccessReviewStatus }> {
  if (!isRecord(body)) throw badRequest('the request body must be a SelfSubjectAccessReview object');
  const spec = isRecord(body.spec) ? body.spec : {};
  const errors = validateSpec(body.spec, spec);
  if (errors.length > 0) throw invalid({ group: authorizationGroup, kind }, '', errors);

  const attrs = attributesFrom(user, spec);
  const result = await authorizer.authorize(attrs);
  const status: SelfSubjectAccessReviewStatus = { allowed: result.decision === 'allow' };
  if (result.decision === 'deny') status.denied = true;
  if (result.reason) status.reason = result.reason;
  return {
    kind,
    apiVersion: `${authorizationGroup}/v1`,
    metadata: isRecord(body.metadata) ? structuredClone(body.metadata) : {},
    spec: structuredClone(spec),
    status,
  };
}

function validateSpec(rawSpec: unknown, spec: Record<string, unknown>): FieldError[] {
  if (rawSpec !== undefined && rawSpec !== null && !isRecord(rawSpec)) {
    return [FieldError.typeInvalid('spec', rawSpec, 'must be an object')];
  }
  const resource = spec.resourceAttributes ?? undefined;
  const nonResource = spec.nonResourceAttributes ?? undefined;
  if (resource !== undefined && nonResource !== undefined) {
    return [
      FieldError.invalid(
        'spec.nonResourceAttributes',
        nonResource,
        'cannot be specified in combination with resourceAttributes',
      ),
    ];
  }
  if (resource === undefined && nonResource === undefined) {
    return [
      FieldError.invalid(
        'spec.resourceAttributes',
        undefined,
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    ];
  }
  return resource !== undefined
    ? stringFields(resource, 'spec.resourceAttributes', resourceFields)
    : stringFields(nonResource, 'spec.nonResourceAttributes', nonResourceFields);
}

function stringFields(value: unknown, path: string, fields: readonly string[]): FieldError[] {
  if (!isRecord(value)) return [FieldError.typeInvalid(path, value, 'must be an object')];
  return fields
    .filter((f) => value[f] !== undefined && typeof value[f] !== 'string')
    .map((f) => FieldError.typeInvalid(`${path}.${f}`, value[f], 'must be a string'));
}

/** k8s 1.31's `fieldSelector.rawSelector` and `labelSelector.rawSelector` of resourceAttributes. */
function rawSelectors(ra: Record<string, unknown>): Pick<RequestAttributes, 'fieldSelector' | 'labelSelector'> {
  const raw = (selector: unknown) =>
    isRecord(selector) && typeof selector.rawSelector === 'string' && selector.rawSelector ? selector.rawSelector : '';
  const fieldSelector = raw(ra.fieldSelector);
  const labelSelector = raw(ra.labelSelector);
  return { ...(fieldSelector ? { fieldSelector } : {}), ...(labelSelector ? { labelSelector } : {}) };
}

/** k8s `ResourceAttributesFrom` / `NonResourceAttributesFrom`; an empty version means any (`*`). */
function attributesFrom(user: UserInfo, spec: Record<string, unknown>): RequestAttributes {
  const base = { user, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', path: '' };
  if (isRecord(spec.resourceAttributes)) {
    const ra = spec.resourceAttributes as Partial<Record<(typeof resourceFields)[number], string>>;
    return {
      ...base,
      resourceRequest: true,
      verb: ra.verb ?? '',
      namespace: ra.namespace ?? '',
      apiGroup: ra.group ?? '',
      apiVersion: ra.version || '*',
      resource: ra.resource ?? '',
      subresource: ra.subresource ?? '',
      name: ra.name ?? '',
      ...rawSelectors(spec.resourceAttributes),
    };
  }
  const na = spec.nonResourceAttributes as Partial<Record<(typeof nonResourceFields)[number], string>>;
  return { ...base, resourceRequest: false, verb: na.verb ?? '', path: na.path ?? '' };
}
