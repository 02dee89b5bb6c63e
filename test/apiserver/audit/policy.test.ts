/**
 * Audit policy matching as kube-apiserver's checker does it (first rule wins, no match is None),
 * the limits enforced in code whatever the policy says, and the validation of policy files.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enforceLevelLimits } from '../../../src/apiserver/audit/level-limits.js';
import {
  type AuditAttributes,
  type AuditPolicy,
  defaultAuditPolicy,
  evaluatePolicy,
  InvalidAuditPolicyError,
  parseAuditPolicy,
} from '../../../src/apiserver/audit/policy.js';
import { parseRequestInfo } from '../../../src/apiserver/request-info.js';

const operator = { name: 'operator', groups: ['gardener.cloud:system:administrators', 'system:authenticated'] };
const gardenlet = { name: 'gardener.cloud:system:seed:seed-a', groups: ['gardener.cloud:system:seeds'] };

function attrs(method: string, path: string, user: AuditAttributes['user'] = operator): AuditAttributes {
  const url = new URL(path, 'https://x');
  return { user, info: parseRequestInfo(method, url.pathname, url.searchParams) };
}

function policy(rules: AuditPolicy['rules'], extra: Partial<AuditPolicy> = {}): AuditPolicy {
  return { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules, ...extra };
}

const shoots = '/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots';

describe('audit policy matching', () => {
  it('takes the first rule that matches, and None when none does', () => {
    const p = policy([
      { level: 'None', users: ['system:kube-proxy'] },
      { level: 'Request', userGroups: ['gardener.cloud:system:seeds'], verbs: ['update'] },
      { level: 'Metadata', verbs: ['get'] },
    ]);
    assert.equal(evaluatePolicy(p, attrs('PUT', `${shoots}/a/status`, gardenlet)).level, 'Request');
    assert.equal(evaluatePolicy(p, attrs('GET', `${shoots}/a`, gardenlet)).level, 'Metadata');
    assert.equal(evaluatePolicy(p, attrs('DELETE', `${shoots}/a`, operator)).level, 'None');
    // A request whose user failed to authenticate matches no user rule.
    assert.equal(evaluatePolicy(p, attrs('GET', `${shoots}/a`, undefined)).level, 'Metadata');
  });

  it('matches resources by group, subresource forms and names, and namespaces', () => {
    const level = (rule: AuditPolicy['rules'][number], method: string, path: string) =>
      evaluatePolicy(policy([rule]), attrs(method, path)).level;
    const gardener = 'core.gardener.cloud';
    const r = (resources: string[], resourceNames?: string[]) => ({
      level: 'Request' as const,
      resources: [{ group: gardener, resources, ...(resourceNames ? { resourceNames } : {}) }],
    });
    assert.equal(level(r(['shoots']), 'GET', `${shoots}/a`), 'Request');
    assert.equal(level(r(['shoots']), 'PUT', `${shoots}/a/binding`), 'None', 'shoots does not match shoots/binding');
    assert.equal(level(r(['shoots/binding']), 'PUT', `${shoots}/a/binding`), 'Request');
    assert.equal(level(r(['*/binding']), 'PUT', `${shoots}/a/binding`), 'Request');
    assert.equal(level(r(['shoots/*']), 'PUT', `${shoots}/a/status`), 'Request');
    assert.equal(level(r(['*']), 'PUT', `${shoots}/a/status`), 'Request');
    assert.equal(level(r(['shoots'], ['a']), 'GET', `${shoots}/b`), 'None');
    assert.equal(level(r(['shoots'], ['a']), 'GET', `${shoots}/a`), 'Request');
    assert.equal(
      level({ level: 'Request', resources: [{ group: '' }] }, 'GET', `${shoots}/a`),
      'None',
      'core group only',
    );
    assert.equal(level({ level: 'Request', resources: [{ group: gardener }] }, 'GET', `${shoots}/a`), 'Request');
    assert.equal(level({ level: 'Request', namespaces: ['garden-dev'] }, 'GET', `${shoots}/a`), 'Request');
    assert.equal(level({ level: 'Request', namespaces: ['other'] }, 'GET', `${shoots}/a`), 'None');
    // Cluster-scoped resources have the namespace "".
    assert.equal(
      level({ level: 'Request', namespaces: [''] }, 'GET', '/apis/core.gardener.cloud/v1beta1/seeds/s'),
      'Request',
    );
    assert.equal(level({ level: 'Request', namespaces: [''] }, 'GET', '/healthz'), 'None', 'not a resource request');
  });

  it('matches non-resource URLs exactly or by prefix, never resource requests', () => {
    const p = policy([{ level: 'Metadata', nonResourceURLs: ['/healthz*', '/version'] }]);
    assert.equal(evaluatePolicy(p, attrs('GET', '/healthz')).level, 'Metadata');
    assert.equal(evaluatePolicy(p, attrs('GET', '/healthz/etcd')).level, 'Metadata');
    assert.equal(evaluatePolicy(p, attrs('GET', '/version')).level, 'Metadata');
    assert.equal(evaluatePolicy(p, attrs('GET', '/versions')).level, 'None');
    assert.equal(evaluatePolicy(p, attrs('GET', `${shoots}/healthz`)).level, 'None');
  });

  it('joins the omitted stages of the policy and of the rule', () => {
    const p = policy([{ level: 'Metadata', omitStages: ['ResponseStarted'] }], { omitStages: ['RequestReceived'] });
    assert.deepEqual([...evaluatePolicy(p, attrs('GET', `${shoots}/a`)).omitStages].sort(), [
      'RequestReceived',
      'ResponseStarted',
    ]);
  });

  it('the default policy: nothing for probes and discovery, requests and responses of shoot writes, metadata otherwise', () => {
    const level = (method: string, path: string) => evaluatePolicy(defaultAuditPolicy, attrs(method, path)).level;
    assert.equal(level('GET', '/readyz'), 'None');
    assert.equal(level('GET', '/apis/core.gardener.cloud/v1beta1'), 'None');
    assert.equal(level('GET', '/api/v1/namespaces/garden-dev/events'), 'None');
    assert.equal(level('PUT', `${shoots}/a/binding`), 'RequestResponse');
    assert.equal(level('POST', shoots), 'RequestResponse');
    assert.equal(level('GET', `${shoots}/a`), 'Metadata');
    assert.equal(level('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings'), 'RequestResponse');
    assert.equal(level('POST', '/api/v1/namespaces/garden-dev/secrets'), 'Metadata');
  });
});

describe('audit level limits enforced in code', () => {
  const limited = (level: Parameters<typeof enforceLevelLimits>[0], method: string, path: string) =>
    enforceLevelLimits(level, attrs(method, path).info);

  it('never records more than Metadata of objects holding secrets', () => {
    for (const [method, path] of [
      ['POST', '/api/v1/namespaces/garden-dev/secrets'],
      ['GET', '/api/v1/secrets'],
      ['PUT', '/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shootstates/a'],
      ['POST', `${shoots}/a/adminkubeconfig`],
      ['POST', `${shoots}/a/viewerkubeconfig`],
      ['POST', '/api/v1/namespaces/default/serviceaccounts/default/token'],
      ['POST', '/apis/authentication.k8s.io/v1/tokenreviews'],
    ] as const) {
      assert.equal(limited('RequestResponse', method, path), 'Metadata', `${method} ${path}`);
      assert.equal(limited('None', method, path), 'None', `${method} ${path} may be left out`);
    }
  });

  it('records a binding at Request at least, whatever the policy says', () => {
    assert.equal(limited('None', 'PUT', `${shoots}/a/binding`), 'Request');
    assert.equal(limited('Metadata', 'PUT', `${shoots}/a/binding`), 'Request');
    assert.equal(limited('RequestResponse', 'PUT', `${shoots}/a/binding`), 'RequestResponse');
    assert.equal(limited('None', 'POST', '/api/v1/namespaces/default/pods/p/binding'), 'Request');
    assert.equal(limited('None', 'PUT', `${shoots}/a`), 'None');
  });
});

describe('audit policy files', () => {
  it('reads a kube-apiserver policy in YAML', () => {
    const p = parseAuditPolicy(
      [
        'apiVersion: audit.k8s.io/v1',
        'kind: Policy',
        'omitStages: [RequestReceived]',
        'rules:',
        '- level: None',
        '  nonResourceURLs: ["/healthz*"]',
        '- level: RequestResponse',
        '  resources:',
        '  - group: core.gardener.cloud',
        '    resources: ["shoots", "shoots/binding"]',
        '- level: Metadata',
      ].join('\n'),
      'policy.yaml',
    );
    assert.equal(p.rules.length, 3);
    assert.equal(evaluatePolicy(p, attrs('PUT', `${shoots}/a/binding`)).level, 'RequestResponse');
  });

  it('names every mistake by its field path', () => {
    const text = JSON.stringify({
      apiVersion: 'audit.k8s.io/v1beta1',
      kind: 'Policy',
      rules: [
        { level: 'Everything' },
        { verbs: ['get'] },
        { level: 'None', nonResourceURLs: ['healthz', '/a*b'], resources: [{ group: '' }] },
        { level: 'None', resources: [{ group: 'Bad_Group', resourceNames: ['x'] }], omitStages: ['Sometime'] },
        { level: 'None', userz: ['x'] },
      ],
    });
    assert.throws(
      () => parseAuditPolicy(text, 'p.json'),
      (err: Error) => {
        assert.ok(err instanceof InvalidAuditPolicyError);
        for (const expected of [
          'audit policy p.json is not valid',
          'apiVersion: Unsupported value: "audit.k8s.io/v1beta1"',
          'rules[0].level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse"',
          'rules[1].level: Required value',
          'rules[2].nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs',
          'rules[2].nonResourceURLs[0]: Invalid value: "healthz": non-resource URL must start with "/"',
          'rules[2].nonResourceURLs[1]: Invalid value: "/a*b": "*" is allowed only at the end',
          'rules[3].resources[0].group: Invalid value: "Bad_Group": must be a DNS subdomain',
          'rules[3].resources[0].resourceNames: Invalid value: using resourceNames requires at least one resource',
          'rules[3].omitStages[0]: Unsupported value: "Sometime"',
          'rules[4].userz: unknown field',
        ]) {
          assert.ok(err.message.includes(expected), `${expected}\nin:\n${err.message}`);
        }
        return true;
      },
    );
    assert.throws(
      () => parseAuditPolicy('rules: [', 'bad.yaml'),
      /audit policy bad.yaml is not valid:\n {2}not YAML or JSON/,
    );
  });
});
