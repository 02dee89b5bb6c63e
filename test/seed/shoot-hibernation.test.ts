/**
 * A hibernated shoot's status in Gardener's words: its health conditions and its
 * `HibernationPossible` constraint not checked while it is hibernated, the constraint back to
 * what holds once it is awake, and nothing rewritten that says so already.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Shoot } from '../../src/api/core-gardener/shoot.js';
import type { Condition } from '../../src/api/meta.js';
import { shootHealthConditions } from '../../src/seed/gardenlet/shoot-care.js';
import {
  hibernatedConditions,
  hibernationConstraints,
  hibernationInEffect,
} from '../../src/seed/gardenlet/shoot-hibernation.js';

const summary = (conditions: Condition[]) => conditions.map((c) => `${c.type}=${c.status}/${c.reason}: ${c.message}`);

const shoot = (enabled: boolean | undefined, hibernated: boolean | undefined): Shoot => ({
  apiVersion: 'core.gardener.cloud/v1beta1',
  kind: 'Shoot',
  metadata: { name: 's', namespace: 'garden-dev' },
  spec: enabled === undefined ? {} : { hibernation: { enabled } },
  ...(hibernated === undefined ? {} : { status: { hibernated } }),
});

describe('a hibernated shoot', () => {
  it('is in hibernation while it is to be hibernated, is hibernated, or wakes up', () => {
    assert.equal(hibernationInEffect(shoot(undefined, undefined)), false);
    assert.equal(hibernationInEffect(shoot(false, false)), false);
    assert.equal(hibernationInEffect(shoot(true, false)), true, 'hibernating');
    assert.equal(hibernationInEffect(shoot(true, true)), true, 'hibernated');
    assert.equal(hibernationInEffect(shoot(false, true)), true, 'waking up');
  });

  it('has every health condition True and not checked; other conditions are kept', () => {
    const failing = shootHealthConditions([], {
      apiServerProblem: 'HTTP 0: connect ECONNREFUSED',
      controlPlaneProblems: ['kube-apiserver is not running'],
      nodesWanted: 1,
      nodes: [],
      tunnelProblems: [],
    });
    const other: Condition = { type: 'Custom', status: 'False', reason: 'x', message: 'y' };
    const conditions = hibernatedConditions([...failing, other]);
    const message = 'Shoot cluster has been hibernated.';
    assert.deepEqual(summary(conditions), [
      `APIServerAvailable=True/ConditionNotChecked: ${message}`,
      `ControlPlaneHealthy=True/ConditionNotChecked: ${message}`,
      `EveryNodeReady=True/ConditionNotChecked: ${message}`,
      `SystemComponentsHealthy=True/ConditionNotChecked: ${message}`,
      'Custom=False/x: y',
    ]);
    assert.deepEqual(hibernatedConditions(conditions), conditions, 'written once: the same objects again');
  });

  it('has the constraint HibernationPossible not checked; awake again, no webhook stands in its way', () => {
    const hibernated = hibernationConstraints([], true);
    assert.deepEqual(summary(hibernated), [
      'HibernationPossible=True/ConstraintNotChecked: Shoot cluster has been hibernated.',
    ]);
    assert.deepEqual(summary(hibernationConstraints(hibernated, false)), [
      'HibernationPossible=True/NoProblematicWebhooks: All webhooks are properly configured.',
    ]);
  });
});
