import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionOf, setCondition } from '../../../src/api/core-gardener/index.js';

describe('conditions', () => {
  it('setCondition keeps lastTransitionTime while the status stays', () => {
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-01T00:01:00Z');
    const first = setCondition([], 'GardenletReady', 'True', 'GardenletReady', 'ok', t1);
    const second = setCondition(first, 'GardenletReady', 'True', 'GardenletReady', 'ok', t2);
    assert.equal(second[0]!.lastTransitionTime, '2026-01-01T00:00:00Z');
    assert.equal(second[0]!.lastUpdateTime, '2026-01-01T00:01:00Z');
    const third = setCondition(second, 'GardenletReady', 'Unknown', 'GardenletStatusUnknown', 'stale', t2);
    assert.equal(third[0]!.lastTransitionTime, '2026-01-01T00:01:00Z');
    assert.equal(conditionOf({ metadata: {}, status: { conditions: third } }, 'GardenletReady')?.status, 'Unknown');
  });
});
