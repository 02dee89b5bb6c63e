/**
 * Delta snapshots: a continuous watch of every key in etcd, and the saving of the events it
 * delivered as `Incr-<start>-<last>-<time>` objects.
 *
 * The watch never gives up: a broken stream (etcd restarted, network trouble) is reopened from
 * the revision after the last one delivered, so no event is lost or delivered twice. Only a
 * start revision that compaction removed ends it (`onCompacted`): the history needed is gone and
 * only a full snapshot can bridge the gap.
 */
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Etcd3, IKeyValue, IWatchResponse } from 'etcd3';
import type { Logger } from 'pino';
import { closeStream, type WatchStream } from '../../storage/etcd/etcd-watcher.js';
import { prefixRange } from '../../storage/etcd/key-range.js';
import { WatchFragments } from '../../storage/etcd/watch-fragments.js';
import type { DeltaEvent, DeltaKeyValue, DeltaSnapshotWriter } from '../snapshot-format.js';
import { newSnapshot } from '../snapstore/snapshot-name.js';
import type { Snapshot, Snapstore } from '../snapstore/snapstore.js';

export interface EventWatchHandlers {
  /** Events of whole revisions, in order, each revision once. */
  onEvents(events: DeltaEvent[]): void;
  /** The watch ended because the revisions it needs were compacted (up to `compactRevision`). */
  onCompacted(compactRevision: number): void;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;
const ALL_KEYS = prefixRange('');

/** A watch of all keys from a revision on that survives etcd restarts. */
export class EtcdEventWatch {
  readonly #client: Etcd3;
  readonly #handlers: EventWatchHandlers;
  readonly #log: Logger;
  /** Every event up to this revision has been delivered (a revision is whole once its response is). */
  #receivedThrough: number;
  /** Every event up to this revision has come from etcd: delivered, or waiting in `#undelivered`. */
  #queuedThrough: number;
  /** Events received and not delivered yet, oldest first (see `#deliver`). */
  #undelivered: DeltaEvent[] = [];
  /** The fragments of a response not complete yet (the create request asks for fragments). */
  readonly #fragments = new WatchFragments<DeltaEvent>();
  #delivering = false;
  #stream: WatchStream | undefined;
  #stopped = false;
  #paused = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs = FIRST_RETRY_MS;
  #failures = 0;
  readonly #waiters = new Set<{ revision: number; resolve: (reached: boolean) => void }>();

  /** Watches events with revision `fromRevision` and later. */
  constructor(client: Etcd3, fromRevision: number, handlers: EventWatchHandlers, logger: Logger) {
    this.#client = client;
    this.#receivedThrough = fromRevision - 1;
    this.#queuedThrough = fromRevision - 1;
    this.#handlers = handlers;
    this.#log = logger;
  }

  get receivedThrough(): number {
    return this.#receivedThrough;
  }

  start(): void {
    void this.#open();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    if (this.#stream) closeStream(this.#stream);
    this.#stream = undefined;
    this.#undelivered = [];
    for (const waiter of this.#waiters) waiter.resolve(false);
    this.#waiters.clear();
  }

  /** Stops reading (gRPC flow control then holds etcd back) while the consumer cannot keep up. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#stream?.pause?.();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#undelivered.length === 0) this.#stream?.resume?.();
  }

  /**
   * Resolves true once every event up to `revision` was delivered, false after `timeoutMs` or
   * when the watch stops. Every etcd revision comes from a write, so a watch of all keys sees an
   * event at each one.
   */
  waitUntilReceived(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.#receivedThrough >= revision) return Promise.resolve(true);
    if (this.#stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        revision,
        resolve: (reached: boolean) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.resolve(false), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  async #open(): Promise<void> {
    if (this.#stopped) return;
    let stream: WatchStream;
    try {
      stream = await this.#client.watchClient.watch();
    } catch (err) {
      this.#retry(err);
      return;
    }
    if (this.#stopped) {
      closeStream(stream);
      return;
    }
    this.#stream = stream;
    this.#fragments.reset();
    stream.on('error', (err) => this.#broken(stream, err));
    stream.on('end', () => this.#broken(stream, new Error('the etcd watch stream ended')));
    stream.on('data', (response) => {
      if (stream === this.#stream) this.#receive(response);
    });
    if (this.#paused || this.#undelivered.length > 0) stream.pause?.();
    stream.write({
      create_request: {
        key: ALL_KEYS.key,
        range_end: ALL_KEYS.rangeEnd,
        start_revision: this.#queuedThrough + 1,
        fragment: true,
      },
    });
  }

  #receive(response: IWatchResponse): void {
    if (response.canceled) {
      const compacted = Number(response.compact_revision);
      if (compacted > 0) {
        this.stop();
        this.#handlers.onCompacted(compacted);
      } else {
        this.#broken(
          this.#stream,
          new Error(`etcd canceled the watch: ${response.cancel_reason || 'no reason given'}`),
        );
      }
      return;
    }
    if (response.created) {
      if (this.#failures > 0) this.#log.info({ fromRevision: this.#receivedThrough + 1 }, 'delta watch reconnected');
      this.#failures = 0;
      this.#retryMs = FIRST_RETRY_MS;
      return;
    }
    // A reopened stream starts after the last complete revision; nothing older comes twice.
    const events = this.#fragments.take(
      response,
      response.events.filter((event) => Number(event.kv.mod_revision) > this.#queuedThrough).map(toDeltaEvent),
    );
    if (!events || events.length === 0) return;
    this.#queuedThrough = (events.at(-1) as DeltaEvent).kv.modRevision;
    for (const event of events) this.#undelivered.push(event);
    if (!this.#delivering) this.#deliver();
  }

  /**
   * Hands the received events over in slices of whole revisions of about DELIVERY_SLICE_BYTES
   * (10-20 ms of encoding at 100 KiB values), the event loop free between two slices, and etcd
   * held back (flow control) until all are delivered. A response of a watch catching up holds up
   * to 1,000 revisions (etcd's watchBatchMaxRevs; it arrives in fragments, watch-fragments.ts):
   * at 100 KiB values, encoded in one go, that stalled the seed process, and every shoot API
   * server in it, for a second.
   */
  #deliver(): void {
    if (this.#stopped) return;
    this.#delivering = true;
    const slice = takeRevisions(this.#undelivered, DELIVERY_SLICE_BYTES);
    this.#receivedThrough = (slice.at(-1) as DeltaEvent).kv.modRevision;
    try {
      this.#handlers.onEvents(slice);
    } finally {
      for (const waiter of this.#waiters) {
        if (this.#receivedThrough >= waiter.revision) waiter.resolve(true);
      }
      if (this.#undelivered.length > 0 && !this.#stopped) {
        this.#stream?.pause?.();
        setImmediate(() => this.#deliver());
      } else {
        this.#delivering = false;
        if (!this.#paused) this.#stream?.resume?.();
      }
    }
  }

  #broken(stream: WatchStream | undefined, err: Error): void {
    if (!stream || stream !== this.#stream || this.#stopped) return;
    this.#stream = undefined;
    closeStream(stream);
    this.#retry(err);
  }

  #retry(err: unknown): void {
    if (this.#stopped) return;
    this.#failures++;
    // The first failure of a run is worth a warning; the retries after it are noise.
    const level = this.#failures === 1 ? 'warn' : 'debug';
    this.#log[level](
      { err: err instanceof Error ? err.message : String(err), retryInMs: this.#retryMs },
      'delta watch lost its stream; reopening',
    );
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#open();
    }, this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
  }
}

function toKeyValue(kv: IKeyValue): DeltaKeyValue {
  return {
    key: kv.key,
    value: kv.value ?? Buffer.alloc(0),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: Number(kv.lease),
  };
}

/** Bytes of keys and values handed to the consumer at once (a slice holds at least one revision). */
export const DELIVERY_SLICE_BYTES = 1024 * 1024;

/**
 * Removes and returns the oldest events of `queue`: whole revisions, until their keys and values
 * reach `maxBytes` (at least one revision, however large).
 */
export function takeRevisions(queue: DeltaEvent[], maxBytes: number): DeltaEvent[] {
  let bytes = 0;
  let end = 0;
  while (end < queue.length) {
    const revision = (queue[end] as DeltaEvent).kv.modRevision;
    if (end > 0 && bytes >= maxBytes) break;
    while (end < queue.length && (queue[end] as DeltaEvent).kv.modRevision === revision) {
      bytes += eventBytes(queue[end] as DeltaEvent);
      end++;
    }
  }
  return queue.splice(0, end);
}

function eventBytes(event: DeltaEvent): number {
  return (
    event.kv.key.length +
    event.kv.value.length +
    (event.prevKv ? event.prevKv.key.length + event.prevKv.value.length : 0)
  );
}

function toDeltaEvent(event: IWatchResponse['events'][number]): DeltaEvent {
  return {
    type: String(event.type).toUpperCase() === 'DELETE' ? 'DELETE' : 'PUT',
    kv: toKeyValue(event.kv),
    ...(event.prev_kv ? { prevKv: toKeyValue(event.prev_kv) } : {}),
    time: new Date(),
  };
}

export interface SaveDeltaOptions {
  /** Default none. */
  compression?: Snapshot['compression'];
  now?: Date;
  signal?: AbortSignal;
}

/**
 * Saves the events of `writer` as the delta following a snapshot whose last revision is
 * `previousRevision`: `Incr-<previousRevision + 1>-<last event's revision>-<time>`.
 */
export async function saveDeltaSnapshot(
  store: Snapstore,
  previousRevision: number,
  writer: DeltaSnapshotWriter,
  options: SaveDeltaOptions = {},
): Promise<Snapshot> {
  if (writer.events === 0) throw new RangeError('a delta snapshot needs at least one event');
  const snapshot = newSnapshot('Incr', previousRevision + 1, writer.lastRevision, {
    compression: options.compression ?? 'none',
    now: options.now ?? new Date(),
  });
  // Streamed as the parts it was appended in: the store hashes and writes one event at a time.
  const raw = Readable.from(writer.finishParts());
  const bytes = snapshot.compression === 'gzip' ? raw.pipe(createGzip()) : raw;
  try {
    await store.save(snapshot, bytes, options.signal ? { signal: options.signal } : {});
  } catch (err) {
    throw new Error(
      `delta snapshot ${snapshot.name}: saving to ${store.location} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return snapshot;
}
