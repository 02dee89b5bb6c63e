/**
 * The snapshot byte formats shared with etcd-backup-restore: etcd's full snapshot with its
 * appended SHA-256 (checked whole and while streaming), and delta snapshots (etcdbr's JSON event
 * array followed by its SHA-256).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type DeltaEvent,
  DeltaSnapshotWriter,
  decodeDeltaSnapshot,
  encodeDeltaSnapshot,
  FullSnapshotVerifier,
  groupByRevision,
  SnapshotIntegrityError,
  verifyFullSnapshot,
} from '../../src/backup/snapshot-format.js';

const OBJECT = 'Full-00000000-00000042-1700000000';

/** Bytes shaped like etcd's snapshot stream: whole 512-byte pages, then their SHA-256. */
function fullSnapshotBytes(pages: number): Buffer {
  const db = randomBytes(pages * 512);
  return Buffer.concat([db, createHash('sha256').update(db).digest()]);
}

function flipByte(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = copy[index]! ^ 0xff;
  return copy;
}

/** Feeds `bytes` to a streaming verifier in chunks of the given sizes (cycled). */
function verifyInChunks(bytes: Buffer, sizes: readonly number[]): void {
  const verifier = new FullSnapshotVerifier(OBJECT);
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    verifier.update(bytes.subarray(offset, offset + size));
    offset += size;
  }
  assert.equal(verifier.size, bytes.length);
  verifier.finish();
}

function integrityError(object: string, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SnapshotIntegrityError, `expected SnapshotIntegrityError, got ${String(err)}`);
    assert.equal(err.object, object);
    assert.match(err.message, pattern);
    assert.ok(err.message.startsWith(`${object}: `), 'the message names the object');
    return true;
  };
}

describe('full snapshot verification', () => {
  const bytes = fullSnapshotBytes(9);

  it('accepts etcd snapshot bytes', () => {
    verifyFullSnapshot(bytes, OBJECT);
  });

  it('rejects a flipped byte in the database, in the hash, and a wrong length', () => {
    assert.throws(() => verifyFullSnapshot(flipByte(bytes, 700), OBJECT), integrityError(OBJECT, /SHA-256 mismatch/));
    assert.throws(
      () => verifyFullSnapshot(flipByte(bytes, bytes.length - 1), OBJECT),
      integrityError(OBJECT, /SHA-256 mismatch/),
    );
    assert.throws(
      () => verifyFullSnapshot(bytes.subarray(0, bytes.length - 1), OBJECT),
      integrityError(OBJECT, /not an etcd snapshot with its SHA-256 appended/),
    );
    assert.throws(() => verifyFullSnapshot(Buffer.alloc(0), OBJECT), integrityError(OBJECT, /size 0/));
  });

  it('gives the same verdicts when fed in odd-sized chunks', () => {
    const chunkings = [[1], [7], [31], [32], [33], [511, 3], [513], [4096, 1, 17], [bytes.length]];
    for (const sizes of chunkings) {
      verifyInChunks(bytes, sizes);
      assert.throws(
        () => verifyInChunks(flipByte(bytes, 3), sizes),
        integrityError(OBJECT, /SHA-256 mismatch/),
        `chunks ${sizes}`,
      );
      assert.throws(
        () => verifyInChunks(flipByte(bytes, bytes.length - 20), sizes),
        integrityError(OBJECT, /SHA-256 mismatch/),
        `chunks ${sizes}`,
      );
    }
    // Random chunk sizes, including empty chunks.
    for (let round = 0; round < 20; round++) {
      verifyInChunks(
        bytes,
        Array.from({ length: 10 }, () => Math.floor(Math.random() * 300)),
      );
    }
  });
});

const TIME = new Date('2024-05-06T07:08:09.123Z');

function kv(
  key: string | Buffer,
  value: string | Buffer,
  rev: { create: number; mod: number; version: number },
  lease = 0,
) {
  return {
    key: Buffer.isBuffer(key) ? key : Buffer.from(key),
    value: Buffer.isBuffer(value) ? value : Buffer.from(value),
    createRevision: rev.create,
    modRevision: rev.mod,
    version: rev.version,
    lease,
  };
}

/** A PUT, a leased PUT, a binary key with an empty value, a two-key transaction and a DELETE. */
const EVENTS: DeltaEvent[] = [
  { type: 'PUT', kv: kv('/registry/a', 'one', { create: 5, mod: 5, version: 1 }), time: TIME },
  { type: 'PUT', kv: kv('/registry/leased', 'x', { create: 6, mod: 6, version: 1 }, 7587861238406214), time: TIME },
  { type: 'PUT', kv: kv(Buffer.from([0, 255, 10]), Buffer.alloc(0), { create: 7, mod: 7, version: 1 }), time: TIME },
  {
    type: 'PUT',
    kv: kv('/registry/a', 'two', { create: 5, mod: 8, version: 2 }),
    prevKv: kv('/registry/a', 'one', { create: 5, mod: 5, version: 1 }),
    time: TIME,
  },
  { type: 'PUT', kv: kv('/registry/b', 'three', { create: 8, mod: 8, version: 1 }), time: TIME },
  { type: 'DELETE', kv: kv('/registry/a', '', { create: 0, mod: 9, version: 0 }), time: TIME },
];

function jsonPart(bytes: Buffer): unknown {
  return JSON.parse(bytes.subarray(0, bytes.length - 32).toString('utf8'));
}

describe('delta snapshots', () => {
  it('round-trips events through encode and decode', () => {
    const bytes = encodeDeltaSnapshot(EVENTS);
    assert.deepEqual(decodeDeltaSnapshot(bytes, 'Incr-00000005-00000009-1700000000'), EVENTS);
  });

  it("writes etcd-backup-restore's wire format: PUT without type, DELETE type 1, base64 keys and values", () => {
    const bytes = encodeDeltaSnapshot(EVENTS);
    const json = bytes.subarray(0, bytes.length - 32);
    assert.deepEqual(bytes.subarray(bytes.length - 32), createHash('sha256').update(json).digest());
    const wire = jsonPart(bytes) as { etcdEvent: Record<string, unknown>; time: string }[];
    assert.equal(wire.length, EVENTS.length);
    assert.deepEqual(wire[0], {
      etcdEvent: {
        kv: {
          key: Buffer.from('/registry/a').toString('base64'),
          create_revision: 5,
          mod_revision: 5,
          version: 1,
          value: Buffer.from('one').toString('base64'),
        },
      },
      time: '2024-05-06T07:08:09.123Z',
    });
    assert.equal((wire[1]!.etcdEvent.kv as { lease: number }).lease, 7587861238406214);
    // Go omits empty bytes fields.
    assert.deepEqual(wire[2]!.etcdEvent.kv, { key: 'AP8K', create_revision: 7, mod_revision: 7, version: 1 });
    assert.ok(wire[3]!.etcdEvent.prev_kv, 'prev_kv is kept');
    assert.deepEqual(wire[5]!.etcdEvent, {
      type: 1,
      kv: { key: Buffer.from('/registry/a').toString('base64'), mod_revision: 9 },
    });
    for (const event of wire.slice(0, 5)) assert.equal('type' in event.etcdEvent, false, 'PUT has no type');
  });

  it('reads what etcd-backup-restore writes (Go time with nanoseconds, 64-bit lease IDs)', () => {
    const json = Buffer.from(
      '[{"etcdEvent":{"kv":{"key":"Zm9v","create_revision":2,"mod_revision":2,"version":1,"value":"YmFy","lease":7587861238406214917}},"time":"2024-01-01T00:00:00.123456789Z"},' +
        '{"etcdEvent":{"type":1,"kv":{"key":"Zm9v","mod_revision":3},"prev_kv":{"key":"Zm9v","create_revision":2,"mod_revision":2,"version":1,"value":"YmFy"}},"time":"2024-01-01T00:00:01Z"}]',
    );
    const events = decodeDeltaSnapshot(
      Buffer.concat([json, createHash('sha256').update(json).digest()]),
      'Incr-00000002-00000003-1700000000',
    );
    assert.equal(events.length, 2);
    assert.equal(events[0]!.type, 'PUT');
    assert.equal(events[0]!.kv.key.toString(), 'foo');
    assert.equal(events[0]!.kv.value.toString(), 'bar');
    // A 64-bit lease ID arrives rounded (JSON numbers are doubles); restores never re-attach leases.
    assert.equal(events[0]!.kv.lease, Number('7587861238406214917'));
    assert.equal(events[0]!.time.toISOString(), '2024-01-01T00:00:00.123Z');
    assert.equal(events[1]!.type, 'DELETE');
    assert.equal(events[1]!.kv.modRevision, 3);
    assert.equal(events[1]!.prevKv?.value.toString(), 'bar');
  });

  it('detects a flipped byte, a damaged hash, truncation, non-JSON and revisions going back', () => {
    const object = 'Incr-00000005-00000009-1700000000.gz';
    const bytes = encodeDeltaSnapshot(EVENTS);
    for (const index of [0, 10, Math.floor(bytes.length / 2), bytes.length - 33, bytes.length - 1]) {
      assert.throws(
        () => decodeDeltaSnapshot(flipByte(bytes, index), object),
        integrityError(object, /SHA-256 mismatch/),
      );
    }
    assert.throws(() => decodeDeltaSnapshot(bytes.subarray(0, 20), object), integrityError(object, /too short/));
    assert.throws(() => decodeDeltaSnapshot(bytes.subarray(0, bytes.length - 1), object), SnapshotIntegrityError);
    const notJson = Buffer.from('[{"etcdEvent":');
    assert.throws(
      () => decodeDeltaSnapshot(Buffer.concat([notJson, createHash('sha256').update(notJson).digest()]), object),
      integrityError(object, /not a JSON array/),
    );
    const backwards = encodeDeltaSnapshot([EVENTS[3]!, EVENTS[0]!]);
    assert.throws(() => decodeDeltaSnapshot(backwards, object), integrityError(object, /goes back in time/));
  });

  it('builds the same bytes incrementally and reports its size and revisions', () => {
    const writer = new DeltaSnapshotWriter();
    assert.equal(writer.events, 0);
    assert.equal(writer.firstRevision, 0);
    for (const event of EVENTS) writer.append(event);
    assert.equal(writer.events, EVENTS.length);
    assert.equal(writer.firstRevision, 5);
    assert.equal(writer.lastRevision, 9);
    const bytes = writer.finish();
    assert.deepEqual(bytes, encodeDeltaSnapshot(EVENTS));
    // `bytes` counts the JSON buffered so far (without the closing bracket and the hash).
    assert.equal(writer.bytes, bytes.length - 32 - 1);
  });

  it('hands out its parts without changing itself: asked twice, or appended to after, the hash is of the JSON', () => {
    const writer = new DeltaSnapshotWriter();
    for (const event of EVENTS.slice(0, 3)) writer.append(event);
    const first = writer.finish();
    assert.deepEqual(Buffer.concat(writer.finishParts()), first);
    assert.deepEqual(writer.finish(), first);
    for (const event of EVENTS.slice(3)) writer.append(event);
    const whole = writer.finish();
    const json = whole.subarray(0, whole.length - 32);
    assert.deepEqual(whole.subarray(whole.length - 32), createHash('sha256').update(json).digest());
    assert.equal(decodeDeltaSnapshot(whole, 'Incr').length, EVENTS.length);
  });

  it('groups events by revision, in order', () => {
    const groups = groupByRevision(EVENTS);
    assert.deepEqual(
      groups.map((g) => [g.revision, g.events.length]),
      [
        [5, 1],
        [6, 1],
        [7, 1],
        [8, 2],
        [9, 1],
      ],
    );
    assert.deepEqual(groups[3]!.events, [EVENTS[3], EVENTS[4]]);
    assert.deepEqual(groupByRevision([]), []);
  });
});
