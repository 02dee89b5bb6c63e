/**
 * A gate in front of an etcd store's linearizable reads, closed for the moment an etcd cluster
 * shrinks to one voter (a single-member shoot's live migration removing the source member).
 *
 * Why: etcd 3.4 answers a linearizable read once a heartbeat round sent after it is acknowledged
 * by a quorum. A round the leader sent while the configuration still had two voters needs the
 * other voter's answer, which stops once that member applies its own removal; the leader looks at
 * the round again only when some answer comes, and as the single voter it gets none. The round is
 * then abandoned by etcd's read loop after 500 ms (`readIndexRetryTime`), and every read of the
 * cluster waits that long. Held here, no read is under way when the configuration changes: the
 * reads that came in meanwhile wait the few milliseconds of the removal instead.
 */

/** Lets the reads through again; calling it twice is harmless. */
export type ReleaseReads = () => void;

/** Longest a hold keeps reads back when its holder never lets go (its removal hung). */
export const MAX_READ_HOLD_MS = 1_000;

export class ReadGate {
  #inFlight = 0;
  #idle: (() => void)[] = [];
  /** Resolves once the current hold is released; undefined while the gate is open. */
  #held: Promise<void> | undefined;

  /** `read`, once no hold keeps it back; a hold waits for it to end. */
  async through<T>(read: () => Promise<T>): Promise<T> {
    while (this.#held) await this.#held;
    this.#inFlight++;
    try {
      return await read();
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake();
    }
  }

  /** Reads under way right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Closes the gate and resolves once no read is under way (or `maxMs` passed, whichever is
   * first): new reads wait until the release, which also comes by itself after `maxMs`. A second
   * hold waits for the first one's release.
   */
  async hold(maxMs = MAX_READ_HOLD_MS): Promise<ReleaseReads> {
    while (this.#held) await this.#held;
    let open!: () => void;
    const held = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.#held = held;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.#held = undefined;
      open();
    };
    const timer = setTimeout(release, maxMs);
    if (this.#inFlight > 0) {
      // Whichever is first: the last read ends, or the hold runs out.
      await Promise.race([new Promise<void>((resolve) => this.#idle.push(resolve)), held]);
    }
    return release;
  }
}
