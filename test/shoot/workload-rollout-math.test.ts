/**
 * The pure parts of the workload controllers: maxSurge/maxUnavailable rounded as Kubernetes does,
 * the pod-template-hash in its safe alphabet, a Deployment's ReplicaSet found by its template
 * whatever its hash label says (a control plane migration never rolls out), expectations that
 * hold a controller back until the cache shows its own creates and deletes, and the order in
 * which pods are deleted when scaling down.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, ReplicaSet } from '../../src/api/apps/workloads.js';
import type { Pod } from '../../src/api/core/pod.js';
import type { KubeObject } from '../../src/api/meta.js';
import { ObjectExpectations } from '../../src/controller/expectations.js';
import { findNewAndOld } from '../../src/shoot/controller-manager/apps/deployment/deployment-sync.js';
import { computeHash, safeEncode } from '../../src/shoot/controller-manager/apps/deployment/pod-template-hash.js';
import {
  maxSurge,
  maxUnavailable,
  newReplicaSetReplicas,
} from '../../src/shoot/controller-manager/apps/deployment/replicas.js';
import { podsToDeleteFirst } from '../../src/shoot/controller-manager/apps/pods.js';

const template = (image: string, labels: Record<string, string> = { app: 'web' }) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'main', image }] },
});

function deployment(
  replicas: number,
  rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string },
) {
  return {
    metadata: { name: 'web', namespace: 'apps' },
    spec: {
      replicas,
      template: template('nginx'),
      strategy: { type: 'RollingUpdate', ...(rollingUpdate ? { rollingUpdate } : {}) },
    },
  } as Deployment;
}

describe('rollout arithmetic', () => {
  it('rounds a percent maxSurge up and maxUnavailable down; both 0 makes maxUnavailable 1', () => {
    assert.deepEqual([maxSurge(deployment(3)), maxUnavailable(deployment(3))], [1, 0]);
    assert.deepEqual([maxSurge(deployment(10)), maxUnavailable(deployment(10))], [3, 2]);
    assert.deepEqual(
      [
        maxSurge(deployment(1, { maxSurge: '0%', maxUnavailable: '10%' })),
        maxUnavailable(deployment(1, { maxSurge: '0%', maxUnavailable: '10%' })),
      ],
      [0, 1],
    );
    assert.equal(maxUnavailable(deployment(2, { maxSurge: 1, maxUnavailable: 5 })), 2, 'at most the replicas');
  });

  it('lets the new ReplicaSet grow by at most maxSurge over the replicas in total', () => {
    const d = deployment(4);
    const old = { metadata: { name: 'old' }, spec: { replicas: 4 } } as ReplicaSet;
    const fresh = { metadata: { name: 'new' }, spec: { replicas: 0 } } as ReplicaSet;
    assert.equal(newReplicaSetReplicas(d, [old, fresh], fresh), 1);
    assert.equal(newReplicaSetReplicas(d, [{ ...old, spec: { replicas: 1 } }, fresh], fresh), 4);
  });
});

describe('pod-template-hash', () => {
  it('writes the hash in the safe alphabet, and the collision count changes it', () => {
    // Digits map to 4-9 and b-f, as in the hashes of real clusters (`web-5d4f8c7b9`).
    assert.equal(safeEncode('0123456789'), '456789bcdf');
    const hash = computeHash(template('nginx'));
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(computeHash(template('nginx')), hash, 'deterministic');
    assert.notEqual(computeHash(template('nginx'), 1), hash);
    assert.notEqual(computeHash(template('nginx:1.27')), hash);
  });

  it('finds the ReplicaSet of the template whatever hash it is labelled with (one made elsewhere)', () => {
    const labelled = (name: string, image: string, hash: string, created: string): ReplicaSet => ({
      metadata: { name, creationTimestamp: created },
      spec: { template: template(image, { app: 'web', 'pod-template-hash': hash }) },
    });
    const foreign = labelled('web-5d4f8c7b9', 'nginx', '5d4f8c7b9', '2026-01-01T00:00:00Z');
    const other = labelled('web-abc', 'nginx:1.27', 'abc', '2026-01-02T00:00:00Z');
    const { newRS, oldRSs } = findNewAndOld(deployment(3), [other, foreign]);
    assert.equal(newRS?.metadata.name, 'web-5d4f8c7b9');
    assert.deepEqual(
      oldRSs.map((rs) => rs.metadata.name),
      ['web-abc'],
    );
  });
});

describe('expectations', () => {
  it('holds a controller back until the cache shows what it created and deleted', () => {
    const cache = new Map<string, KubeObject>();
    const lister = { list: () => [...cache.values()], get: (ns: string, name: string) => cache.get(`${ns}/${name}`) };
    const expectations = new ObjectExpectations(lister);
    cache.set('apps/old', { metadata: { name: 'old', namespace: 'apps' } });
    assert.equal(expectations.satisfied('apps/front'), true);
    expectations.created('apps/front', 'apps', 'front-abcde');
    expectations.deleted('apps/front', 'apps', 'old');
    assert.equal(expectations.satisfied('apps/front'), false, 'neither seen yet');
    cache.set('apps/front-abcde', { metadata: { name: 'front-abcde', namespace: 'apps' } });
    assert.equal(expectations.satisfied('apps/front'), false, 'the deleted pod is still cached');
    cache.delete('apps/old');
    assert.equal(expectations.satisfied('apps/front'), true);
  });
});

describe('scale-down order', () => {
  it('deletes unscheduled, then pending, then not ready pods before ready ones, newer first', () => {
    const pod = (name: string, node: string | undefined, phase: string, ready: boolean, created: string): Pod => ({
      metadata: { name, creationTimestamp: created },
      spec: { ...(node ? { nodeName: node } : {}) },
      status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: created }] },
    });
    const order = podsToDeleteFirst([
      pod('ready-old', 'n1', 'Running', true, '2026-01-01T00:00:00Z'),
      pod('ready-new', 'n2', 'Running', true, '2026-01-02T00:00:00Z'),
      pod('unready', 'n3', 'Running', false, '2026-01-01T00:00:00Z'),
      pod('pending', 'n3', 'Pending', false, '2026-01-01T00:00:00Z'),
      pod('unscheduled', undefined, 'Pending', false, '2026-01-01T00:00:00Z'),
    ]).map((p) => p.metadata.name);
    assert.deepEqual(order, ['unscheduled', 'pending', 'unready', 'ready-new', 'ready-old']);
  });
});
