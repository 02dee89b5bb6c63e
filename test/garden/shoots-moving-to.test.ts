/**
 * `shootsMovingTo` (src/garden/controllers/shoot-migration-controller.ts): a change of a seed
 * re-judges the shoots being moved to it, and only those: not the ones it hosts and keeps, not
 * the ones moving elsewhere, not the new ones that were never placed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Seed, Shoot } from '../../src/api/core-gardener/index.js';
import type { Lister } from '../../src/controller/shared-informers.js';
import { shootsMovingTo } from '../../src/garden/controllers/shoot-migration-controller.js';

const shoot = (name: string, spec: string | undefined, status: string | undefined): Shoot =>
  ({
    metadata: { namespace: 'garden-dev', name },
    spec: spec ? { seedName: spec } : {},
    status: status ? { seedName: status } : {},
  }) as unknown as Shoot;

const lister = (items: Shoot[]): Lister<Shoot> => ({ list: () => items, get: () => undefined });
const seed = (name: string) => ({ metadata: { name } }) as Seed;

describe('shootsMovingTo', () => {
  it('maps a seed to the shoots bound to it while another seed hosts them', () => {
    const shoots = lister([
      shoot('moving-here', 'seed-b', 'seed-a'),
      shoot('staying-here', 'seed-b', 'seed-b'),
      shoot('moving-away', 'seed-a', 'seed-b'),
      shoot('new', 'seed-b', undefined),
      shoot('unplaced', undefined, undefined),
    ]);
    assert.deepEqual(shootsMovingTo(shoots)(seed('seed-b')), [{ namespace: 'garden-dev', name: 'moving-here' }]);
    assert.deepEqual(shootsMovingTo(shoots)(seed('seed-a')), [{ namespace: 'garden-dev', name: 'moving-away' }]);
    assert.deepEqual(shootsMovingTo(shoots)(seed('seed-c')), []);
  });
});
