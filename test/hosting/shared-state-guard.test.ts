/**
 * The guard of what replicas share in kube-system: untrusted users are denied there and on
 * Secrets across all namespaces, trusted groups and everything else get no opinion (RBAC decides).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestAttributes } from '../../src/apiserver/types.js';
import { SharedStateGuard } from '../../src/hosting/shared-state-guard.js';

const guard = new SharedStateGuard(['gardener.cloud:operators']);
const gardenlet = { name: 'gardener.cloud:system:seed:seed-a', groups: ['gardener.cloud:system:seeds'] };
const operator = { name: 'operator', groups: ['gardener.cloud:operators'] };

function request(overrides: Partial<RequestAttributes>): RequestAttributes {
  return {
    user: gardenlet,
    verb: 'get',
    resourceRequest: true,
    apiGroup: '',
    apiVersion: 'v1',
    namespace: 'garden',
    resource: 'secrets',
    subresource: '',
    name: '',
    path: '',
    ...overrides,
  };
}

describe('SharedStateGuard', () => {
  it('denies untrusted users everything in kube-system and Secrets across namespaces', async () => {
    for (const attrs of [
      request({ namespace: 'kube-system', name: 'garden-ca' }),
      request({ namespace: 'kube-system', verb: 'create' }),
      request({ namespace: 'kube-system', apiGroup: 'coordination.k8s.io', resource: 'leases', verb: 'update' }),
      request({ namespace: '', verb: 'list' }),
      request({ namespace: '', verb: 'watch' }),
    ]) {
      assert.equal((await guard.authorize(attrs)).decision, 'deny', JSON.stringify(attrs));
    }
  });

  it('has no opinion on trusted groups, other namespaces, other kinds and non-resource paths', async () => {
    for (const attrs of [
      request({ namespace: 'kube-system', user: operator }),
      request({ namespace: '', verb: 'list', user: operator }),
      request({ namespace: 'garden' }),
      request({ namespace: '', resource: 'namespaces', verb: 'list' }),
      request({ resourceRequest: false, namespace: '', resource: '', path: '/api' }),
    ]) {
      assert.equal((await guard.authorize(attrs)).decision, 'noOpinion', JSON.stringify(attrs));
    }
  });
});
