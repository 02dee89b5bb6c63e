/**
 * Fragmented etcd watch responses, put back together.
 *
 * A watch that catches up gets up to 1,000 revisions in one response (etcd's `watchBatchMaxRevs`).
 * At 100 KiB values that is a gRPC message of up to 100 MB (200 MB with `prev_kv`), which grpc-js
 * copies into one Buffer and decodes in one go: the seed process, and every shoot API server in it,
 * stalled for 150-400 ms at a time while a 500 MB etcd was filled or migrated. A watch created with
 * `fragment: true` gets such a response as fragments of at most etcd's request limit and 512 KiB
 * (2 MiB by default), each decoded on its own, the event loop free between them.
 *
 * A fragment may end in the middle of a revision (a deletion of many keys, the previous values
 * of a transaction), and a watch reopened after a broken stream starts at the revision after the
 * last complete one. So the events of a fragmented response are held until its last fragment (the
 * one without `fragment` set) and handed over together; a broken stream drops what it held, and
 * the reopened watch sends those revisions again.
 */

/** Whether an etcd watch response is a fragment with more to come (`fragment` in the proto). */
export interface FragmentFlag {
  fragment?: boolean;
}

export class WatchFragments<T> {
  #held: T[] = [];

  /**
   * The events of `response` with those of the fragments before it, once `response` completes
   * them; undefined while more fragments follow.
   */
  take(response: FragmentFlag, events: readonly T[]): T[] | undefined {
    if (response.fragment === true) {
      for (const event of events) this.#held.push(event);
      return undefined;
    }
    if (this.#held.length === 0) return [...events];
    const all = this.#held;
    this.#held = [];
    for (const event of events) all.push(event);
    return all;
  }

  /** A new stream: the fragments held from the broken one come again, whole. */
  reset(): void {
    this.#held = [];
  }
}
