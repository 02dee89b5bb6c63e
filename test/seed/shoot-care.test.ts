/**
 * The shoot's health conditions from what the hosting seed observed, and when they count as
 * changed (the reconciler writes them between operations only then).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCondition } from '../../src/api/core-gardener/conditions.js';
import type { Condition } from '../../src/api/meta.js';
import {
  conditionsChanged,
  progressingConditions,
  type ShootHealthFacts,
  shootHealthConditions,
} from '../../src/seed/gardenlet/shoot-care.js';

const healthy: ShootHealthFacts = {
  apiServerProblem: undefined,
  controlPlaneProblems: [],
  nodesWanted: 2,
  nodes: [
    { name: 'n-0', notReady: undefined },
    { name: 'n-1', notReady: undefined },
  ],
  tunnelProblems: [],
};

const summary = (conditions: Condition[]) => conditions.map((c) => `${c.type}=${c.status}/${c.reason}`);

describe('shoot health conditions', () => {
  it('are all True for a running control plane whose nodes are Ready and reachable', () => {
    assert.deepEqual(summary(shootHealthConditions([], healthy)), [
      'APIServerAvailable=True/HealthzRequestSucceeded',
      'ControlPlaneHealthy=True/ControlPlaneRunning',
      'EveryNodeReady=True/EveryNodeReady',
      'SystemComponentsHealthy=True/SystemComponentsRunning',
    ]);
  });

  it('say what is wrong: the API server, a component, a node, a tunnel, missing nodes', () => {
    const conditions = shootHealthConditions([], {
      apiServerProblem: 'HTTP 0: connect ECONNREFUSED',
      controlPlaneProblems: ['kube-apiserver is not running'],
      nodesWanted: 2,
      nodes: [
        { name: 'n-0', notReady: 'NodeStatusUnknown: Kubelet stopped posting node status.' },
        { name: 'n-1', notReady: undefined },
      ],
      tunnelProblems: ['the API server cannot reach n-0 through the VPN tunnel (HTTP 503: no tunnel)'],
    });
    assert.deepEqual(summary(conditions), [
      'APIServerAvailable=False/HealthzRequestFailed',
      'ControlPlaneHealthy=False/ControlPlaneUnhealthy',
      'EveryNodeReady=False/NodesUnhealthy',
      'SystemComponentsHealthy=False/TunnelConnectionBroken',
    ]);
    assert.match(getCondition(conditions, 'APIServerAvailable')?.message ?? '', /ECONNREFUSED/);
    assert.match(getCondition(conditions, 'ControlPlaneHealthy')?.message ?? '', /kube-apiserver is not running/);
    assert.match(
      getCondition(conditions, 'EveryNodeReady')?.message ?? '',
      /Node "n-0" is not ready: NodeStatusUnknown/,
    );
    assert.match(
      getCondition(conditions, 'SystemComponentsHealthy')?.message ?? '',
      /cannot reach n-0 through the VPN tunnel/,
    );

    const missing = shootHealthConditions([], { ...healthy, nodes: [{ name: 'n-0', notReady: undefined }] });
    const nodes = getCondition(missing, 'EveryNodeReady')!;
    assert.deepEqual([nodes.status, nodes.reason], ['False', 'MissingNodes']);
    assert.match(nodes.message ?? '', /\(1\/2\)/);
  });

  it('keep other condition types, and an unchanged condition as it was (times included)', () => {
    const before = new Date('2026-12-01T10:00:00Z');
    const other: Condition = { type: 'HibernationPossible', status: 'True', reason: 'x', message: 'y' };
    const first = shootHealthConditions([other], healthy, before);
    assert.equal(getCondition(first, 'HibernationPossible'), other);
    const again = shootHealthConditions(first, healthy, new Date('2026-12-01T10:05:00Z'));
    assert.deepEqual(again, first, 'nothing changed, so nothing is rewritten');
    assert.equal(conditionsChanged(first, again), false);

    const broken = shootHealthConditions(
      first,
      { ...healthy, tunnelProblems: ['no tunnel to n-1'] },
      new Date('2026-12-01T10:06:00Z'),
    );
    assert.equal(conditionsChanged(first, broken), true);
    const system = getCondition(broken, 'SystemComponentsHealthy')!;
    assert.equal(system.lastTransitionTime, '2026-12-01T10:06:00Z');
    assert.equal(getCondition(broken, 'EveryNodeReady')!.lastTransitionTime, '2026-12-01T10:00:00Z');
    assert.equal(conditionsChanged([], first), true, 'conditions where there were none are a change');
  });
});

describe('shoot health conditions during a Migrate or Restore', () => {
  it('say Progressing with why, keep a False one, and are judged afresh after the Restore', () => {
    const before = new Date('2026-01-01T00:00:00Z');
    const during = new Date('2026-01-01T00:01:00Z');
    const after = new Date('2026-01-01T00:02:00Z');
    const healthyBefore = shootHealthConditions([], { ...healthy, tunnelProblems: ['node n-1: no tunnel'] }, before);
    const moving = progressingConditions(healthyBefore, 'ShootMigrating', 'being migrated', during);
    assert.deepEqual(summary(moving), [
      'APIServerAvailable=Progressing/ShootMigrating',
      'ControlPlaneHealthy=Progressing/ShootMigrating',
      'EveryNodeReady=Progressing/ShootMigrating',
      'SystemComponentsHealthy=False/TunnelConnectionBroken',
    ]);
    assert.equal(getCondition(moving, 'APIServerAvailable')?.message, 'being migrated');
    assert.equal(getCondition(moving, 'APIServerAvailable')?.lastTransitionTime, '2026-01-01T00:01:00Z');
    assert.equal(progressingConditions(moving, 'ShootMigrating', 'being migrated', after).length, 4);
    assert.equal(
      getCondition(progressingConditions(moving, 'ShootMigrating', 'being migrated', after), 'APIServerAvailable')
        ?.lastUpdateTime,
      '2026-01-01T00:01:00Z',
      'the same Progressing is not rewritten',
    );
    const restored = shootHealthConditions(moving, healthy, after);
    assert.ok(restored.every((c) => c.status === 'True'));
    assert.equal(getCondition(restored, 'APIServerAvailable')?.lastTransitionTime, '2026-01-01T00:02:00Z');
    assert.deepEqual(progressingConditions([], 'ShootRestoring', 'x'), [], 'none appear that were not there');
  });
});
