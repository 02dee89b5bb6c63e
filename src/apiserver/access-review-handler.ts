/**
 * Serves `selfsubjectaccessreviews` (authorization.k8s.io/v1), what `kubectl auth can-i` asks.
 * kubectl sends it as Kubernetes protobuf; other clients send JSON or YAML.
 */

import { methodNotAllowed } from '../api/errors.js';
import { decodeSelfSubjectAccessReview, kubernetesProtobufContentType } from './authz/access-review-protobuf.js';
import { authorizationGroup, evaluateSelfSubjectAccessReview } from './authz/self-subject-access-review.js';
import { parseBody } from './http-util.js';
import type { CustomHandler } from './server.js';
import type { Authorizer } from './types.js';

export function selfSubjectAccessReviewHandler(authorizer: Authorizer): CustomHandler {
  return {
    group: authorizationGroup,
    version: 'v1',
    resource: 'selfsubjectaccessreviews',
    discovery: {
      group: authorizationGroup,
      version: 'v1',
      name: 'selfsubjectaccessreviews',
      singular: 'selfsubjectaccessreview',
      kind: 'SelfSubjectAccessReview',
      namespaced: false,
      verbs: ['create'],
    },
    async handle(req) {
      if (req.info.verb !== 'create')
        throw methodNotAllowed('only POST (create) is served for selfsubjectaccessreviews');
      const media = (req.contentType ?? '').split(';')[0]!.trim();
      const body =
        media === kubernetesProtobufContentType
          ? decodeSelfSubjectAccessReview(req.raw)
          : parseBody(req.raw, req.contentType);
      return { code: 201, body: await evaluateSelfSubjectAccessReview(authorizer, req.user, body) };
    },
  };
}
