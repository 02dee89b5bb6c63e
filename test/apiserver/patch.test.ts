import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch, mergePatch, patchTypeOf, strategicMergePatch } from '../../src/apiserver/patch.js';

describe('patches', () => {
  it('maps content types to patch types and rejects others with 415', () => {
    assert.equal(patchTypeOf('application/merge-patch+json'), 'merge');
    assert.equal(patchTypeOf('application/json-patch+json; charset=utf-8'), 'json');
    assert.equal(patchTypeOf('application/strategic-merge-patch+json'), 'strategic');
    assert.throws(
      () => patchTypeOf('text/plain'),
      (err: { code?: number }) => err.code === 415,
    );
  });

  it('merge patch (RFC 7386) merges objects, replaces lists and removes nulls', () => {
    const target = { a: { b: 1, c: 2 }, list: [1, 2], gone: true };
    assert.deepEqual(mergePatch(target, { a: { c: null, d: 3 }, list: [3], gone: null }), {
      a: { b: 1, d: 3 },
      list: [3],
    });
  });

  it('json patch (RFC 6902) applies operations and rejects a failing test op', () => {
    assert.deepEqual(applyPatch('json', { a: [1] }, [{ op: 'add', path: '/a/-', value: 2 }]), { a: [1, 2] });
    assert.throws(() => applyPatch('json', { a: 1 }, [{ op: 'test', path: '/a', value: 2 }]));
    assert.throws(
      () => applyPatch('json', { a: 1 }, { op: 'add' }),
      (err: { code?: number }) => err.code === 400,
    );
  });

  it('strategic merge patch merges finalizers as a set and conditions by type', () => {
    const target = {
      metadata: { finalizers: ['a'] },
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'Other', status: 'True' },
        ],
      },
    };
    const patched = strategicMergePatch(target, {
      metadata: { finalizers: ['b'], '$setElementOrder/finalizers': ['a', 'b'] },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    assert.deepEqual(patched, {
      metadata: { finalizers: ['a', 'b'] },
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'Other', status: 'True' },
        ],
      },
    });
  });

  it('strategic merge patch honours $patch: delete in lists and $deleteFromPrimitiveList', () => {
    const target = {
      metadata: { finalizers: ['a', 'b'] },
      status: { conditions: [{ type: 'Ready' }, { type: 'Other' }] },
    };
    const patched = strategicMergePatch(target, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      status: { conditions: [{ type: 'Ready', $patch: 'delete' }] },
    });
    assert.deepEqual(patched, { metadata: { finalizers: ['b'] }, status: { conditions: [{ type: 'Other' }] } });
  });

  it('apply-patch+yaml is server-side apply; other media types are 415 naming the accepted ones', () => {
    assert.equal(patchTypeOf('application/apply-patch+yaml; charset=utf-8'), 'apply');
    assert.throws(
      () => patchTypeOf('application/apply-patch+cbor'),
      (err: { code?: number; message: string }) => err.code === 415 && /apply-patch\+yaml/.test(err.message),
    );
  });
});
