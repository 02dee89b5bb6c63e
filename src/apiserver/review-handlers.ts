/**
 * The reviews of authentication.k8s.io and authorization.k8s.io besides
 * selfsubjectaccessreviews (access-review-handler.ts): created and answered, never stored.
 * `selfsubjectreviews` tells the caller who they are (`kubectl auth whoami`); `tokenreviews`
 * authenticates a bearer token with the server's own authenticator; `subjectaccessreviews` and
 * `localsubjectaccessreviews` ask the authorizer on behalf of another user, the local one
 * within the namespace of its URL; `selfsubjectrulesreviews` lists what the caller may do in a
 * namespace (`kubectl auth can-i --list`).
 */
import { badRequest, FieldError, invalid, methodNotAllowed } from '../api/errors.js';
import { isRecord } from '../api/meta.js';
import type { PolicyRule } from '../api/rbac/types.js';
import { authorizationGroup, evaluateSelfSubjectAccessReview } from './authz/self-subject-access-review.js';
import type { CustomHandler, CustomRequest } from './custom-handler.js';
import type { ExtraResource } from './discovery.js';
import { parseBody } from './http-util.js';
import type { Authenticator, Authorizer, UserInfo } from './types.js';

const authenticationGroup = 'authentication.k8s.io';

/** A review handler: POST only, the body parsed, `answer` computing the review's status. */
function review(
  discovery: ExtraResource,
  answer: (req: CustomRequest, body: Record<string, unknown>) => Promise<Record<string, unknown>>,
): CustomHandler {
  return {
    group: discovery.group,
    version: discovery.version,
    resource: discovery.name,
    discovery,
    async handle(req) {
      if (req.method !== 'POST') throw methodNotAllowed(`only POST (create) is served for ${discovery.name}`);
      const body = req.raw.length > 0 ? parseBody(req.raw, req.contentType) : {};
      if (!isRecord(body)) throw badRequest(`the request body must be a ${discovery.kind} object`);
      return { code: 201, body: await answer(req, body) };
    },
  };
}

function resource(group: string, name: string, kind: string, namespaced = false): ExtraResource {
  return { group, version: 'v1', name, singular: name.replace(/s$/, ''), kind, namespaced, verbs: ['create'] };
}

/** The user as the review APIs show it: username, uid, groups, extra. */
function userInfo(user: UserInfo): Record<string, unknown> {
  return {
    username: user.name,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: [...user.groups],
    ...(user.extra ? { extra: user.extra } : {}),
  };
}

/** `POST /apis/authentication.k8s.io/v1/selfsubjectreviews`: the caller's own identity. */
export const selfSubjectReviewHandler: CustomHandler = review(
  resource(authenticationGroup, 'selfsubjectreviews', 'SelfSubjectReview'),
  async (req, body) => ({
    apiVersion: `${authenticationGroup}/v1`,
    kind: 'SelfSubjectReview',
    metadata: { ...(isRecord(body.metadata) ? body.metadata : {}), creationTimestamp: null },
    status: { userInfo: userInfo(req.user) },
  }),
);

/** `POST /apis/authentication.k8s.io/v1/tokenreviews`: whether a token authenticates here, and as whom. */
export function tokenReviewHandler(authenticator: Authenticator): CustomHandler {
  return review(resource(authenticationGroup, 'tokenreviews', 'TokenReview'), async (_req, body) => {
    const spec = isRecord(body.spec) ? body.spec : {};
    if (typeof spec.token !== 'string' || spec.token === '') {
      throw badRequest('token is required for TokenReview in authentication');
    }
    let user: UserInfo | null = null;
    try {
      user = await authenticator.authenticate({ headers: { authorization: `Bearer ${spec.token}` } });
    } catch {
      user = null;
    }
    return {
      apiVersion: `${authenticationGroup}/v1`,
      kind: 'TokenReview',
      metadata: { ...(isRecord(body.metadata) ? body.metadata : {}), creationTimestamp: null },
      spec,
      status: user ? { authenticated: true, user: userInfo(user) } : { authenticated: false },
    };
  });
}

/** The user a SubjectAccessReview asks about; 422 when it names neither user nor groups. */
function subjectOf(body: Record<string, unknown>, kind: string): UserInfo {
  const spec = isRecord(body.spec) ? body.spec : {};
  const groups = Array.isArray(spec.groups) ? spec.groups.map(String) : [];
  const name = typeof spec.user === 'string' ? spec.user : '';
  if (!name && groups.length === 0) {
    throw invalid({ group: authorizationGroup, kind }, '', [
      FieldError.invalid('spec.user', '', 'at least one of user or group must be specified'),
    ]);
  }
  return { name, groups, ...(typeof spec.uid === 'string' ? { uid: spec.uid } : {}) };
}

/** `POST /apis/authorization.k8s.io/v1/subjectaccessreviews`: may that user do that? */
export function subjectAccessReviewHandler(authorizer: Authorizer): CustomHandler {
  const kind = 'SubjectAccessReview';
  return review(resource(authorizationGroup, 'subjectaccessreviews', kind), async (_req, body) => {
    const answered = await evaluateSelfSubjectAccessReview(authorizer, subjectOf(body, kind), body, kind);
    return answered as Record<string, unknown>;
  });
}

/** `POST …/namespaces/<ns>/localsubjectaccessreviews`: the same, inside the URL's namespace. */
export function localSubjectAccessReviewHandler(authorizer: Authorizer): CustomHandler {
  const kind = 'LocalSubjectAccessReview';
  return review(resource(authorizationGroup, 'localsubjectaccessreviews', kind, true), async (req, body) => {
    const namespace = req.info.namespace;
    const spec = isRecord(body.spec) ? body.spec : {};
    const attributes = isRecord(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
    if (!attributes) {
      throw invalid({ group: authorizationGroup, kind }, '', [
        FieldError.required('spec.resourceAttributes', 'a local review is about resources of its namespace'),
      ]);
    }
    if (attributes.namespace === undefined || attributes.namespace === '') attributes.namespace = namespace;
    if (attributes.namespace !== namespace) {
      throw invalid({ group: authorizationGroup, kind }, '', [
        FieldError.invalid('spec.resourceAttributes.namespace', attributes.namespace, 'must match metadata.namespace'),
      ]);
    }
    const answered = await evaluateSelfSubjectAccessReview(authorizer, subjectOf(body, kind), body, kind);
    answered.metadata = { ...answered.metadata, namespace };
    return answered as Record<string, unknown>;
  });
}

/** `POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews`: the caller's rules in `spec.namespace`. */
export function selfSubjectRulesReviewHandler(
  rulesFor: (user: UserInfo, namespace: string) => PolicyRule[],
): CustomHandler {
  const kind = 'SelfSubjectRulesReview';
  return review(resource(authorizationGroup, 'selfsubjectrulesreviews', kind), async (req, body) => {
    const spec = isRecord(body.spec) ? body.spec : {};
    const namespace = typeof spec.namespace === 'string' ? spec.namespace : '';
    const rules = rulesFor(req.user, namespace);
    return {
      apiVersion: `${authorizationGroup}/v1`,
      kind,
      metadata: { creationTimestamp: null },
      spec: { namespace },
      status: {
        resourceRules: rules
          .filter((r) => (r.resources ?? []).length > 0)
          .map(({ verbs, apiGroups, resources, resourceNames }) => ({
            verbs,
            apiGroups: apiGroups ?? [],
            resources,
            ...(resourceNames?.length ? { resourceNames } : {}),
          })),
        nonResourceRules: rules
          .filter((r) => (r.nonResourceURLs ?? []).length > 0)
          .map(({ verbs, nonResourceURLs }) => ({ verbs, nonResourceURLs })),
        incomplete: false,
      },
    };
  });
}
