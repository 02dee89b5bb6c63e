/**
 * Regression tests for what the API fuzzer (test/fuzz/, docs/security.md "Fuzzing") found: each
 * once answered a 500 or acted on another object than the path named.
 */
import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { describe, it } from 'node:test';
import { validateProjectSpec } from '../../src/api/core-gardener/project.js';
import { isStatusError } from '../../src/api/errors.js';
import { parseBody } from '../../src/apiserver/http-util.js';
import { maxBodyNestingDepth, nestsDeeperThan } from '../../src/apiserver/nesting-depth.js';
import { validateFinalizersOnDeletion } from '../../src/apiserver/registry/deletion.js';
import { hasDotSegment } from '../../src/apiserver/request-info.js';
import { parseLimit, warningHeaders } from '../../src/apiserver/resource-handler.js';

/** Asserts `fn` throws a 400 Status whose message matches. */
function assertBadRequest(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isStatusError(err), String(err));
    assert.equal(err.status.code, 400);
    assert.equal(err.status.reason, 'BadRequest');
    assert.match(err.status.message, message);
    return true;
  });
}

describe('API fuzz findings', () => {
  it('a body nested deeper than the limit is a 400, not a stack overflow (500)', () => {
    const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    assertBadRequest(() => parseBody(Buffer.from(deep(100_000)), 'application/json'), /nested too deeply/);
    assertBadRequest(
      () =>
        parseBody(
          Buffer.from(`${'['.repeat(maxBodyNestingDepth + 1)}${']'.repeat(maxBodyNestingDepth + 1)}`),
          'application/yaml',
        ),
      /nested too deeply/,
    );
    assert.deepEqual(parseBody(Buffer.from(deep(3)), 'application/json'), { a: { a: { a: 1 } } });
    assert.equal(nestsDeeperThan({ a: [{}] }, 3), false);
    assert.equal(nestsDeeperThan({ a: [{ b: {} }] }, 3), true);
    assert.equal(nestsDeeperThan('text', 0), false);
  });

  it('limit is a decimal int64: 1e20 or 2.5 is a 400 (1e20 reached SQLite as a REAL: a 500)', () => {
    for (const bad of ['1e20', '2.5', '-1', 'abc', '99999999999999999999', '0x10', ' 1']) {
      assertBadRequest(() => parseLimit(bad), /limit must be a non-negative integer/);
    }
    assert.equal(parseLimit('5'), 5);
    assert.equal(parseLimit('0'), 0);
    assert.equal(parseLimit(null), undefined);
    assert.equal(parseLimit('9223372036854775807'), 2 ** 31 - 1);
  });

  it('warnings naming odd fields are escaped to what a header may hold (setHeader threw: a 500)', () => {
    const headers = warningHeaders(['unknown field "spec.😀"', 'unknown field "a\nb\u0000"', 'x'.repeat(5000)]);
    for (const header of headers) assert.doesNotThrow(() => validateHeaderValue('Warning', header));
    assert.equal(headers[0], '299 - "unknown field \\"spec.\\ud83d\\ude00\\""');
    assert.equal(headers[1], '299 - "unknown field \\"a\\nb\\u0000\\""');
    assert.ok(headers[2]!.length < 300);
    // Kubernetes' limits: 256 runes a warning, 4 Ki in all (thousands of unknown fields overflowed clients' header limits).
    const many = warningHeaders(Array.from({ length: 10_000 }, (_, i) => `unknown field "spec.k${i}"`));
    assert.ok(many.length > 10 && many.join('').length < 8 * 1024, String(many.length));
    // JSON.parse reads the quoted text back, as kubectl's unquoting does.
    assert.equal(JSON.parse(headers[0]!.slice(6)), 'unknown field "spec.😀"');
  });

  it('finalizers that are not a list, on an object being deleted, are left to metadata validation (a 500 before)', () => {
    const current = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'n', deletionTimestamp: '2026-12-06T10:00:00Z', finalizers: ['kubernetes'] },
    };
    const next = { ...current, metadata: { ...current.metadata, finalizers: 'x' as unknown as string[] } };
    assert.deepEqual(validateFinalizersOnDeletion(next, current), []);
    const added = { ...current, metadata: { ...current.metadata, finalizers: ['kubernetes', 'new'] } };
    assert.equal(validateFinalizersOnDeletion(added, current).length, 1);
  });

  it('a Project member must be a subject with a string name (an object was stored, then every Shoot was a 500)', () => {
    const errors = validateProjectSpec({ members: [{ kind: 'User', name: { x: 1 } }, 'x'] });
    assert.deepEqual(
      errors.map((e) => e.path),
      ['spec.members[0].name', 'spec.members[1]'],
    );
    assert.deepEqual(validateProjectSpec({ members: [{ kind: 'User', name: 'u', role: 'admin' }] }), []);
  });

  it('a path with "." or ".." segments is refused (the URL parser resolved roles/.. to the namespace)', () => {
    for (const path of [
      '/api/v1/namespaces/garden-dev/roles/..',
      '/api/v1/namespaces/garden-dev/roles/%2e%2E',
      '/api/v1/./namespaces',
      '/apis/x/v1/../..?a=b',
    ]) {
      assert.equal(hasDotSegment(path), true, path);
    }
    for (const path of ['/api/v1/namespaces/a..b/configmaps/x.y', '/api/v1/namespaces?labelSelector=..']) {
      assert.equal(hasDotSegment(path), false, path);
    }
  });
});
