/**
 * The etcd backend of `Storage`, with the Kubernetes etcd3 store's semantics: one etcd key per
 * object (`<prefix><key>`, so shoot API servers with an empty prefix use `/registry/...` keys
 * directly), the value the object's JSON without `metadata.resourceVersion`, and the
 * resourceVersion the key's mod revision. Writes are transactions that compare revisions:
 * create needs `createRevision == 0`, update and delete the mod revision they read. Lists read
 * one snapshot: the first page at the current revision, later pages at the revision their
 * continue token carries. Watches are etcd watches with the previous value, so MODIFIED and
 * DELETED events carry `prevObject`.
 *
 * Reads that fail to reach an endpoint are retried on another one, and reads that met an
 * election on the same one once it is over; writes only when they were never sent (no connection
 * to the endpoint), else (their outcome is unknown) they fail with `Unreachable` for the caller
 * to retry (request-retry.ts).
 */
import {
  CompareResult,
  CompareTarget,
  Etcd3,
  type IKeyValue,
  type IOptions,
  type IResponseHeader,
  type IWatchResponse,
} from 'etcd3';
import type { KubeObject } from '../../api/meta.js';
import { decodeContinue, encodeContinue } from '../continue-token.js';
import {
  isStorageError,
  type ListOptions,
  type ListResult,
  type Preconditions,
  type Storage,
  StorageError,
  type StoreEvent,
  type StoreProgress,
  type UpdateFunc,
  type Watcher,
  type WatchOptions,
} from '../interface.js';
import { checkPreconditions } from '../preconditions.js';
import { FUTURE_REVISION_MESSAGE, sentWriteError, toStorageError, writeMayGoAgain } from './etcd-errors.js';
import { EtcdWatcher } from './etcd-watcher.js';
import { prefixRange, rangeStart } from './key-range.js';
import { decodeObject, encodeObject } from './object-codec.js';
import { ReadGate, type ReleaseReads } from './read-gate.js';
import { withRetries } from './request-retry.js';

export interface EtcdStoreOptions {
  /** Client URLs of the cluster's members, `http://` or `https://` (all the same). */
  endpoints: readonly string[];
  /** The CA that signed the members' certificates, and the client certificate to present. */
  tls?: { caPem: string; certPem?: string; keyPem?: string };
  /** Prepended to every key; default '' (keys are used as they are). */
  prefix?: string;
  /** Deadline of each request, in ms (default 15_000). */
  requestTimeoutMs?: number;
  /** How long a watch keeps reconnecting to an unreachable etcd before it fails (default 30_000 ms). */
  watchReconnectTimeoutMs?: number;
  /** The bytes of values one range request of a list reads at most (default 4 MiB; see `DEFAULT_RANGE_BYTES`). */
  rangeBytes?: number;
}

const DEFAULTS = Object.freeze({
  prefix: '',
  requestTimeoutMs: 15_000,
  watchReconnectTimeoutMs: 30_000,
});

/** Keys one range request reads while a list scans for matches. */
const SCAN_BATCH = 500;
/**
 * The bytes of values one range request of a list reads at most, as far as the sizes seen so far
 * tell. etcd 3.4 holds its backend's read lock for a whole range and a commit waits for it: a
 * range of 500 ConfigMaps of 100 KiB (50 MB; keys-only or not, etcd reads the values) held every
 * write of the cluster for 300-400 ms.
 */
const DEFAULT_RANGE_BYTES = 4 * 1024 * 1024;
/** Keys the first range of a list reads under a prefix whose value sizes are not known yet. */
const FIRST_RANGE_KEYS = 50;
/** Prefixes whose value sizes are remembered; more start the memory afresh. */
const MAX_SIZED_PREFIXES = 1024;
/** The key the cheapest possible request reads, for the current revision. */
const PROBE_KEY = Buffer.from([0]);

const EXPIRED_CONTINUE_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';

/** Opens a store and checks that etcd answers; `Unreachable` when it does not. */
export async function openEtcdStore(options: EtcdStoreOptions): Promise<EtcdStore> {
  const store = new EtcdStore(options);
  try {
    await store.currentRevision();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

export class EtcdStore implements Storage {
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #endpointCount: number;
  readonly #watchReconnectTimeoutMs: number;
  readonly #rangeBytes: number;
  /** The mean value size, in bytes, of the keys a list under each prefix read last. */
  readonly #valueBytes = new Map<string, number>();
  readonly #watchers = new Set<EtcdWatcher>();
  readonly #reads = new ReadGate();
  #closed = false;
  /** The highest revision any response showed; a watch "from now" starts after it. */
  #knownRevision = 0;

  /** Use `openEtcdStore`, which also checks the connection and learns the current revision. */
  constructor(options: EtcdStoreOptions) {
    if (options.endpoints.length === 0) throw new TypeError('an etcd store needs at least one endpoint');
    this.#prefix = options.prefix ?? DEFAULTS.prefix;
    this.#endpointCount = options.endpoints.length;
    this.#watchReconnectTimeoutMs = options.watchReconnectTimeoutMs ?? DEFAULTS.watchReconnectTimeoutMs;
    this.#rangeBytes = options.rangeBytes ?? DEFAULT_RANGE_BYTES;
    const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    this.#client = new Etcd3({
      hosts: [...options.endpoints],
      credentials: options.tls && {
        rootCertificate: Buffer.from(options.tls.caPem),
        privateKey: options.tls.keyPem === undefined ? undefined : Buffer.from(options.tls.keyPem),
        certChain: options.tls.certPem === undefined ? undefined : Buffer.from(options.tls.certPem),
      },
      // Lists and watch batches can be large; etcd bounds what it sends itself.
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
      // Retries are this store's decision (reads only); the library's circuit breaker would keep
      // failing calls for seconds after etcd came back.
      faultHandling: { host: () => passThrough, global: passThrough },
    });
  }

  async create(key: string, obj: KubeObject): Promise<KubeObject> {
    const value = encodeObject(obj);
    const etcdKey = this.#etcdKey(key);
    const res = await this.#write(key, () =>
      this.#client.kv.txn({
        compare: [{ key: etcdKey, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
        success: [{ request_put: { key: etcdKey, value: Buffer.from(value) } }],
        failure: [],
      }),
    );
    if (!res.succeeded) throw new StorageError('KeyExists', key);
    return decodeObject(key, value, res.header.revision);
  }

  async get(key: string): Promise<KubeObject> {
    const kv = await this.#getKv(key);
    return decodeObject(key, kv.value, kv.mod_revision);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const position = options.continue ? decodeContinue(options.continue, prefix) : undefined;
    const limit = options.limit && options.limit > 0 ? Math.floor(options.limit) : 0;
    const { predicate, keyFilter } = options;
    const { rangeEnd } = prefixRange(this.#prefix + prefix);
    let from = rangeStart(this.#prefix + (position?.start ?? prefix));
    // 0 reads the current revision; every further range of this list reads at that one.
    let revision = position?.rv ?? 0;
    const batch = limit > 0 && !predicate ? limit : Math.max(limit, SCAN_BATCH);
    const items: KubeObject[] = [];
    for (;;) {
      const res = await this.#listRange(prefix, position !== undefined, {
        key: from,
        range_end: rangeEnd,
        limit: this.#rangeKeys(prefix, batch),
        revision,
        keys_only: keyFilter !== undefined,
      });
      if (revision === 0) revision = Number(res.header.revision);
      const values = keyFilter
        ? await this.#valuesOf(prefix, position !== undefined, res.kvs, keyFilter, revision)
        : undefined;
      // The values a keyFilter kept say nothing of the sizes of those it skipped.
      if (!values) this.#noteValueSizes(prefix, res.kvs);
      for (let i = 0; i < res.kvs.length; i++) {
        const kv = res.kvs[i]!;
        const key = this.#logicalKey(kv.key);
        const value = values ? values.get(i) : kv.value;
        if (!value) continue;
        const obj = decodeObject(key, value, kv.mod_revision);
        if (predicate && !predicate(obj)) continue;
        items.push(obj);
        if (items.length === limit) {
          const result: ListResult = { items, resourceVersion: String(revision) };
          if (i < res.kvs.length - 1 || res.more) {
            result.continue = encodeContinue({ start: `${key}\0`, rv: revision });
            // `count` is every key from this range's start on, at the list's revision.
            if (!predicate) result.remainingItemCount = Number(res.count) - (i + 1);
          }
          return result;
        }
      }
      const last = res.kvs.at(-1);
      if (!res.more || !last) return { items, resourceVersion: String(revision) };
      from = Buffer.concat([last.key, PROBE_KEY]);
    }
  }

  /**
   * How many keys the next range of a list under `prefix` reads: `wanted` at most, and no more
   * than `rangeBytes` of values at the sizes seen last under that prefix (`FIRST_RANGE_KEYS` before
   * any was seen). A list of large objects takes more, shorter ranges, so etcd's commits, and with
   * them every write, wait milliseconds for a list instead of a large part of a second.
   */
  #rangeKeys(prefix: string, wanted: number): number {
    const perKey = this.#valueBytes.get(prefix);
    const fits = perKey === undefined ? FIRST_RANGE_KEYS : Math.floor(this.#rangeBytes / Math.max(perKey, 1));
    return Math.max(1, Math.min(wanted, fits));
  }

  #noteValueSizes(prefix: string, kvs: readonly IKeyValue[]): void {
    if (kvs.length === 0) return;
    if (this.#valueBytes.size >= MAX_SIZED_PREFIXES && !this.#valueBytes.has(prefix)) this.#valueBytes.clear();
    const bytes = kvs.reduce((sum, kv) => sum + kv.value.length, 0);
    this.#valueBytes.set(prefix, bytes / kvs.length);
  }

  /**
   * The values, at the list's `revision`, of the keys of a keys-only range that `keyFilter`
   * keeps, by their index in `kvs`. A scan of every ConfigMap for one name (kube-controller-manager's
   * root-CA publisher) then reads a few values instead of all of them: with 500 MB of ConfigMaps,
   * a scan that decoded each one blocked the seed process that serves the shoot for seconds.
   */
  async #valuesOf(
    prefix: string,
    continued: boolean,
    kvs: readonly IKeyValue[],
    keyFilter: (key: string) => boolean,
    revision: number,
  ): Promise<Map<number, Buffer>> {
    const values = new Map<number, Buffer>();
    await Promise.all(
      kvs.map(async (kv, i) => {
        if (!keyFilter(this.#logicalKey(kv.key))) return;
        const res = await this.#listRange(prefix, continued, { key: kv.key, revision });
        const value = res.kvs[0]?.value;
        if (value) values.set(i, value);
      }),
    );
    return values;
  }

  /**
   * Retries until `tryUpdate`'s result is written on top of the very revision it was computed
   * from. A result equal to the current object writes nothing, like `null`, so no-op updates
   * keep the resourceVersion (as the Kubernetes apiserver does).
   */
  async guaranteedUpdate(key: string, tryUpdate: UpdateFunc, preconditions?: Preconditions): Promise<KubeObject> {
    const etcdKey = this.#etcdKey(key);
    for (;;) {
      const kv = await this.#getKv(key);
      const current = decodeObject(key, kv.value, kv.mod_revision);
      checkPreconditions(key, current, preconditions);
      const updated = await tryUpdate(current);
      if (updated === null) return current;
      const value = encodeObject(updated);
      if (value === kv.value.toString('utf8')) return current;
      const res = await this.#write(key, () =>
        this.#client.kv.txn({
          compare: [
            { key: etcdKey, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: kv.mod_revision },
          ],
          success: [{ request_put: { key: etcdKey, value: Buffer.from(value) } }],
          failure: [],
        }),
      );
      if (res.succeeded) return decodeObject(key, value, res.header.revision);
    }
  }

  /** Removes the object if it is still at the revision its preconditions were checked against. */
  async delete(key: string, preconditions?: Preconditions): Promise<KubeObject> {
    const etcdKey = this.#etcdKey(key);
    for (;;) {
      const kv = await this.#getKv(key);
      checkPreconditions(key, decodeObject(key, kv.value, kv.mod_revision), preconditions);
      const res = await this.#write(key, () =>
        this.#client.kv.txn({
          compare: [
            { key: etcdKey, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: kv.mod_revision },
          ],
          success: [{ request_delete_range: { key: etcdKey } }],
          failure: [],
        }),
      );
      if (res.succeeded) return decodeObject(key, kv.value, res.header.revision);
    }
  }

  /**
   * Failures (a compacted `resourceVersion`: `Expired`; a closed store or lost etcd:
   * `Unreachable`) do not throw here: the returned watcher's iteration throws them.
   */
  watch(prefix: string, options: WatchOptions = {}): Watcher {
    return this.#watch(prefix, options, false).asEventWatcher();
  }

  /** `watch`, with etcd's progress notifications among the events (`Storage.watchProgress`). */
  watchProgress(prefix: string, options: WatchOptions = {}): Watcher<StoreEvent | StoreProgress> {
    return this.#watch(prefix, options, true);
  }

  #watch(prefix: string, options: WatchOptions, progress: boolean): EtcdWatcher {
    const from = parseRevision(options.resourceVersion);
    const range = prefixRange(this.#prefix + prefix);
    const watcher = new EtcdWatcher({
      prefix,
      // "From now" is after every revision this store has seen: nothing it wrote before the call
      // comes back, everything written after the call does.
      afterRevision: from || this.#knownRevision,
      checkStart: from ? () => this.#checkNotCompacted(prefix, from) : undefined,
      openStream: () => this.#client.watchClient.watch(),
      createRequest: (startRevision) => ({
        key: range.key,
        range_end: range.rangeEnd,
        start_revision: startRevision,
        prev_kv: true,
      }),
      toEvents: (response) => this.#toEvents(response),
      reconnectTimeoutMs: this.#watchReconnectTimeoutMs,
      onEnd: (ended) => this.#watchers.delete(ended),
      progress,
    });
    if (from === undefined) {
      watcher.fail(new StorageError('Internal', prefix, `invalid resource version "${options.resourceVersion}"`));
    } else if (this.#closed) {
      watcher.fail(new StorageError('Unreachable', prefix, 'the store is closed'));
    } else {
      this.#watchers.add(watcher);
      watcher.start();
    }
    return watcher;
  }

  async currentRevision(): Promise<number> {
    const res = await this.#read('', () => this.#client.kv.range({ key: PROBE_KEY, keys_only: true }));
    return Number(res.header.revision);
  }

  /** Drops history below `revision` (capped at the current one); a watch from before it fails with `Expired`. */
  async compact(revision: number): Promise<void> {
    const target = Math.min(revision, await this.currentRevision());
    if (target <= 0) return;
    try {
      await this.#call('', () => this.#client.kv.compact({ revision: target, physical: true }));
    } catch (err) {
      // Already compacted at or past `target`.
      if (!isStorageError(err, 'Expired')) throw err;
    }
  }

  /** Ends every watch normally and closes the connections. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const watcher of this.#watchers) watcher.stop();
    this.#client.close();
  }

  /**
   * Checks that the history after `from` still exists: a read at revision `from` fails once
   * compaction passed it (one ahead of the store is fine).
   */
  async #checkNotCompacted(prefix: string, from: number): Promise<void> {
    try {
      await this.#read(prefix, () => this.#client.kv.range({ key: PROBE_KEY, keys_only: true, revision: from }));
    } catch (err) {
      if (!isStorageError(err)) throw err;
      if (err.message.includes(FUTURE_REVISION_MESSAGE)) return;
      if (err.code === 'Expired')
        throw new StorageError('Expired', prefix, `too old resource version: ${from} (compacted)`);
      throw err;
    }
  }

  /** One range of a list; a compacted revision is `Expired` for a continued list, as Kubernetes says it. */
  async #listRange(prefix: string, continued: boolean, request: Parameters<Etcd3['kv']['range']>[0]) {
    try {
      return await this.#read(prefix, () => this.#client.kv.range(request));
    } catch (err) {
      if (continued && isStorageError(err, 'Expired'))
        throw new StorageError('Expired', prefix, EXPIRED_CONTINUE_MESSAGE);
      if (continued && isStorageError(err) && err.message.includes(FUTURE_REVISION_MESSAGE)) {
        throw new StorageError('InvalidContinue', prefix, `continue key is not valid: ${err.message}`);
      }
      throw err;
    }
  }

  #toEvents(response: IWatchResponse): StoreEvent[] {
    return response.events.map((ev) => {
      const key = this.#logicalKey(ev.kv.key);
      const revision = Number(ev.kv.mod_revision);
      const prev = ev.prev_kv ?? undefined;
      if (String(ev.type).toUpperCase() === 'DELETE') {
        if (!prev) {
          throw new StorageError(
            'Expired',
            key,
            `etcd sent the deletion of "${key}" at revision ${revision} without its last state (compacted); list again`,
          );
        }
        return {
          type: 'DELETED',
          key,
          object: decodeObject(key, prev.value, revision),
          prevObject: decodeObject(key, prev.value, prev.mod_revision),
          revision,
        };
      }
      const created = ev.kv.create_revision === ev.kv.mod_revision;
      const event: StoreEvent = {
        type: created ? 'ADDED' : 'MODIFIED',
        key,
        object: decodeObject(key, ev.kv.value, revision),
        revision,
      };
      if (!created && prev) event.prevObject = decodeObject(key, prev.value, prev.mod_revision);
      return event;
    });
  }

  async #getKv(key: string): Promise<IKeyValue> {
    const res = await this.#read(key, () => this.#client.kv.range({ key: this.#etcdKey(key) }));
    const kv = res.kvs[0];
    if (!kv) throw new StorageError('NotFound', key);
    return kv;
  }

  /**
   * Keeps this store's reads back until the release, once those under way have ended (read-gate.ts:
   * the moment an etcd cluster shrinks to one voter). Writes and watches go on.
   */
  holdReads(): Promise<ReleaseReads> {
    return this.#reads.hold();
  }

  /** A read: through the read gate, repeated on another endpoint when one cannot be reached. */
  #read<T extends { header: IResponseHeader }>(key: string, request: () => Promise<T>): Promise<T> {
    return this.#retrying(
      key,
      () => this.#reads.through(request),
      (err) => isStorageError(err, 'Unreachable'),
    );
  }

  /**
   * A write: repeated only when nothing of it reached raft's log: the client never sent it (it
   * found no connection to the endpoint it picked, e.g. a member just killed), or raft refused it
   * while the leadership moved; otherwise its outcome is unknown (`sentWriteError`: a 500, not a
   * 503) and the caller decides.
   */
  #write<T extends { header: IResponseHeader }>(key: string, request: () => Promise<T>): Promise<T> {
    return this.#retrying(key, request, writeMayGoAgain).catch((err: unknown) => {
      throw sentWriteError(err, key);
    });
  }

  /** `request`, again while `retryable` and the store's retry policy (request-retry.ts) say so. */
  #retrying<T extends { header: IResponseHeader }>(
    key: string,
    request: () => Promise<T>,
    retryable: (err: unknown) => boolean,
  ): Promise<T> {
    return withRetries(() => this.#call(key, request), {
      endpoints: this.#endpointCount,
      retryable,
      closed: () => this.#closed,
    });
  }

  /** Sends one request; every failure becomes a `StorageError`, every answer advances the known revision. */
  async #call<T extends { header: IResponseHeader }>(key: string, request: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StorageError('Unreachable', key, 'the store is closed');
    let res: T;
    try {
      res = await request();
    } catch (err) {
      throw toStorageError(err, key);
    }
    this.#knownRevision = Math.max(this.#knownRevision, Number(res.header.revision));
    return res;
  }

  #etcdKey(key: string): Buffer {
    return Buffer.from(this.#prefix + key, 'utf8');
  }

  #logicalKey(etcdKey: Buffer): string {
    return etcdKey.toString('utf8').slice(this.#prefix.length);
  }
}

/** A fault-handling policy that only calls through: no retries, no circuit breaker. */
type FaultPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;
const neverAborted = new AbortController().signal;
export const passThrough: FaultPolicy = {
  _altReturn: undefined as never,
  onSuccess: () => ({ dispose: () => {} }),
  onFailure: () => ({ dispose: () => {} }),
  execute: async (fn) => fn({ signal: neverAborted }),
};

/** A watch's starting revision: 0 for "from now" (undefined, empty or "0"), undefined when malformed. */
function parseRevision(resourceVersion: string | undefined): number | undefined {
  if (resourceVersion === undefined || resourceVersion === '') return 0;
  const revision = Number(resourceVersion);
  return /^\d+$/.test(resourceVersion) && Number.isSafeInteger(revision) ? revision : undefined;
}
