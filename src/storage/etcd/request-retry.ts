/**
 * How often the etcd store sends a request again, and when. Apart from the store so the policy
 * can be checked against failures made to order (test/storage/request-retry.test.ts).
 *
 * - Never sent (no connection to the endpoint the client picked): again at once, up to
 *   `NEVER_SENT_ATTEMPTS_PER_ENDPOINT` per endpoint, since the client picks endpoints at random.
 * - Met an election (etcd's "leader changed" or "no leader", a read asked while the leadership
 *   moves; "raft proposal dropped", a write refused by raft while it does): again after
 *   `ELECTION_RETRY_MS`, for up to `ELECTION_RETRY_WINDOW_MS`, also with one endpoint: the same
 *   member answers once the election is over (a live migration's leader move takes
 *   milliseconds). etcd's own client retries such reads the same way, so the Kubernetes API
 *   server never shows them to its clients.
 * - Anything else `retryable` accepts: once per endpoint.
 */
import { metElection, neverSent, proposalDropped } from './etcd-errors.js';

/** With one of three members dead, 12 random picks all landing on it: (1/3)^12, about 2e-6. */
export const NEVER_SENT_ATTEMPTS_PER_ENDPOINT = 4;
/** etcd clientv3's backoff between retries of a read (`defaultBackoffWaitBetween`). */
export const ELECTION_RETRY_MS = 25;
/** How long a read waits out an election: several election timeouts of a busy member. */
export const ELECTION_RETRY_WINDOW_MS = 2_000;

export interface RetryPolicy {
  /** Endpoints the client picks from. */
  endpoints: number;
  /** Whether a failure may be sent again at all (reads: any `Unreachable`; writes: `writeMayGoAgain`). */
  retryable: (err: unknown) => boolean;
  /** Stops retrying once the store is closed. */
  closed: () => boolean;
}

/** `send`, and again as the policy says; the last failure when it gives up. */
export async function withRetries<T>(send: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!policy.retryable(err) || policy.closed()) throw err;
      if (metElection(err) || proposalDropped(err)) {
        if (Date.now() - started + ELECTION_RETRY_MS > ELECTION_RETRY_WINDOW_MS) throw err;
        await new Promise((resolve) => setTimeout(resolve, ELECTION_RETRY_MS));
        continue;
      }
      const attempts = neverSent(err) ? NEVER_SENT_ATTEMPTS_PER_ENDPOINT * policy.endpoints : policy.endpoints;
      if (attempt >= attempts) throw err;
    }
  }
}
