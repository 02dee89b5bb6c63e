/**
 * The bytes of etcd-backup-restore's snapshot objects, so that stores written by either tool can
 * be read by the other:
 *
 * - A full snapshot is etcd's snapshot stream as is: the bolt database (a multiple of 512 bytes)
 *   followed by the SHA-256 of it (32 raw bytes) that etcd appends. `etcdctl snapshot restore`
 *   checks that hash again.
 * - A delta snapshot is a JSON array of `{"etcdEvent": <clientv3.Event>, "time": <RFC 3339>}`
 *   followed by the SHA-256 of the JSON (32 raw bytes). clientv3.Event marshals as Go's protobuf
 *   structs do: `type` is a number (PUT = 0, omitted; DELETE = 1), keys and values are base64,
 *   revisions are numbers, zero fields are omitted.
 *
 * Both are optionally gzip-compressed as a whole (`.gz`).
 */
import { createHash } from 'node:crypto';

const SHA256_BYTES = 32;
const OPEN_BRACKET = Buffer.from('[');
const CLOSE_BRACKET = Buffer.from(']');
/** bolt's page alignment: etcd's snapshot body is whole pages. */
const FULL_SNAPSHOT_ALIGNMENT = 512;

/** A snapshot object whose bytes do not check out; restore and upload refuse it. */
export class SnapshotIntegrityError extends Error {
  override readonly name = 'SnapshotIntegrityError';
  /** The object (snapshot name) or source ("etcd snapshot stream") the bytes came from. */
  readonly object: string;

  constructor(object: string, message: string) {
    super(`${object}: ${message}`);
    this.object = object;
  }
}

/**
 * Checks etcd's full snapshot bytes (`db` + SHA-256 of `db`): the length is pages plus the hash,
 * and the hash matches. Throws SnapshotIntegrityError naming `object` otherwise.
 */
export function verifyFullSnapshot(bytes: Buffer, object: string): void {
  const verifier = new FullSnapshotVerifier(object);
  verifier.update(bytes);
  verifier.finish();
}

/** One key-value as etcd's watch reports it. */
export interface DeltaKeyValue {
  key: Buffer;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
}

export type DeltaEventType = 'PUT' | 'DELETE';

export interface DeltaEvent {
  type: DeltaEventType;
  kv: DeltaKeyValue;
  prevKv?: DeltaKeyValue;
  /** When the snapshotter saw the event. */
  time: Date;
}

interface WireKeyValue {
  key?: string;
  create_revision?: number;
  mod_revision?: number;
  version?: number;
  value?: string;
  lease?: number;
}

interface WireEvent {
  etcdEvent: { type?: number | string; kv?: WireKeyValue; prev_kv?: WireKeyValue };
  time: string;
}

function keyValueToWire(kv: DeltaKeyValue): WireKeyValue {
  const wire: WireKeyValue = {};
  if (kv.key.length > 0) wire.key = kv.key.toString('base64');
  if (kv.createRevision) wire.create_revision = kv.createRevision;
  if (kv.modRevision) wire.mod_revision = kv.modRevision;
  if (kv.version) wire.version = kv.version;
  if (kv.value.length > 0) wire.value = kv.value.toString('base64');
  if (kv.lease) wire.lease = kv.lease;
  return wire;
}

/** One event's JSON, as an element of the delta array. */
export function encodeDeltaEvent(event: DeltaEvent): string {
  const etcdEvent: WireEvent['etcdEvent'] = {};
  if (event.type === 'DELETE') etcdEvent.type = 1;
  etcdEvent.kv = keyValueToWire(event.kv);
  if (event.prevKv) etcdEvent.prev_kv = keyValueToWire(event.prevKv);
  return JSON.stringify({ etcdEvent, time: event.time.toISOString() } satisfies WireEvent);
}

/**
 * Builds delta snapshot bytes incrementally (the snapshotter appends events as the watch delivers
 * them): `[e1,e2,…]` followed by the SHA-256 of that JSON. The JSON is hashed as it is appended
 * and handed out as the parts it was built from, so that saving 100 MB of events never hashes or
 * copies them in one go on the event loop (a delta of 67 MB stalled the seed process that serves
 * the shoot for a second, docs/backups.md).
 */
export class DeltaSnapshotWriter {
  readonly #parts: Buffer[] = [OPEN_BRACKET];
  readonly #hash = createHash('sha256').update(OPEN_BRACKET);
  #bytes = 1; // the opening bracket
  #events = 0;
  #firstRevision = 0;
  #lastRevision = 0;

  append(event: DeltaEvent): void {
    // ASCII only (base64, numbers, field names, an ISO time): latin1 is exact, and 30 times
    // cheaper than encoding as UTF-8.
    const json = Buffer.from(this.#events === 0 ? encodeDeltaEvent(event) : `,${encodeDeltaEvent(event)}`, 'latin1');
    this.#parts.push(json);
    this.#hash.update(json);
    this.#bytes += json.length;
    if (this.#events === 0) this.#firstRevision = event.kv.modRevision;
    this.#lastRevision = event.kv.modRevision;
    this.#events++;
  }

  get events(): number {
    return this.#events;
  }

  /** Bytes buffered so far (the memory-limit check). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The mod revision of the first and the last event appended (0 when empty). */
  get firstRevision(): number {
    return this.#firstRevision;
  }

  get lastRevision(): number {
    return this.#lastRevision;
  }

  /**
   * The object's bytes as parts: the JSON array as appended, then its SHA-256. The writer is not
   * changed: a save that failed asks again.
   */
  finishParts(): Buffer[] {
    const digest = this.#hash.copy().update(CLOSE_BRACKET).digest();
    return [...this.#parts, CLOSE_BRACKET, digest];
  }

  /** The object's bytes in one buffer. */
  finish(): Buffer {
    return Buffer.concat(this.finishParts());
  }
}

/** Delta snapshot bytes for `events` (see DeltaSnapshotWriter). */
export function encodeDeltaSnapshot(events: readonly DeltaEvent[]): Buffer {
  const writer = new DeltaSnapshotWriter();
  for (const event of events) writer.append(event);
  return writer.finish();
}

function integer(value: unknown, object: string, field: string): number {
  if (value === undefined) return 0;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new SnapshotIntegrityError(object, `${field} is not a non-negative integer: ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Lease IDs are 64-bit and usually beyond 2^53, so JSON numbers (which is how Go writes them)
 * arrive rounded. A restore never re-attaches leases, so the rounded ID is kept as information
 * rather than refusing every delta that holds a leased key.
 */
function leaseId(value: unknown, object: string, field: string): number {
  if (value === undefined) return 0;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new SnapshotIntegrityError(object, `${field} is not a lease ID: ${JSON.stringify(value)}`);
  }
  return n;
}

function bytesField(value: unknown, object: string, field: string): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  if (typeof value !== 'string') throw new SnapshotIntegrityError(object, `${field} is not base64 text`);
  return Buffer.from(value, 'base64');
}

function keyValueFromWire(wire: unknown, object: string, field: string): DeltaKeyValue {
  if (typeof wire !== 'object' || wire === null) throw new SnapshotIntegrityError(object, `${field} is missing`);
  const kv = wire as Record<string, unknown>;
  return {
    key: bytesField(kv.key, object, `${field}.key`),
    value: bytesField(kv.value, object, `${field}.value`),
    createRevision: integer(kv.create_revision, object, `${field}.create_revision`),
    modRevision: integer(kv.mod_revision, object, `${field}.mod_revision`),
    version: integer(kv.version, object, `${field}.version`),
    lease: leaseId(kv.lease, object, `${field}.lease`),
  };
}

function eventType(value: unknown, object: string, index: number): DeltaEventType {
  if (value === undefined || value === 0 || value === 'PUT') return 'PUT';
  if (value === 1 || value === 'DELETE') return 'DELETE';
  throw new SnapshotIntegrityError(object, `event ${index} has unknown type ${JSON.stringify(value)}`);
}

/**
 * The events of delta snapshot bytes (uncompressed), after checking the appended SHA-256 and
 * that mod revisions never decrease. Throws SnapshotIntegrityError naming `object`.
 */
export function decodeDeltaSnapshot(bytes: Buffer, object: string): DeltaEvent[] {
  if (bytes.length < SHA256_BYTES + 2) {
    throw new SnapshotIntegrityError(object, `too short (${bytes.length} bytes) to be a delta snapshot`);
  }
  const json = bytes.subarray(0, bytes.length - SHA256_BYTES);
  const expected = bytes.subarray(bytes.length - SHA256_BYTES);
  const actual = createHash('sha256').update(json).digest();
  if (!actual.equals(expected)) {
    throw new SnapshotIntegrityError(
      object,
      `SHA-256 mismatch: the delta says ${expected.toString('hex')}, its content hashes to ${actual.toString('hex')}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new SnapshotIntegrityError(object, `not a JSON array of events: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new SnapshotIntegrityError(object, 'not a JSON array of events');
  const events: DeltaEvent[] = [];
  let previous = 0;
  parsed.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null) {
      throw new SnapshotIntegrityError(object, `event ${index} is not an object`);
    }
    const wire = item as Partial<WireEvent>;
    const etcdEvent = wire.etcdEvent;
    if (typeof etcdEvent !== 'object' || etcdEvent === null) {
      throw new SnapshotIntegrityError(object, `event ${index} has no etcdEvent`);
    }
    const kv = keyValueFromWire(etcdEvent.kv, object, `event ${index} kv`);
    if (kv.modRevision < previous) {
      throw new SnapshotIntegrityError(
        object,
        `event ${index} goes back in time (mod revision ${kv.modRevision} after ${previous})`,
      );
    }
    previous = kv.modRevision;
    const time = typeof wire.time === 'string' ? new Date(wire.time) : new Date(0);
    events.push({
      type: eventType(etcdEvent.type, object, index),
      kv,
      ...(etcdEvent.prev_kv ? { prevKv: keyValueFromWire(etcdEvent.prev_kv, object, `event ${index} prev_kv`) } : {}),
      time: Number.isNaN(time.getTime()) ? new Date(0) : time,
    });
  });
  return events;
}

/** Events grouped by mod revision, in order: one group is one etcd transaction to replay. */
export function groupByRevision(events: readonly DeltaEvent[]): { revision: number; events: DeltaEvent[] }[] {
  const groups: { revision: number; events: DeltaEvent[] }[] = [];
  for (const event of events) {
    const last = groups.at(-1);
    if (last && last.revision === event.kv.modRevision) last.events.push(event);
    else groups.push({ revision: event.kv.modRevision, events: [event] });
  }
  return groups;
}

/**
 * Checks etcd's full snapshot bytes as they stream by (a 1 GB snapshot is never held in memory):
 * feed every chunk to `update`, then `finish` throws SnapshotIntegrityError as
 * `verifyFullSnapshot` would. Keeps only the last 32 bytes seen, since they may be the hash.
 */
export class FullSnapshotVerifier {
  readonly #object: string;
  readonly #hash = createHash('sha256');
  /** The most recent bytes, not yet hashed: the trailing hash candidate. */
  #tail = Buffer.alloc(0);
  #size = 0;

  constructor(object: string) {
    this.#object = object;
  }

  update(chunk: Buffer): void {
    this.#size += chunk.length;
    if (chunk.length < SHA256_BYTES) {
      const joined = Buffer.concat([this.#tail, chunk]);
      const hashable = joined.length - SHA256_BYTES;
      if (hashable > 0) this.#hash.update(joined.subarray(0, hashable));
      this.#tail = Buffer.from(joined.subarray(Math.max(0, hashable)));
      return;
    }
    // The chunk alone holds a full hash candidate: the old tail is content, and only the
    // chunk's last 32 bytes are kept (joining tail and chunk would copy every chunk once more).
    if (this.#tail.length > 0) this.#hash.update(this.#tail);
    this.#hash.update(chunk.subarray(0, chunk.length - SHA256_BYTES));
    this.#tail = Buffer.from(chunk.subarray(chunk.length - SHA256_BYTES));
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.#size;
  }

  finish(): void {
    const size = this.#size;
    if (size < SHA256_BYTES || size % FULL_SNAPSHOT_ALIGNMENT !== SHA256_BYTES) {
      throw new SnapshotIntegrityError(
        this.#object,
        `not an etcd snapshot with its SHA-256 appended (size ${size} is not a multiple of ${FULL_SNAPSHOT_ALIGNMENT} plus ${SHA256_BYTES})`,
      );
    }
    const actual = this.#hash.digest();
    if (!actual.equals(this.#tail)) {
      throw new SnapshotIntegrityError(
        this.#object,
        `SHA-256 mismatch: the snapshot says ${this.#tail.toString('hex')}, its content hashes to ${actual.toString('hex')}`,
      );
    }
  }
}
