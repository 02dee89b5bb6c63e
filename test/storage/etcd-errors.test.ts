import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';
import { neverSent, sentWriteError, toStorageError } from '../../src/storage/etcd/etcd-errors.js';
import { StorageError } from '../../src/storage/interface.js';

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

describe('sentWriteError', () => {
  it('makes a sent write that met an election or a deadline Internal (a 500: it may have been applied)', () => {
    for (const thrown of [
      new Error('14 UNAVAILABLE: etcdserver: leader changed'),
      new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded'),
      new GRPCUnavailableError('14 UNAVAILABLE: Connection dropped'),
    ]) {
      const err = sentWriteError(toStorageError(thrown, 'k'), 'k') as StorageError;
      assert.equal(err.code, 'Internal', thrown.message);
      assert.match(err.message, /may have been applied/);
    }
  });

  it('keeps Unreachable a write that never left: no connection, or the store closed', () => {
    const noConnection = toStorageError(new GRPCUnavailableError('14 UNAVAILABLE: No connection established'), 'k');
    assert.equal((sentWriteError(noConnection, 'k') as StorageError).code, 'Unreachable');
    const closed = new StorageError('Unreachable', 'k', 'the store is closed');
    assert.equal(sentWriteError(closed, 'k'), closed);
    const conflict = new StorageError('KeyExists', 'k');
    assert.equal(sentWriteError(conflict, 'k'), conflict);
  });
});
