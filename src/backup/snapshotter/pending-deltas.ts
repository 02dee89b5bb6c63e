/**
 * The events of the delta chain that the store does not hold yet, and the revision the chain has
 * reached. The snapshotter decides when to save; this keeps what a save must contain:
 *
 * - An event at or below the chain's revision is in a saved snapshot already and is dropped.
 * - Deltas whose save failed are kept, oldest first, and saved before newer events.
 * - While a full snapshot runs, events are held aside; once it is saved at R, everything
 *   buffered is in it, and the held events are taken in again against R.
 * - The memory they take is counted, so the snapshotter can pause the watch.
 */
import type { Logger } from 'pino';
import { type DeltaEvent, DeltaSnapshotWriter } from '../snapshot-format.js';
import type { Snapshot, Snapstore } from '../snapstore/snapstore.js';
import { saveDeltaSnapshot } from './delta-snapshots.js';

/** What a held event costs beyond its key and value (base64 growth, JSON field names). */
const EVENT_OVERHEAD_BYTES = 200;

export class PendingDeltas {
  readonly #memoryLimit: number;
  /** The last revision of the latest snapshot in the chain: the next delta starts after it. */
  #chainRevision = 0;
  /** Events after `#chainRevision` not yet in a saved delta. */
  #writer = new DeltaSnapshotWriter();
  /** Deltas whose save failed, oldest first; saved before `#writer`. */
  #unsaved: DeltaSnapshotWriter[] = [];
  /** Events that arrived while a full snapshot runs. */
  #held: DeltaEvent[] | undefined;
  #heldBytes = 0;

  /** `memoryLimit`: buffered event bytes that call for a delta before its period ends. */
  constructor(memoryLimit: number) {
    this.#memoryLimit = memoryLimit;
  }

  get chainRevision(): number {
    return this.#chainRevision;
  }

  /** Continues the chain after a snapshot already in the store whose last revision is `revision`. */
  continueAfter(revision: number): void {
    this.#chainRevision = revision;
  }

  /** No events wait to be saved. */
  get isEmpty(): boolean {
    return this.#writer.events === 0 && this.#unsaved.length === 0;
  }

  /** Events waiting to be saved, buffered or in deltas whose save failed. */
  get events(): number {
    return this.#writer.events + this.#unsaved.reduce((sum, writer) => sum + writer.events, 0);
  }

  /**
   * Takes in watched events: held while a full snapshot runs, else buffered for the next delta.
   * Returns whether the buffer has reached the memory limit, so a delta should be saved now.
   */
  accept(events: readonly DeltaEvent[]): boolean {
    for (const event of events) {
      if (event.kv.modRevision <= this.#chainRevision) continue;
      if (this.#held) {
        this.#held.push(event);
        this.#heldBytes += event.kv.key.length + event.kv.value.length + EVENT_OVERHEAD_BYTES;
      } else {
        this.#writer.append(event);
      }
    }
    return !this.#held && this.#writer.bytes >= this.#memoryLimit;
  }

  /** More than the memory limit waits: held during a full snapshot, or buffered and unsaved. */
  get overMemoryLimit(): boolean {
    const unsavedBytes = this.#unsaved.reduce((sum, writer) => sum + writer.bytes, 0);
    return this.#heldBytes >= this.#memoryLimit || unsavedBytes + this.#writer.bytes >= 2 * this.#memoryLimit;
  }

  /** Holds events aside from now on: a full snapshot starts. */
  hold(): void {
    this.#held = [];
    this.#heldBytes = 0;
  }

  /** Stops holding events and returns those held, to be accepted again. */
  release(): DeltaEvent[] {
    const held = this.#held ?? [];
    this.#held = undefined;
    this.#heldBytes = 0;
    return held;
  }

  /**
   * A full snapshot was saved. Everything buffered was committed before its revision was read,
   * so the snapshot has it; the chain continues after it.
   */
  coveredBy(snapshot: Snapshot): void {
    this.#writer = new DeltaSnapshotWriter();
    this.#unsaved = [];
    this.#chainRevision = snapshot.lastRevision;
  }

  /** Saves unsaved and buffered events as deltas, oldest first; the last one saved, if any. */
  async save(
    store: Snapstore,
    options: { compression: 'gzip' | 'none'; timeoutMs: number; logger: Logger },
  ): Promise<Snapshot | undefined> {
    if (this.#writer.events > 0) {
      this.#unsaved.push(this.#writer);
      this.#writer = new DeltaSnapshotWriter();
    }
    let saved: Snapshot | undefined;
    while (this.#unsaved.length > 0) {
      const writer = this.#unsaved[0] as DeltaSnapshotWriter;
      const snapshot = await saveDeltaSnapshot(store, this.#chainRevision, writer, {
        compression: options.compression,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      this.#unsaved.shift();
      this.#chainRevision = snapshot.lastRevision;
      saved = snapshot;
      options.logger.info(
        { snapshot: snapshot.name, events: writer.events, bytes: writer.bytes },
        'delta snapshot saved',
      );
    }
    return saved;
  }
}
