/**
 * Turns what the etcd client throws into `StorageError`s: connection trouble (unavailable,
 * deadline, a closed client, an election) is `Unreachable`, a compacted revision `Expired`, the rest `Internal`.
 * A write that met connection trouble after it was sent is `Internal` (`sentWriteError`).
 */
import { ClientClosedError, isRecoverableError } from 'etcd3';
import { StorageError } from '../interface.js';

/** etcd's ErrCompacted: a read or watch asked for history that compaction removed. */
export const COMPACTED_MESSAGE = 'required revision has been compacted';
/** etcd's ErrFutureRev: a read asked for a revision the store has not reached. */
export const FUTURE_REVISION_MESSAGE = 'required revision is a future revision';
/**
 * etcd's ErrLeaderChanged: a linearizable read met an election (a member just killed). Transient,
 * as an unreachable member is: a read goes again, a write's outcome stays unknown to the caller.
 */
export const LEADER_CHANGED_MESSAGE = 'etcdserver: leader changed';
/** etcd's ErrNoLeader: a member asked while no leader is elected. */
export const NO_LEADER_MESSAGE = 'etcdserver: no leader';

/**
 * etcd's ErrProposalDropped: the member's raft refused a write before taking it into its log (its
 * leadership was being transferred, as at a live migration's leader move, or it had no leader).
 * Nothing of it was applied, so it may go again, as a write that was never sent may.
 */
export const PROPOSAL_DROPPED_MESSAGE = 'raft proposal dropped';

/** The message of what the client threw: of a `StorageError`'s cause, or of `err` itself. */
function clientMessage(err: unknown): string {
  const cause = err instanceof StorageError ? err.cause : err;
  return cause instanceof Error ? cause.message : '';
}

/** Whether etcd refused a write before raft took it (`PROPOSAL_DROPPED_MESSAGE`). */
export function proposalDropped(err: unknown): boolean {
  return clientMessage(err).includes(PROPOSAL_DROPPED_MESSAGE);
}

/** Whether etcd answered that its leadership was changing (the request reached a member). */
export function metElection(err: unknown): boolean {
  const message = clientMessage(err);
  return message.includes(LEADER_CHANGED_MESSAGE) || message.includes(NO_LEADER_MESSAGE);
}

export function toStorageError(err: unknown, key: string): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  let code: StorageError['code'] = 'Internal';
  if (message.includes(COMPACTED_MESSAGE)) code = 'Expired';
  else if (
    err instanceof ClientClosedError ||
    message.includes(LEADER_CHANGED_MESSAGE) ||
    message.includes(PROPOSAL_DROPPED_MESSAGE) ||
    (err instanceof Error && isRecoverableError(err))
  )
    code = 'Unreachable';
  const wrapped = new StorageError(code, key, `etcd: ${message}`);
  wrapped.cause = err;
  return wrapped;
}

/**
 * Whether the client gave up before sending the request: gRPC found no connection to the endpoint
 * it picked (UNAVAILABLE "No connection established"), so a write may go to another endpoint.
 */
export function neverSent(err: unknown): boolean {
  return clientMessage(err).includes('No connection established');
}

/** Whether a failed write may be sent again: nothing of it reached raft's log. */
export function writeMayGoAgain(err: unknown): boolean {
  return neverSent(err) || proposalDropped(err);
}

/**
 * What a write fails with once the client sent it: an `Unreachable` (a deadline, an election, a
 * connection lost mid-request) leaves its outcome unknown, so it is no longer the 503 of a store
 * that could not be asked (nothing happened, ask again) but `Internal`, a 500, as the Kubernetes
 * API server answers "etcdserver: leader changed" or "request timed out" on a write: the client
 * has to read to know. A write that never left (no connection, the store closed) or that raft
 * refused stays `Unreachable`.
 */
export function sentWriteError(err: unknown, key: string): unknown {
  if (!(err instanceof StorageError) || err.code !== 'Unreachable' || err.cause === undefined || writeMayGoAgain(err)) {
    return err;
  }
  const unknown = new StorageError('Internal', key, `${err.message} (the write may have been applied)`);
  unknown.cause = err.cause;
  return unknown;
}
