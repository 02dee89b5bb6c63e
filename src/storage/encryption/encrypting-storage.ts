/**
 * Encryption at rest (k8s `EncryptionConfiguration` with the `aesgcm` provider): a `Storage`
 * decorator that encrypts every object written under one of its key prefixes (a shoot's
 * `/registry/secrets/`) and decrypts on every read. The backend stores a wrapper
 *
 *   { apiVersion, kind, metadata: { name, namespace }, encrypted: "k8s:enc:aesgcm:v1:<key>:<…>" }
 *
 * whose `encrypted` field holds the whole original object (without its resourceVersion, which is
 * the backend's); the wrapper's metadata is there for people reading the store and is bound to
 * the ciphertext as authenticated data, so it cannot be changed without failing decryption.
 *
 * Reads decrypt whatever is wrapped, under any prefix, and stamp the backend's resourceVersion.
 * An object stored in plain text under an encrypted prefix (written before encryption was
 * enabled) reads as it is, like k8s's `identity` provider listed after `aesgcm`; any update
 * rewrites it encrypted, and so does a no-op update, as it does an object encrypted with a key
 * that is no longer the first (k8s's "stale" transform: how keys are rotated). A wrapped object
 * that does not decrypt is a `StorageError('Internal')` naming the object and the key, never
 * returned as it is.
 *
 * The backend only ever sees wrappers, so the decorator checks uid preconditions itself and
 * hands the backend resourceVersion checks only. `listRaw` passes the backend's stored JSON
 * through only under a prefix where nothing is written encrypted and no stored item is a wrapper
 * (one written while its resource was encrypted); anything else is decrypted first.
 */
import { isRecord, type KubeObject } from '../../api/meta.js';
import {
  isStorageError,
  type ListOptions,
  type ListResult,
  type Preconditions,
  type RawListResult,
  type Storage,
  StorageError,
  type StoreEvent,
  type StoreProgress,
  type UpdateFunc,
  type Watcher,
  type WatchOptions,
  watchWithProgress,
} from '../interface.js';
import { checkPreconditions } from '../preconditions.js';
import { AesGcmEnvelope, ENVELOPE_PREFIX, type EncryptionKey, EnvelopeError } from './aes-gcm-envelope.js';

export interface EncryptionOptions {
  /** The first key encrypts; all of them decrypt. */
  keys: readonly EncryptionKey[];
  /** Keys starting with one of these are encrypted, e.g. `/registry/secrets/`. */
  prefixes: readonly string[];
}

/** The wrapper fields besides `encrypted`; nothing else may appear in a wrapper. */
const WRAPPER_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'encrypted']);

/**
 * In the stored JSON text of every wrapper (written by `JSON.stringify`, so without spaces). An
 * object that merely contains this text is decoded like a wrapper would be: slower, not wrong.
 */
const WRAPPER_MARK = `"encrypted":"${ENVELOPE_PREFIX}`;

export class EncryptingStorage implements Storage {
  readonly #inner: Storage;
  readonly #envelope: AesGcmEnvelope;
  readonly #prefixes: readonly string[];
  /**
   * The backend's `listRaw` where it has one: a garden's list of 10,000 Shoots, which are not
   * encrypted, is sent as stored instead of decoded and encoded again (bench/README.md, "Garden
   * API server latency").
   */
  readonly listRaw?: Storage['listRaw'];

  /** Throws a TypeError for a bad key list (see `AesGcmEnvelope`). */
  constructor(inner: Storage, options: EncryptionOptions) {
    this.#inner = inner;
    this.#envelope = new AesGcmEnvelope(options.keys);
    this.#prefixes = Object.freeze([...options.prefixes]);
    const listRaw = inner.listRaw?.bind(inner);
    if (listRaw) this.listRaw = (prefix, options) => this.#listRaw(listRaw, prefix, options);
  }

  /** True when objects under `key` are written encrypted. */
  encrypts(key: string): boolean {
    return this.#prefixes.some((prefix) => key.startsWith(prefix));
  }

  async create(key: string, obj: KubeObject): Promise<KubeObject> {
    if (!this.encrypts(key)) return this.#inner.create(key, obj);
    const plain = plainJson(obj);
    const created = await this.#inner.create(key, this.#wrap(obj, plain));
    return withResourceVersion(JSON.parse(plain) as KubeObject, created.metadata.resourceVersion);
  }

  async get(key: string): Promise<KubeObject> {
    return this.#unwrap(await this.#inner.get(key), key);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const { predicate } = options;
    // The predicate decides on the decrypted object; remember it so each item decrypts once.
    const opened = new WeakMap<KubeObject, KubeObject>();
    const result = await this.#inner.list(prefix, {
      ...options,
      predicate: predicate
        ? (stored) => {
            const obj = this.#unwrap(stored, () => listedObject(stored, prefix));
            opened.set(stored, obj);
            return predicate(obj);
          }
        : undefined,
    });
    return {
      ...result,
      items: result.items.map(
        (stored) => opened.get(stored) ?? this.#unwrap(stored, () => listedObject(stored, prefix)),
      ),
    };
  }

  async guaranteedUpdate(key: string, tryUpdate: UpdateFunc, preconditions?: Preconditions): Promise<KubeObject> {
    const updated = await this.#inner.guaranteedUpdate(key, async (stored) => {
      const current = this.#unwrap(stored, key);
      checkPreconditions(key, current, preconditions);
      const next = await tryUpdate(current);
      const stale = this.#isStale(key, stored);
      if (next === null && !stale) return null;
      const plain = plainJson(next ?? current);
      if (!stale && plain === plainJson(current)) return null;
      return this.encrypts(key) ? this.#wrap(next ?? current, plain) : (JSON.parse(plain) as KubeObject);
    });
    return this.#unwrap(updated, key);
  }

  async delete(key: string, preconditions?: Preconditions): Promise<KubeObject> {
    for (;;) {
      // Preconditions hold for the decrypted object; the backend only makes sure it is still the one checked.
      const current = await this.get(key);
      checkPreconditions(key, current, preconditions);
      try {
        const deleted = await this.#inner.delete(key, { resourceVersion: current.metadata.resourceVersion });
        return this.#unwrap(deleted, key);
      } catch (err) {
        if (!isStorageError(err, 'Conflict')) throw err;
        // Changed between the read and the delete: check the preconditions against the new state.
      }
    }
  }

  watch(prefix: string, options?: WatchOptions): Watcher {
    return this.#decrypting(this.#inner.watch(prefix, options));
  }

  /** The inner store's progress, where it tells it; its events alone where not. */
  watchProgress(prefix: string, options?: WatchOptions): Watcher<StoreEvent | StoreProgress> {
    return this.#decrypting(watchWithProgress(this.#inner, prefix, options));
  }

  /** `inner` with its events' objects decrypted; progress passes as it is. */
  #decrypting<T extends StoreEvent | StoreProgress>(inner: Watcher<T>): Watcher<T> {
    const decrypt = (item: T): T => {
      if (item.type === 'PROGRESS') return item;
      const event = item as StoreEvent;
      const decrypted: StoreEvent = { ...event, object: this.#unwrap(event.object, event.key) };
      if (event.prevObject) decrypted.prevObject = this.#unwrap(event.prevObject, event.key);
      return decrypted as T;
    };
    return {
      stop: () => inner.stop(),
      [Symbol.asyncIterator]() {
        const events = inner[Symbol.asyncIterator]();
        return {
          async next() {
            const step = await events.next();
            if (step.done) return step;
            try {
              return { done: false, value: decrypt(step.value) };
            } catch (err) {
              inner.stop();
              throw err;
            }
          },
          async return(value?: unknown) {
            inner.stop();
            return (await events.return?.(value)) ?? { done: true, value: undefined };
          },
        };
      },
    };
  }

  currentRevision(): Promise<number> {
    return this.#inner.currentRevision();
  }

  compact(revision: number): Promise<void> {
    return this.#inner.compact(revision);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  /** The wrapper stored for `obj`, whose JSON without resourceVersion is `plain`. */
  #wrap(obj: KubeObject, plain: string): KubeObject {
    const wrapper: KubeObject = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: identityMetadata(obj) };
    wrapper.encrypted = this.#envelope.seal(Buffer.from(plain, 'utf8'), additionalData(wrapper));
    return wrapper;
  }

  async #listRaw(
    listRaw: NonNullable<Storage['listRaw']>,
    prefix: string,
    options: Pick<ListOptions, 'limit' | 'continue'> = {},
  ): Promise<RawListResult> {
    const overlapsEncrypted = this.#prefixes.some((p) => p.startsWith(prefix) || prefix.startsWith(p));
    if (!overlapsEncrypted) {
      const raw = await listRaw(prefix, options);
      if (!raw.items.some((item) => item.includes(WRAPPER_MARK))) return raw;
    }
    const { items, ...page } = await this.list(prefix, options);
    return { ...page, items: items.map((item) => JSON.stringify(item)) };
  }

  /**
   * The object a stored one stands for: decrypted when wrapped, as it is otherwise. `at` names
   * it in errors: its key, or (for list items, which come without keys) a function describing it.
   */
  #unwrap(stored: KubeObject, at: string | (() => string)): KubeObject {
    if (!isWrapper(stored)) return stored;
    const envelope = stored.encrypted as string;
    let obj: unknown;
    try {
      obj = JSON.parse(this.#envelope.open(envelope, additionalData(stored)).toString('utf8'));
    } catch (err) {
      const keyName = err instanceof EnvelopeError ? err.keyName : AesGcmEnvelope.keyNameOf(envelope);
      const reason = err instanceof EnvelopeError ? err.message : 'the plaintext is not JSON';
      const where = describe(at);
      throw new StorageError(
        'Internal',
        where,
        `cannot decrypt ${where} with key ${keyName ?? '<unknown>'}: ${reason}`,
      );
    }
    if (!isRecord(obj) || !isRecord(obj.metadata)) {
      const where = describe(at);
      throw new StorageError(
        'Internal',
        where,
        `cannot decrypt ${where}: the plaintext is not an object with metadata`,
      );
    }
    return withResourceVersion(obj as KubeObject, stored.metadata.resourceVersion);
  }

  /** The stored form is not what a write now would produce: plain where it should be encrypted, an old key, or the reverse. */
  #isStale(key: string, stored: KubeObject): boolean {
    const wrapped = isWrapper(stored);
    if (!this.encrypts(key)) return wrapped;
    return !wrapped || AesGcmEnvelope.keyNameOf(stored.encrypted as string) !== this.#envelope.primaryKeyName;
  }
}

function describe(at: string | (() => string)): string {
  return typeof at === 'string' ? at : at();
}

/** A stored wrapper: exactly the wrapper fields, with a `k8s:enc:` envelope. */
function isWrapper(obj: KubeObject): boolean {
  return AesGcmEnvelope.isEnvelope(obj.encrypted) && Object.keys(obj).every((field) => WRAPPER_FIELDS.has(field));
}

function identityMetadata(obj: KubeObject): KubeObject['metadata'] {
  const { name, namespace } = obj.metadata ?? {};
  return { name: name ?? '', ...(namespace ? { namespace } : {}) };
}

/** What the ciphertext is bound to: the wrapper's readable identity. */
function additionalData(wrapper: KubeObject): Buffer {
  const { name, namespace } = wrapper.metadata;
  return Buffer.from(JSON.stringify([wrapper.apiVersion ?? '', wrapper.kind ?? '', namespace ?? '', name ?? '']));
}

/** The object's JSON without `metadata.resourceVersion` (the backend's to set). */
function plainJson(obj: KubeObject): string {
  const { resourceVersion: _dropped, ...metadata } = obj.metadata ?? {};
  return JSON.stringify({ ...obj, metadata });
}

function withResourceVersion(obj: KubeObject, resourceVersion: string | undefined): KubeObject {
  const metadata = { ...obj.metadata };
  if (resourceVersion === undefined) delete metadata.resourceVersion;
  else metadata.resourceVersion = resourceVersion;
  return { ...obj, metadata };
}

/** How a listed object is named in errors: list results carry no keys, so by kind and name. */
function listedObject(stored: KubeObject, prefix: string): string {
  const { name, namespace } = stored.metadata ?? {};
  return `${stored.kind ?? 'object'} ${namespace ? `${namespace}/` : ''}${name ?? ''} (listing ${prefix})`;
}
