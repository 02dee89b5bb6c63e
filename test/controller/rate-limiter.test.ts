/**
 * The controller's rate limiter: per item, the wait doubles with every failure in a row from the
 * base to the maximum, and a success (forget) starts the item over; other items are unaffected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exponentialDelay, ItemExponentialFailureRateLimiter } from '../../src/controller/rate-limiter.js';

describe('ItemExponentialFailureRateLimiter', () => {
  it('doubles per item from the base up to the maximum, and forget starts over', () => {
    const limiter = new ItemExponentialFailureRateLimiter({ baseDelayMs: 100, maxDelayMs: 500 });
    assert.deepEqual(
      Array.from({ length: 5 }, () => limiter.when('a')),
      [100, 200, 400, 500, 500],
    );
    assert.equal(limiter.failures('a'), 5);
    assert.equal(limiter.when('b'), 100, 'another item backs off on its own failures only');
    limiter.forget('a');
    assert.equal(limiter.failures('a'), 0);
    assert.equal(limiter.when('a'), 100);
  });

  it("defaults to a controller's backoff: 100 ms up to 30 s", () => {
    const limiter = new ItemExponentialFailureRateLimiter();
    const delays = Array.from({ length: 12 }, () => limiter.when('a'));
    assert.equal(delays[0], 100);
    assert.equal(delays.at(-1), 30_000);
  });

  it('exponentialDelay: the n-th failure in a row waits base * 2^(n-1), capped', () => {
    const backoff = { baseDelayMs: 2_000, maxDelayMs: 60_000 };
    assert.deepEqual(
      [1, 2, 3, 5, 6, 50].map((n) => exponentialDelay(n, backoff)),
      [2_000, 4_000, 8_000, 32_000, 60_000, 60_000],
    );
  });
});
