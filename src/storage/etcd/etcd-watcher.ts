/**
 * One etcd watch as a `Watcher`: its own gRPC watch stream, events queued for a consumer that
 * reads at its own pace. A full queue pauses the stream (gRPC flow control then holds etcd back)
 * instead of growing without bound. A broken stream is reopened from the revision after the last
 * one delivered, so a restarted or briefly unreachable etcd loses no event; only when etcd stays
 * unreachable for longer than the reconnect timeout does the watch fail, with `Unreachable`. A
 * start revision that compaction removed fails it with `Expired`.
 *
 * Every watch asks for etcd's progress notifications: a response without events, sent in order
 * with the events (only while the watch is caught up), whose revision says that every change up to
 * it has been sent. A reopened stream then starts there, not at the last event of a quiet prefix
 * (etcd reads every change since a watch's start revision, under every prefix, to catch it up);
 * with `progress` the watch also hands each one on as a `StoreProgress`.
 */
import type { IDuplexStream, IWatchCreateRequest, IWatchRequest, IWatchResponse } from 'etcd3';
import { EventQueue } from '../event-queue.js';
import { StorageError, type StoreEvent, type StoreProgress, type Watcher } from '../interface.js';
import { toStorageError } from './etcd-errors.js';
import { WatchFragments } from './watch-fragments.js';

/** The gRPC stream under `IDuplexStream`, which is a Node stream with flow control. */
export type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse> & { pause?(): void; resume?(): void };

export interface EtcdWatcherOptions {
  /** The watched prefix, for error messages. */
  prefix: string;
  /** Events at or below this revision are not delivered; the watch starts at the next one. */
  afterRevision: number;
  /**
   * Runs once before the first stream opens (e.g. checks that the start revision is not
   * compacted); an `Unreachable` failure is retried like a lost stream, any other ends the watch.
   */
  checkStart?: () => Promise<void>;
  /** Opens a new watch stream. */
  openStream: () => Promise<WatchStream>;
  /** The create request for a watch starting at `startRevision`. */
  createRequest: (startRevision: number) => IWatchCreateRequest;
  /** The events of one response; may throw a `StorageError`, which ends the watch. */
  toEvents: (response: IWatchResponse) => StoreEvent[];
  /** How long etcd may stay unreachable before the watch fails. */
  reconnectTimeoutMs: number;
  /** Called once when the watch ends for any reason. */
  onEnd: (watcher: EtcdWatcher) => void;
  /** Hand etcd's progress notifications on as `StoreProgress` (`Storage.watchProgress`). */
  progress?: boolean;
}

/** Queued events at which the stream is paused, and the count it resumes at. */
const HIGH_WATER = 1_000;
const LOW_WATER = 100;
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;

/**
 * Without `progress` no `StoreProgress` is ever queued, so the watcher is a `Watcher` of events
 * alone (`asEventWatcher`).
 */
export class EtcdWatcher implements Watcher<StoreEvent | StoreProgress> {
  readonly prefix: string;
  readonly #options: EtcdWatcherOptions;
  readonly #queue = new EventQueue<StoreEvent | StoreProgress>();
  /** Every event up to this revision has been queued (a revision is whole once its response is). */
  #receivedThrough: number;
  /** The fragments of a response not complete yet (the create request asks for fragments). */
  readonly #fragments = new WatchFragments<StoreEvent>();
  #stream: WatchStream | undefined;
  #paused = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs = FIRST_RETRY_MS;
  #checked = false;
  /** When the current run of failed (re)connects began. */
  #unreachableSince: number | undefined;

  constructor(options: EtcdWatcherOptions) {
    this.prefix = options.prefix;
    this.#options = options;
    this.#receivedThrough = options.afterRevision;
  }

  /** Opens the stream; failures surface through iteration. */
  start(): void {
    void this.#open();
  }

  /** Ends the watch with `err`: queued events are dropped and the consumer's next read throws it. */
  fail(err: StorageError): void {
    if (this.#queue.fail(err)) this.#release();
  }

  /** Ends the watch normally: queued events are dropped and iteration finishes. */
  stop(): void {
    if (this.#queue.end()) this.#release();
  }

  /** This watcher as the events-only `Watcher` it is when made without `progress`. */
  asEventWatcher(): Watcher {
    if (this.#options.progress) throw new TypeError('a watcher with progress yields more than events');
    return this as Watcher<StoreEvent | StoreProgress> as Watcher;
  }

  async next(): Promise<IteratorResult<StoreEvent | StoreProgress, undefined>> {
    const event = await this.#queue.read();
    if (this.#paused && this.#queue.length <= LOW_WATER) {
      this.#paused = false;
      this.#stream?.resume?.();
    }
    return event ? { done: false, value: event } : { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterator<StoreEvent | StoreProgress, undefined> {
    return {
      next: () => this.next(),
      // `break` out of for-await lands here.
      return: async () => {
        this.stop();
        return { done: true, value: undefined };
      },
    };
  }

  async #open(): Promise<void> {
    if (this.#queue.ended) return;
    let stream: WatchStream;
    try {
      if (!this.#checked) {
        await this.#options.checkStart?.();
        this.#checked = true;
      }
      stream = await this.#options.openStream();
    } catch (err) {
      const failure = toStorageError(err, this.prefix);
      if (failure.code === 'Unreachable') this.#retry(failure);
      else this.fail(failure);
      return;
    }
    stream.on('error', (err) => this.#broken(stream, err));
    stream.on('end', () => this.#broken(stream, new Error('the etcd watch stream ended')));
    if (this.#queue.ended) {
      closeStream(stream);
      return;
    }
    this.#stream = stream;
    this.#fragments.reset();
    stream.on('data', (response) => {
      if (stream === this.#stream) this.#receive(response);
    });
    stream.write({
      create_request: {
        ...this.#options.createRequest(this.#receivedThrough + 1),
        fragment: true,
        progress_notify: true,
      },
    });
  }

  #receive(response: IWatchResponse): void {
    if (response.canceled) {
      const compacted = Number(response.compact_revision);
      this.fail(
        compacted > 0
          ? new StorageError(
              'Expired',
              this.prefix,
              `too old resource version: ${this.#receivedThrough} (${compacted})`,
            )
          : new StorageError(
              'Internal',
              this.prefix,
              `etcd canceled the watch of "${this.prefix}": ${response.cancel_reason || 'no reason given'}`,
            ),
      );
      return;
    }
    if (response.created) {
      this.#unreachableSince = undefined;
      this.#retryMs = FIRST_RETRY_MS;
      return;
    }
    if (isProgressNotification(response)) {
      this.#progressed(Number(response.header?.revision ?? 0));
      return;
    }
    let received: StoreEvent[];
    try {
      received = this.#options.toEvents(response);
    } catch (err) {
      this.fail(toStorageError(err, this.prefix));
      return;
    }
    const events = this.#fragments.take(response, received);
    if (!events) return;
    let last = this.#receivedThrough;
    for (const event of events) {
      // A reopened stream starts after the last complete revision; nothing older comes twice.
      if (event.revision <= this.#receivedThrough) continue;
      last = Math.max(last, event.revision);
      this.#push(event);
      if (this.#queue.ended) return;
    }
    this.#receivedThrough = last;
  }

  /** etcd has sent every change through `revision`: a reopened stream starts after it. */
  #progressed(revision: number): void {
    if (!(revision > this.#receivedThrough)) return;
    this.#receivedThrough = revision;
    if (this.#options.progress) this.#push({ type: 'PROGRESS', revision });
  }

  #push(event: StoreEvent | StoreProgress): void {
    this.#queue.push(event);
    if (!this.#paused && this.#queue.length >= HIGH_WATER) {
      this.#paused = true;
      this.#stream?.pause?.();
    }
  }

  /** A stream failed or ended: reopen it after a pause, unless etcd has been unreachable too long. */
  #broken(stream: WatchStream, err: Error): void {
    if (stream !== this.#stream || this.#queue.ended) return;
    this.#stream = undefined;
    this.#paused = false;
    closeStream(stream);
    this.#retry(err);
  }

  #retry(err: unknown): void {
    if (this.#queue.ended) return;
    const now = Date.now();
    this.#unreachableSince ??= now;
    if (now - this.#unreachableSince >= this.#options.reconnectTimeoutMs) {
      const reason = err instanceof Error ? err.message : String(err);
      this.fail(
        new StorageError(
          'Unreachable',
          this.prefix,
          `the watch of "${this.prefix}" could not reach etcd for ${now - this.#unreachableSince} ms: ${reason}`,
        ),
      );
      return;
    }
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#open();
    }, this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
  }

  /** Lets go of the stream and timers once the queue has ended. */
  #release(): void {
    clearTimeout(this.#retryTimer);
    if (this.#stream) {
      closeStream(this.#stream);
      this.#stream = undefined;
    }
    this.#options.onEnd(this);
  }
}

/**
 * etcd's progress notification: no events, neither the answer to the create request nor a
 * cancellation nor a fragment (etcd 3.4 sends it only to a watch that is caught up, through the
 * same channel as the watch's events, so none at or below its revision is still to come).
 */
function isProgressNotification(response: IWatchResponse): boolean {
  return !response.created && !response.canceled && response.fragment !== true && (response.events?.length ?? 0) === 0;
}

/**
 * Half-closes, then cancels. Half-closing first matters: the client library treats an error on a
 * still-writable stream (the cancellation's own CANCELLED included) as a failed host and closes
 * every client it holds for that host, so each stopped watch would make the store redial etcd.
 */
export function closeStream(stream: WatchStream): void {
  try {
    stream.end();
  } catch {
    // Already closed.
  }
  stream.cancel();
}
