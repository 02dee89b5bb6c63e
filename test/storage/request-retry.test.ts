import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sentWriteError, toStorageError, writeMayGoAgain } from '../../src/storage/etcd/etcd-errors.js';
import {
  ELECTION_RETRY_MS,
  ELECTION_RETRY_WINDOW_MS,
  NEVER_SENT_ATTEMPTS_PER_ENDPOINT,
  withRetries,
} from '../../src/storage/etcd/request-retry.js';
import { isStorageError, StorageError } from '../../src/storage/interface.js';

const KEY = '/registry/namespaces/continuity';
const LEADER_CHANGED = '14 UNAVAILABLE: etcdserver: leader changed';
const NO_CONNECTION = '14 UNAVAILABLE: No connection established';
/** What a member answers a write while it hands its leadership over (etcd's ErrProposalDropped). */
const PROPOSAL_DROPPED = '2 UNKNOWN: raft proposal dropped';
/** A connection lost mid-request: `Unreachable`, without an election. */
const CONNECTION_LOST = 'connection lost';

/** A request that fails with each message of `failures` in turn (as the store's `#call` does), then answers. */
function failingThen(failures: string[]) {
  const sentAt: number[] = [];
  return {
    sentAt,
    send: async () => {
      sentAt.push(Date.now());
      const message = failures[sentAt.length - 1];
      if (message === undefined) return 'answer';
      // As the client fails: gRPC's error, which `toStorageError` turns into `Unreachable`.
      if (message === LEADER_CHANGED || message === PROPOSAL_DROPPED) throw toStorageError(new Error(message), KEY);
      throw Object.assign(new StorageError('Unreachable', KEY, message), { cause: new Error(message) });
    },
  };
}

const read = (endpoints: number) => ({
  endpoints,
  retryable: (err: unknown) => isStorageError(err, 'Unreachable'),
  closed: () => false,
});

describe('the etcd store’s retries', () => {
  it('sends a read that met an election again to the one endpoint there is, after a pause', async () => {
    const request = failingThen([LEADER_CHANGED, LEADER_CHANGED]);
    assert.equal(await withRetries(request.send, read(1)), 'answer');
    assert.equal(request.sentAt.length, 3);
    for (let i = 1; i < 3; i++) assert.ok(request.sentAt[i]! - request.sentAt[i - 1]! >= ELECTION_RETRY_MS - 1);
  });

  it('gives a read up when the election outlasts the window', async () => {
    const request = failingThen(Array(1000).fill(LEADER_CHANGED));
    const started = Date.now();
    await assert.rejects(withRetries(request.send, read(1)), /leader changed/);
    assert.ok(Date.now() - started <= ELECTION_RETRY_WINDOW_MS + 100);
    assert.ok(request.sentAt.length > 10);
  });

  it('sends a write that met an election once: its outcome is unknown', async () => {
    const request = failingThen([LEADER_CHANGED]);
    const write = { ...read(3), retryable: () => false };
    await assert.rejects(withRetries(request.send, write), /leader changed/);
    assert.equal(request.sentAt.length, 1);
  });

  it('sends a write that raft refused while the leadership moved again, after a pause: nothing was applied', async () => {
    const request = failingThen([PROPOSAL_DROPPED, PROPOSAL_DROPPED]);
    const write = { ...read(1), retryable: writeMayGoAgain };
    assert.equal(await withRetries(request.send, write), 'answer');
    assert.equal(request.sentAt.length, 3);
    for (let i = 1; i < 3; i++) assert.ok(request.sentAt[i]! - request.sentAt[i - 1]! >= ELECTION_RETRY_MS - 1);
    // Refused for longer than the window: a 503 (ask again), not the 500 of an unknown outcome.
    const refused = sentWriteError(toStorageError(new Error(PROPOSAL_DROPPED), KEY), KEY);
    assert.ok(isStorageError(refused, 'Unreachable'));
    assert.doesNotMatch((refused as Error).message, /may have been applied/);
    const unknown = sentWriteError(toStorageError(new Error(LEADER_CHANGED), KEY), KEY);
    assert.ok(isStorageError(unknown, 'Internal'));
  });

  it('tries another endpoint at once for other trouble: once per endpoint, more often when nothing was sent', async () => {
    const lost = failingThen(Array(10).fill(CONNECTION_LOST));
    await assert.rejects(withRetries(lost.send, read(3)), /connection lost/);
    assert.equal(lost.sentAt.length, 3);
    const unsent = failingThen(Array(100).fill(NO_CONNECTION));
    await assert.rejects(withRetries(unsent.send, read(3)), /No connection/);
    assert.equal(unsent.sentAt.length, 3 * NEVER_SENT_ATTEMPTS_PER_ENDPOINT);
  });

  it('stops once the store is closed', async () => {
    const request = failingThen([LEADER_CHANGED]);
    await assert.rejects(withRetries(request.send, { ...read(1), closed: () => true }), /leader changed/);
    assert.equal(request.sentAt.length, 1);
  });
});
