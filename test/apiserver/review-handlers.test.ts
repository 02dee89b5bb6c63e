/**
 * The review handlers (authentication.k8s.io and authorization.k8s.io) answering as Kubernetes
 * does: who the caller is, whether a token authenticates, what another user may do, and the
 * caller's rules in a namespace; malformed reviews get a clear Status.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta.js';
import { TokenAuthenticator, tokenCredentialId } from '../../src/apiserver/authn/token-authenticator.js';
import { hashToken } from '../../src/apiserver/authn/token-file.js';
import { RbacAuthorizer } from '../../src/apiserver/authz/rbac-authorizer.js';
import { InMemoryRbacSource } from '../../src/apiserver/authz/rbac-source.js';
import type { CustomHandler, CustomRequest } from '../../src/apiserver/custom-handler.js';
import {
  localSubjectAccessReviewHandler,
  selfSubjectReviewHandler,
  selfSubjectRulesReviewHandler,
  subjectAccessReviewHandler,
  tokenReviewHandler,
} from '../../src/apiserver/review-handlers.js';
import type { UserInfo } from '../../src/apiserver/types.js';

const jane: UserInfo = { name: 'jane', groups: ['devs', 'system:authenticated'] };
const rbacGroup = 'rbac.authorization.k8s.io';

const source = new InMemoryRbacSource();
source.upsert('Role', {
  apiVersion: `${rbacGroup}/v1`,
  kind: 'Role',
  metadata: { name: 'reader', namespace: 'dev' },
  rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
} as KubeObject);
source.upsert('RoleBinding', {
  apiVersion: `${rbacGroup}/v1`,
  kind: 'RoleBinding',
  metadata: { name: 'devs-read', namespace: 'dev' },
  roleRef: { apiGroup: rbacGroup, kind: 'Role', name: 'reader' },
  subjects: [{ apiGroup: rbacGroup, kind: 'Group', name: 'devs' }],
} as KubeObject);
const rbac = new RbacAuthorizer(source);

// biome-ignore lint/suspicious/noExplicitAny: the answers are JSON the assertions read.
type Json = Record<string, any>;

async function post(handler: CustomHandler, body: unknown, namespace = ''): Promise<Json> {
  const request = {
    method: 'POST',
    info: { namespace, name: '', subresource: '', subpath: '' },
    query: new URLSearchParams(),
    user: jane,
    raw: Buffer.from(JSON.stringify(body)),
    contentType: 'application/json',
  } as unknown as CustomRequest;
  const answer = (await handler.handle(request)) as { code: number; body: Json };
  assert.equal(answer.code, 201);
  return answer.body;
}

describe('review handlers', () => {
  it('selfsubjectreviews: the caller as kubectl auth whoami prints it', async () => {
    const review = await post(selfSubjectReviewHandler, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    assert.deepEqual(review.status, { userInfo: { username: 'jane', groups: ['devs', 'system:authenticated'] } });
  });

  it('tokenreviews: a known token authenticates as its user, another does not, none is a 400', async () => {
    const tokens = new TokenAuthenticator([{ sha256: hashToken('s3cret'), user: { name: 'robot', groups: ['bots'] } }]);
    const handler = tokenReviewHandler(tokens);
    const good = await post(handler, { spec: { token: 's3cret' } });
    assert.deepEqual(good.status, {
      authenticated: true,
      user: {
        username: 'robot',
        groups: ['bots', 'system:authenticated'],
        // As Kubernetes 1.29+ answers: which credential, by its digest, never the token.
        extra: { 'authentication.kubernetes.io/credential-id': [tokenCredentialId(hashToken('s3cret'))] },
      },
    });
    assert.deepEqual((await post(handler, { spec: { token: 'wrong' } })).status, { authenticated: false });
    await assert.rejects(post(handler, { spec: {} }), /token is required/);
  });

  it('subjectaccessreviews and localsubjectaccessreviews ask about another user; neither user nor group is a 422', async () => {
    const attributes = { namespace: 'dev', verb: 'list', resource: 'pods' };
    const sar = await post(subjectAccessReviewHandler(rbac), {
      spec: { groups: ['devs'], resourceAttributes: attributes },
    });
    assert.equal(sar.kind, 'SubjectAccessReview');
    assert.equal(sar.status.allowed, true);
    const denied = await post(subjectAccessReviewHandler(rbac), {
      spec: { user: 'bob', resourceAttributes: attributes },
    });
    assert.equal(denied.status.allowed, false);
    await assert.rejects(
      post(subjectAccessReviewHandler(rbac), { spec: { resourceAttributes: attributes } }),
      /at least one of user or group/,
    );
    const local = await post(
      localSubjectAccessReviewHandler(rbac),
      { spec: { groups: ['devs'], resourceAttributes: { verb: 'get', resource: 'pods' } } },
      'dev',
    );
    assert.equal(local.status.allowed, true);
    assert.equal(local.metadata.namespace, 'dev');
    await assert.rejects(
      post(
        localSubjectAccessReviewHandler(rbac),
        { spec: { groups: ['devs'], resourceAttributes: { namespace: 'prod', verb: 'get', resource: 'pods' } } },
        'dev',
      ),
      /must match metadata.namespace/,
    );
  });

  it('selfsubjectrulesreviews: the caller’s rules in the namespace', async () => {
    const review = await post(
      selfSubjectRulesReviewHandler((user, namespace) => rbac.rulesFor(user, namespace)),
      { spec: { namespace: 'dev' } },
    );
    assert.deepEqual(review.status, {
      resourceRules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
      nonResourceRules: [],
      incomplete: false,
    });
    const elsewhere = await post(
      selfSubjectRulesReviewHandler((u, n) => rbac.rulesFor(u, n)),
      { spec: { namespace: 'prod' } },
    );
    assert.deepEqual(elsewhere.status.resourceRules, []);
  });
});
