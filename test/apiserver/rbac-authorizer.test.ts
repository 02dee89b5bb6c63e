import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { forbidden, isStatusError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { RbacKind } from '../../src/api/rbac/types.js';
import { TokenAuthenticator } from '../../src/apiserver/authn/token-authenticator.js';
import { hashToken } from '../../src/apiserver/authn/token-file.js';
import {
  decodeSelfSubjectAccessReview,
  kubernetesProtobufContentType,
} from '../../src/apiserver/authz/access-review-protobuf.js';
import { forbiddenMessage } from '../../src/apiserver/authz/forbidden-message.js';
import { RbacAuthorizer } from '../../src/apiserver/authz/rbac-authorizer.js';
import { InMemoryRbacSource } from '../../src/apiserver/authz/rbac-source.js';
import { evaluateSelfSubjectAccessReview } from '../../src/apiserver/authz/self-subject-access-review.js';
import { SuperuserAuthorizer } from '../../src/apiserver/authz/superuser-authorizer.js';
import { UnionAuthorizer } from '../../src/apiserver/authz/union-authorizer.js';
import { buildKubeconfig, writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { ensureServingPki } from '../../src/apiserver/pki/serving-pki.js';
import type { Authorizer, RequestAttributes, UserInfo } from '../../src/apiserver/types.js';

const run = promisify(execFile);
const kubectl = '/usr/bin/kubectl';
const rbacGroup = 'rbac.authorization.k8s.io';
const gardener = 'core.gardener.cloud';

function user(name: string, ...groups: string[]): UserInfo {
  return { name, groups: [...groups, 'system:authenticated'] };
}

function resource(
  who: UserInfo,
  verb: string,
  namespace: string,
  group: string,
  res: string,
  name = '',
): RequestAttributes {
  const [resourceName, subresource = ''] = res.split('/') as [string, string?];
  return {
    user: who,
    verb,
    resourceRequest: true,
    apiGroup: group,
    apiVersion: 'v1beta1',
    namespace,
    resource: resourceName,
    subresource,
    name,
    path: '',
  };
}

function nonResource(who: UserInfo, verb: string, path: string): RequestAttributes {
  return {
    user: who,
    verb,
    resourceRequest: false,
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    path,
  };
}

function obj(kind: RbacKind, name: string, namespace: string | undefined, fields: Record<string, unknown>): KubeObject {
  return {
    apiVersion: `${rbacGroup}/v1`,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    ...fields,
  };
}

function binding(
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  namespace: string | undefined,
  roleRef: { kind: string; name: string },
  subjects: Record<string, string>[],
): KubeObject {
  return obj(kind, name, namespace, { roleRef: { apiGroup: rbacGroup, ...roleRef }, subjects });
}

const userSubject = (name: string) => ({ kind: 'User', apiGroup: rbacGroup, name });
const groupSubject = (name: string) => ({ kind: 'Group', apiGroup: rbacGroup, name });

function fixture(): InMemoryRbacSource {
  const source = new InMemoryRbacSource();
  const clusterRole = (name: string, rules: unknown[]) =>
    source.upsert('ClusterRole', obj('ClusterRole', name, undefined, { rules }));
  clusterRole('shoot-binder', [{ apiGroups: [gardener], resources: ['shoots/binding'], verbs: ['update', 'patch'] }]);
  clusterRole('shoot-viewer', [{ apiGroups: [gardener], resources: ['shoots'], verbs: ['get', 'list', 'watch'] }]);
  clusterRole('status-writer', [{ apiGroups: ['*'], resources: ['*/status'], verbs: ['update'] }]);
  clusterRole('kubeconfig-reader', [
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['kubeconfig'], verbs: ['get'] },
  ]);
  clusterRole('health', [{ nonResourceURLs: ['/healthz', '/logs/*'], verbs: ['get'] }]);
  clusterRole('everything', [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ]);
  source.upsert(
    'Role',
    obj('Role', 'project-viewer', 'garden-dev', {
      rules: [{ apiGroups: [gardener], resources: ['shoots'], verbs: ['get', 'list'] }],
    }),
  );
  const crb = (name: string, role: string, subjects: Record<string, string>[]) =>
    source.upsert(
      'ClusterRoleBinding',
      binding('ClusterRoleBinding', name, undefined, { kind: 'ClusterRole', name: role }, subjects),
    );
  crb('health-all', 'health', [groupSubject('system:authenticated')]);
  crb('binder', 'shoot-binder', [userSubject('scheduler')]);
  crb('admins', 'everything', [groupSubject('admins')]);
  crb('status', 'status-writer', [{ kind: 'ServiceAccount', name: 'controller', namespace: 'kube-system' }]);
  // A ServiceAccount without namespace never matches in a cluster binding.
  crb('sa-no-ns', 'everything', [{ kind: 'ServiceAccount', name: 'controller' }]);
  const rb = (ns: string, name: string, roleRef: { kind: string; name: string }, subjects: Record<string, string>[]) =>
    source.upsert('RoleBinding', binding('RoleBinding', name, ns, roleRef, subjects));
  rb('garden-dev', 'dangling', { kind: 'Role', name: 'missing' }, [userSubject('jane')]);
  rb('garden-dev', 'jane-viewer', { kind: 'Role', name: 'project-viewer' }, [
    groupSubject('nobody'),
    userSubject('jane'),
  ]);
  rb('garden-dev', 'robot-kubeconfig', { kind: 'ClusterRole', name: 'kubeconfig-reader' }, [
    { kind: 'ServiceAccount', name: 'robot' },
  ]);
  rb('garden-other', 'jane-other', { kind: 'ClusterRole', name: 'shoot-viewer' }, [userSubject('jane')]);
  // A RoleBinding referring to a Role of another namespace grants nothing: roles resolve in the binding's namespace.
  rb('garden-prod', 'cross', { kind: 'Role', name: 'project-viewer' }, [userSubject('jane')]);
  return source;
}

const jane = user('jane', 'devs');
const scheduler = user('scheduler');
const admin = user('root', 'admins');
const controller = user('system:serviceaccount:kube-system:controller', 'system:serviceaccounts');
const robot = user('system:serviceaccount:garden-dev:robot');
const foreignRobot = user('system:serviceaccount:garden-prod:robot');

const allowedBy = (source: string) => `RBAC: allowed by ${source}`;

const cases: [string, RequestAttributes, string | null][] = [
  [
    'Role via RoleBinding in its namespace',
    resource(jane, 'get', 'garden-dev', gardener, 'shoots', 'a'),
    allowedBy('RoleBinding "jane-viewer/garden-dev" of Role "project-viewer" to User "jane"'),
  ],
  ['verb not in the rule', resource(jane, 'update', 'garden-dev', gardener, 'shoots', 'a'), null],
  [
    'plain resource does not match a subresource',
    resource(jane, 'get', 'garden-dev', gardener, 'shoots/status', 'a'),
    null,
  ],
  ['namespaced grant does not apply cluster-wide', resource(jane, 'list', '', gardener, 'shoots'), null],
  ['wrong API group', resource(jane, 'get', 'garden-dev', 'apps', 'shoots', 'a'), null],
  [
    'ClusterRole via RoleBinding, only in that namespace',
    resource(jane, 'watch', 'garden-other', gardener, 'shoots'),
    allowedBy('RoleBinding "jane-other/garden-other" of ClusterRole "shoot-viewer" to User "jane"'),
  ],
  ['RoleBinding to a Role of another namespace', resource(jane, 'get', 'garden-prod', gardener, 'shoots', 'a'), null],
  [
    'exact resource/subresource rule',
    resource(scheduler, 'update', 'garden-dev', gardener, 'shoots/binding', 'a'),
    allowedBy('ClusterRoleBinding "binder" of ClusterRole "shoot-binder" to User "scheduler"'),
  ],
  [
    'resource/subresource rule does not grant the resource',
    resource(scheduler, 'update', 'garden-dev', gardener, 'shoots', 'a'),
    null,
  ],
  [
    'resource/subresource rule does not grant another subresource',
    resource(scheduler, 'update', 'garden-dev', gardener, 'shoots/status', 'a'),
    null,
  ],
  [
    '*/status matches any resource status, namespaced',
    resource(controller, 'update', 'garden-dev', gardener, 'shoots/status', 'a'),
    allowedBy('ClusterRoleBinding "status" of ClusterRole "status-writer" to ServiceAccount "controller/kube-system"'),
  ],
  [
    '*/status matches cluster-scoped too',
    resource(controller, 'update', '', gardener, 'seeds/status', 's'),
    allowedBy('ClusterRoleBinding "status" of ClusterRole "status-writer" to ServiceAccount "controller/kube-system"'),
  ],
  [
    '*/status does not match the main resource',
    resource(controller, 'update', 'garden-dev', gardener, 'shoots', 'a'),
    null,
  ],
  [
    '*/status does not match another subresource',
    resource(controller, 'update', 'garden-dev', gardener, 'shoots/binding', 'a'),
    null,
  ],
  [
    'resourceNames: the named object',
    resource(robot, 'get', 'garden-dev', '', 'secrets', 'kubeconfig'),
    allowedBy(
      'RoleBinding "robot-kubeconfig/garden-dev" of ClusterRole "kubeconfig-reader" to ServiceAccount "robot/garden-dev"',
    ),
  ],
  ['resourceNames: another object', resource(robot, 'get', 'garden-dev', '', 'secrets', 'other'), null],
  ['resourceNames: no name (list)', resource(robot, 'get', 'garden-dev', '', 'secrets'), null],
  [
    'ServiceAccount subject defaults to the binding namespace',
    resource(foreignRobot, 'get', 'garden-dev', '', 'secrets', 'kubeconfig'),
    null,
  ],
  [
    'non-resource exact path via group',
    nonResource(jane, 'get', '/healthz'),
    allowedBy('ClusterRoleBinding "health-all" of ClusterRole "health" to Group "system:authenticated"'),
  ],
  [
    'non-resource prefix path',
    nonResource(jane, 'get', '/logs/kube-apiserver.log'),
    allowedBy('ClusterRoleBinding "health-all" of ClusterRole "health" to Group "system:authenticated"'),
  ],
  ['non-resource prefix needs the trailing part', nonResource(jane, 'get', '/logs'), null],
  ['non-resource verb', nonResource(jane, 'post', '/healthz'), null],
  ['non-resource rules do not grant resources', resource(jane, 'get', '', '', 'healthz'), null],
  ['resource rules do not grant paths', nonResource(scheduler, 'update', '/apis'), null],
  [
    'wildcards grant everything',
    resource(admin, 'deletecollection', 'garden-dev', 'whatever.io', 'things/scale'),
    allowedBy('ClusterRoleBinding "admins" of ClusterRole "everything" to Group "admins"'),
  ],
  [
    'wildcard non-resource URL',
    nonResource(admin, 'delete', '/anything'),
    allowedBy('ClusterRoleBinding "admins" of ClusterRole "everything" to Group "admins"'),
  ],
];

describe('RbacAuthorizer', () => {
  const authorizer = new RbacAuthorizer(fixture());
  for (const [title, attrs, reason] of cases) {
    it(`${reason ? 'allows' : 'no opinion'}: ${title}`, async () => {
      const result = await authorizer.authorize(attrs);
      assert.deepEqual(result, reason ? { decision: 'allow', reason } : { decision: 'noOpinion', reason: '' });
    });
  }

  it('follows upserts and removals of roles and bindings', async () => {
    const source = fixture();
    const authz = new RbacAuthorizer(source);
    const request = resource(jane, 'get', 'garden-dev', gardener, 'shoots', 'a');
    assert.equal((await authz.authorize(request)).decision, 'allow');
    source.remove('RoleBinding', 'garden-dev', 'jane-viewer');
    assert.equal((await authz.authorize(request)).decision, 'noOpinion');
    source.upsert(
      'Role',
      obj('Role', 'missing', 'garden-dev', { rules: [{ apiGroups: ['*'], resources: ['shoots'], verbs: ['get'] }] }),
    );
    assert.equal(
      (await authz.authorize(request)).reason,
      allowedBy('RoleBinding "dangling/garden-dev" of Role "missing" to User "jane"'),
    );
    source.upsert('Role', obj('Role', 'missing', 'garden-dev', { rules: [] }));
    assert.equal((await authz.authorize(request)).decision, 'noOpinion');
    source.replace('ClusterRoleBinding', []);
    assert.equal((await authz.authorize(resource(admin, 'get', '', '', 'nodes'))).decision, 'noOpinion');
  });

  it('copies objects on upsert', async () => {
    const source = new InMemoryRbacSource();
    const role = obj('ClusterRole', 'r', undefined, {
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    });
    source.upsert('ClusterRole', role);
    (role.rules as { verbs: string[] }[])[0]!.verbs = ['*'];
    assert.deepEqual(source.getClusterRole('r')?.rules?.[0]?.verbs, ['get']);
  });
});

describe('UnionAuthorizer and SuperuserAuthorizer', () => {
  const fixed = (decision: 'allow' | 'deny' | 'noOpinion', reason: string): Authorizer => ({
    authorize: async () => ({ decision, reason }),
  });
  const request = resource(jane, 'get', 'garden-dev', gardener, 'shoots');

  it('first allow or deny wins, noOpinion passes on with its reason', async () => {
    assert.deepEqual(
      await new UnionAuthorizer(fixed('noOpinion', 'a'), fixed('deny', 'no'), fixed('allow', 'yes')).authorize(request),
      {
        decision: 'deny',
        reason: 'no',
      },
    );
    assert.deepEqual(await new UnionAuthorizer(fixed('noOpinion', ''), fixed('allow', 'yes')).authorize(request), {
      decision: 'allow',
      reason: 'yes',
    });
    assert.deepEqual(
      await new UnionAuthorizer(fixed('noOpinion', 'a'), fixed('noOpinion', ''), fixed('noOpinion', 'b')).authorize(
        request,
      ),
      {
        decision: 'noOpinion',
        reason: 'a\nb',
      },
    );
  });

  it('an authorizer that throws is skipped; the error surfaces only without a decision', async () => {
    const broken: Authorizer = { authorize: async () => Promise.reject(new Error('cache not synced')) };
    assert.equal((await new UnionAuthorizer(broken, fixed('allow', '')).authorize(request)).decision, 'allow');
    await assert.rejects(new UnionAuthorizer(broken, fixed('noOpinion', '')).authorize(request), /cache not synced/);
  });

  it('system:masters may do anything; others get no opinion', async () => {
    const superuser = new SuperuserAuthorizer();
    assert.equal(
      (await superuser.authorize(resource(user('root', 'system:masters'), 'delete', '', '', 'namespaces'))).decision,
      'allow',
    );
    assert.equal(
      (await superuser.authorize(nonResource(user('root', 'system:masters'), 'get', '/metrics'))).decision,
      'allow',
    );
    assert.equal((await superuser.authorize(request)).decision, 'noOpinion');
    const union = new UnionAuthorizer(superuser, new RbacAuthorizer(fixture()));
    assert.equal((await union.authorize(resource(jane, 'get', 'garden-dev', gardener, 'shoots'))).decision, 'allow');
    assert.equal(
      (await union.authorize(resource(jane, 'delete', 'garden-dev', gardener, 'shoots'))).decision,
      'noOpinion',
    );
  });
});

describe('forbiddenMessage', () => {
  it('words denials as the k8s apiserver does', () => {
    assert.equal(
      forbiddenMessage(resource(jane, 'update', 'garden-dev', gardener, 'shoots/binding', 'a')),
      'User "jane" cannot update resource "shoots/binding" in API group "core.gardener.cloud" in the namespace "garden-dev"',
    );
    assert.equal(
      forbiddenMessage(resource(jane, 'list', '', '', 'namespaces')),
      'User "jane" cannot list resource "namespaces" in API group "" at the cluster scope',
    );
    assert.equal(forbiddenMessage(nonResource(jane, 'get', '/foo')), 'User "jane" cannot get path "/foo"');
    assert.equal(forbiddenMessage(nonResource(jane, 'get', '/<x>&')), 'User "jane" cannot get path "/&lt;x&gt;&amp;"');
    const attrs = resource(jane, 'update', 'garden-dev', gardener, 'shoots/binding', 'a');
    const err = forbidden({ group: gardener, resource: 'shoots' }, 'a', forbiddenMessage(attrs));
    assert.equal(
      err.message,
      'shoots.core.gardener.cloud "a" is forbidden: User "jane" cannot update resource "shoots/binding" in API group "core.gardener.cloud" in the namespace "garden-dev"',
    );
  });
});

describe('SelfSubjectAccessReview', () => {
  const authorizer = new RbacAuthorizer(fixture());

  it('answers allowed with the RBAC reason', async () => {
    const body = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: {
        resourceAttributes: {
          namespace: 'garden-dev',
          verb: 'update',
          group: gardener,
          resource: 'shoots',
          subresource: 'binding',
        },
      },
    };
    const review = await evaluateSelfSubjectAccessReview(authorizer, scheduler, body);
    assert.equal(review.kind, 'SelfSubjectAccessReview');
    assert.equal(review.apiVersion, 'authorization.k8s.io/v1');
    assert.deepEqual(review.spec, body.spec);
    assert.deepEqual(review.status, {
      allowed: true,
      reason: allowedBy('ClusterRoleBinding "binder" of ClusterRole "shoot-binder" to User "scheduler"'),
    });
    assert.deepEqual((await evaluateSelfSubjectAccessReview(authorizer, jane, body)).status, { allowed: false });
  });

  it('evaluates non-resource attributes and reports explicit denials', async () => {
    const body = { spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } } };
    assert.equal((await evaluateSelfSubjectAccessReview(authorizer, jane, body)).status.allowed, true);
    const deny: Authorizer = { authorize: async () => ({ decision: 'deny', reason: 'blocked' }) };
    assert.deepEqual((await evaluateSelfSubjectAccessReview(deny, jane, body)).status, {
      allowed: false,
      denied: true,
      reason: 'blocked',
    });
  });

  it('an empty version means any version', async () => {
    let seen: RequestAttributes | undefined;
    const spy: Authorizer = {
      authorize: async (attrs) => {
        seen = attrs;
        return { decision: 'noOpinion', reason: '' };
      },
    };
    await evaluateSelfSubjectAccessReview(spy, jane, {
      spec: { resourceAttributes: { verb: 'get', resource: 'pods' } },
    });
    assert.equal(seen?.apiVersion, '*');
    assert.equal(seen?.resourceRequest, true);
    assert.equal(seen?.namespace, '');
  });

  for (const [title, body, field, message] of [
    ['missing spec', { kind: 'SelfSubjectAccessReview' }, 'spec.resourceAttributes', 'exactly one of'],
    ['empty spec', { spec: {} }, 'spec.resourceAttributes', 'exactly one of'],
    [
      'both attribute kinds',
      { spec: { resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/', verb: 'get' } } },
      'spec.nonResourceAttributes',
      'cannot be specified in combination',
    ],
    [
      'non-string attribute',
      { spec: { resourceAttributes: { verb: 7 } } },
      'spec.resourceAttributes.verb',
      'must be a string',
    ],
  ] as const) {
    it(`rejects ${title} as Invalid`, async () => {
      await assert.rejects(evaluateSelfSubjectAccessReview(authorizer, jane, body), (err: unknown) => {
        assert.ok(isStatusError(err));
        assert.equal(err.code, 422);
        assert.equal(err.status.details?.kind, 'SelfSubjectAccessReview');
        assert.equal(err.status.details?.group, 'authorization.k8s.io');
        assert.equal(err.status.details?.causes?.[0]?.field, field);
        assert.ok(err.message.includes(message), err.message);
        return true;
      });
    });
  }

  it('rejects a body that is not an object with 400', async () => {
    await assert.rejects(
      evaluateSelfSubjectAccessReview(authorizer, jane, 'nope'),
      (err: unknown) => isStatusError(err) && err.code === 400,
    );
  });
});

describe('SelfSubjectAccessReview protobuf', () => {
  /** Protobuf length-delimited field. */
  const field = (n: number, bytes: Uint8Array | string): Buffer => {
    const data = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
    return Buffer.concat([Buffer.from([(n << 3) | 2, data.length]), data]);
  };
  const envelope = (kind: string, raw: Buffer): Buffer =>
    Buffer.concat([
      Buffer.from('k8s\0', 'binary'),
      field(1, Buffer.concat([field(1, 'authorization.k8s.io/v1'), field(2, kind)])),
      field(2, raw),
      field(3, ''),
      field(4, ''),
    ]);

  it('decodes resource attributes, skipping metadata and varint fields', () => {
    const attrs = Buffer.concat([
      field(1, 'garden-dev'),
      field(2, 'update'),
      field(3, gardener),
      field(4, ''),
      field(5, 'shoots'),
      field(6, 'binding'),
      field(7, ''),
    ]);
    const raw = Buffer.concat([
      field(1, field(1, 'ignored-name')),
      Buffer.from([0x18, 0x01]),
      field(2, field(1, attrs)),
    ]);
    assert.deepEqual(decodeSelfSubjectAccessReview(envelope('SelfSubjectAccessReview', raw)), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: {
        resourceAttributes: {
          namespace: 'garden-dev',
          verb: 'update',
          group: gardener,
          version: '',
          resource: 'shoots',
          subresource: 'binding',
          name: '',
        },
      },
    });
  });

  it('decodes non-resource attributes', () => {
    const raw = field(2, field(2, Buffer.concat([field(1, '/healthz'), field(2, 'get')])));
    assert.deepEqual(decodeSelfSubjectAccessReview(envelope('SelfSubjectAccessReview', raw)).spec, {
      nonResourceAttributes: { path: '/healthz', verb: 'get' },
    });
  });

  it('rejects other kinds, a missing magic number and truncated input with 400', () => {
    const is400 = (err: unknown) => isStatusError(err) && err.code === 400;
    assert.throws(() => decodeSelfSubjectAccessReview(envelope('SubjectAccessReview', Buffer.alloc(0))), is400);
    assert.throws(() => decodeSelfSubjectAccessReview(Buffer.from('{"kind":"x"}')), is400);
    const truncated = envelope('SelfSubjectAccessReview', field(2, field(1, field(1, 'garden-dev'))));
    assert.throws(() => decodeSelfSubjectAccessReview(truncated.subarray(0, truncated.length - 3)), is400);
  });
});

describe('kubectl auth can-i', () => {
  let dir: string;
  let server: https.Server;
  let port: number;
  const tokens = { scheduler: 'scheduler-token', jane: 'jane-token' };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-can-i-'));
    const pki = await ensureServingPki(join(dir, 'pki'), { hosts: [] });
    const authn = new TokenAuthenticator([
      { sha256: hashToken(tokens.scheduler), user: { name: 'scheduler' } },
      { sha256: hashToken(tokens.jane), user: { name: 'jane', groups: ['devs'] } },
    ]);
    const authz = new RbacAuthorizer(fixture());
    const gv = `${gardener}/v1beta1`;
    const discovery: Record<string, unknown> = {
      '/version': { major: '1', minor: '32', gitVersion: 'v1.32.0' },
      '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
      '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [] },
      '/apis': {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: gardener,
            versions: [{ groupVersion: gv, version: 'v1beta1' }],
            preferredVersion: { groupVersion: gv, version: 'v1beta1' },
          },
        ],
      },
      [`/apis/${gv}`]: {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: gv,
        resources: [
          { name: 'shoots', singularName: 'shoot', namespaced: true, kind: 'Shoot', verbs: ['get', 'list', 'update'] },
          { name: 'shoots/binding', singularName: '', namespaced: true, kind: 'Shoot', verbs: ['update'] },
        ],
      },
    };
    server = https.createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        res.setHeader('content-type', 'application/json');
        try {
          const path = (req.url ?? '').split('?')[0]!;
          if (req.method === 'GET' && path in discovery) return res.end(JSON.stringify(discovery[path]));
          if (req.method === 'POST' && path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
            const who = await authn.authenticate({ headers: req.headers });
            const raw = Buffer.concat(chunks);
            const body = req.headers['content-type']?.startsWith(kubernetesProtobufContentType)
              ? decodeSelfSubjectAccessReview(raw)
              : JSON.parse(raw.toString());
            res.statusCode = 201;
            return res.end(JSON.stringify(await evaluateSelfSubjectAccessReview(authz, who!, body)));
          }
          res.statusCode = 404;
          res.end(
            JSON.stringify({
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              code: 404,
              reason: 'NotFound',
              message: 'not found',
            }),
          );
        } catch (err) {
          res.statusCode = isStatusError(err) ? err.code : 500;
          res.end(JSON.stringify(isStatusError(err) ? err.status : { message: String(err) }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    for (const [name, token] of Object.entries(tokens)) {
      await writeKubeconfig(
        join(dir, name),
        buildKubeconfig({
          clusterName: 't',
          server: `https://127.0.0.1:${port}`,
          caPem: pki.ca.certPem,
          user: { name, token },
        }),
      );
    }
  });
  after(async () => {
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const canI = async (who: keyof typeof tokens, ...args: string[]): Promise<string> => {
    const argv = ['--kubeconfig', join(dir, who), '--cache-dir', join(dir, 'cache'), 'auth', 'can-i', ...args];
    try {
      return (await run(kubectl, argv)).stdout.trim();
    } catch (err) {
      const { stdout, code } = err as { stdout: string; code: number };
      assert.equal(code, 1, String(err));
      return stdout.trim();
    }
  };

  it('answers yes and no for resources and subresources', async () => {
    assert.equal(await canI('scheduler', 'update', 'shoots', '--subresource=binding', '-n', 'garden-dev'), 'yes');
    assert.equal(await canI('jane', 'update', 'shoots', '--subresource=binding', '-n', 'garden-dev'), 'no');
    // kubectl reads `shoots/binding` as TYPE/NAME: the shoot named "binding", no subresource.
    assert.equal(await canI('scheduler', 'update', 'shoots/binding', '-n', 'garden-dev'), 'no');
    assert.equal(await canI('jane', 'get', 'shoots/binding', '-n', 'garden-dev'), 'yes');
    assert.equal(await canI('jane', 'get', 'shoots', '-n', 'garden-dev'), 'yes');
    assert.equal(await canI('jane', 'get', 'shoots', '-n', 'garden-prod'), 'no');
  });

  it('answers for non-resource URLs', async () => {
    assert.equal(await canI('jane', 'get', '/healthz'), 'yes');
    assert.equal(await canI('jane', 'get', '/metrics'), 'no');
  });
});
