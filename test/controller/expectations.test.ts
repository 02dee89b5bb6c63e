/**
 * Expectations (src/controller/expectations.ts): a key is satisfied once its cache shows every
 * write it expects; what the cache shows is forgotten, a write never seen stops counting after
 * the timeout, and `forget` drops a key's expectations.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { EXPECTATIONS_TIMEOUT_MS, Expectations } from '../../src/controller/expectations.js';

describe('Expectations', () => {
  it('is satisfied once the cache shows every expected write, per key', () => {
    const cache = new Set<string>();
    const expectations = new Expectations();
    assert.equal(expectations.satisfied('ns/a'), true, 'nothing expected');
    expectations.expect('ns/a', () => cache.has('pod-1'));
    expectations.expect('ns/a', () => cache.has('pod-2'));
    assert.equal(expectations.satisfied('ns/a'), false);
    assert.equal(expectations.satisfied('ns/b'), true, 'another key is not held');
    cache.add('pod-1');
    assert.equal(expectations.satisfied('ns/a'), false, 'one still missing');
    cache.add('pod-2');
    assert.equal(expectations.satisfied('ns/a'), true);
    cache.clear();
    assert.equal(expectations.satisfied('ns/a'), true, 'what was seen once is forgotten');
  });

  it('stops waiting for a write after the timeout, and forgets a key on request', () => {
    mock.timers.enable({ apis: ['Date'], now: 0 });
    try {
      const expectations = new Expectations();
      expectations.expect('ns/a', () => false);
      assert.equal(expectations.satisfied('ns/a'), false);
      mock.timers.tick(EXPECTATIONS_TIMEOUT_MS);
      assert.equal(expectations.satisfied('ns/a'), true, 'an event lost must not stall the key forever');
      expectations.expect('ns/b', () => false);
      expectations.forget('ns/b');
      assert.equal(expectations.satisfied('ns/b'), true);
    } finally {
      mock.timers.reset();
    }
  });
});
