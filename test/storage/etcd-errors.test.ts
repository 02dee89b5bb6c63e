import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { neverSent, toStorageError } from '../../src/storage/etcd/etcd-errors.js';

describe('toStorageError', () => {
  it('takes an election (etcd ErrLeaderChanged) for a transient unreachable store, so reads go again', () => {
    const err = toStorageError(new Error('14 UNAVAILABLE: etcdserver: leader changed'), '/configmaps/default/a');
    assert.equal(err.code, 'Unreachable');
    assert.equal(neverSent(err), false, 'a write that met it was sent: its outcome is unknown');
  });

  it('keeps a compacted revision Expired and anything else Internal', () => {
    assert.equal(
      toStorageError(new Error('etcdserver: mvcc: required revision has been compacted'), 'k').code,
      'Expired',
    );
    assert.equal(toStorageError(new Error('etcdserver: permission denied'), 'k').code, 'Internal');
  });
});
