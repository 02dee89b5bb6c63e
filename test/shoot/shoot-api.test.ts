/**
 * The default RBAC of a shoot across versions: a default ClusterRole stored by an earlier version
 * gets the rules this one adds (nodes reading and stopping their pods), an operator's own rules
 * stay, and a role whose autoupdate annotation is not "true" is left alone — Kubernetes' bootstrap
 * reconciliation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta.js';
import { reconciledClusterRole, shootBootstrapObjects } from '../../src/shoot/shoot-api.js';

const wanted = shootBootstrapObjects().find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'system:node')!;

function stored(autoupdate: string | undefined, rules: unknown[]): KubeObject {
  return {
    ...wanted,
    metadata: {
      name: 'system:node',
      ...(autoupdate ? { annotations: { 'rbac.authorization.kubernetes.io/autoupdate': autoupdate } } : {}),
    },
    rules,
  };
}

describe('default ClusterRoles of a shoot', () => {
  it('get the rules a newer version adds, keeping those an operator added', () => {
    const own = { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] };
    const older = (wanted.rules as unknown[]).slice(0, 3);
    const next = reconciledClusterRole(stored('true', [...older, own]), wanted);
    assert.ok(next);
    assert.deepEqual(next.rules, [...older, own, ...(wanted.rules as unknown[]).slice(3)]);
    assert.equal(reconciledClusterRole(next, wanted), undefined, 'nothing more to add');
  });

  it('are left alone when their autoupdate annotation is not "true"', () => {
    assert.equal(reconciledClusterRole(stored('false', []), wanted), undefined);
    assert.equal(reconciledClusterRole(stored(undefined, []), wanted), undefined);
  });
});
