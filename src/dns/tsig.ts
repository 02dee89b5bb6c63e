/**
 * TSIG (RFC 8945): a request signed with a shared key, and the response's MAC verified against
 * it. The MAC covers the message as sent without its TSIG record, then the TSIG variables (key
 * name, class ANY, TTL 0, algorithm, time signed, fudge, error, other data); a response's MAC
 * also covers the request's MAC first, so an answer to another request does not verify.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  decodeHeader,
  decodeName,
  encodeName,
  encodeRecord,
  fqdn,
  type ParsedRecord,
  RecordClass,
  RecordType,
} from './wire.js';

/** A TSIG key as Gardener's rfc2136 provider names its parts (`TSIGKeyName`, `TSIGSecret`, `TSIGSecretAlgorithm`). */
export interface TsigKey {
  /** The key's name, e.g. `landscape-key.` (a trailing dot is added when missing). */
  name: string;
  /** The shared secret, base64. */
  secret: string;
  /** `hmac-sha256` (the default), `hmac-sha224`, `hmac-sha384`, `hmac-sha512` or `hmac-sha1`. */
  algorithm?: string;
}

const HASHES: Readonly<Record<string, string>> = Object.freeze({
  'hmac-sha1.': 'sha1',
  'hmac-sha224.': 'sha224',
  'hmac-sha256.': 'sha256',
  'hmac-sha384.': 'sha384',
  'hmac-sha512.': 'sha512',
});

/** The algorithm's name on the wire (`hmac-sha256.`); throws for one we do not speak. */
export function tsigAlgorithm(key: TsigKey): string {
  const name = fqdn(key.algorithm || 'hmac-sha256');
  if (!HASHES[name]) {
    throw new Error(
      `TSIG algorithm ${JSON.stringify(key.algorithm)} is not supported: use one of ${Object.keys(HASHES)
        .map((a) => a.slice(0, -1))
        .join(', ')}`,
    );
  }
  return name;
}

/** The seconds the signing time may be off (RFC 8945 recommends 300). */
const FUDGE_SECONDS = 300;

interface TsigFields {
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

/** The TSIG variables the MAC covers after the message (RFC 8945 4.3.3). */
function variables(keyName: string, f: Omit<TsigFields, 'mac' | 'originalId'>): Buffer {
  const cls = Buffer.alloc(6);
  cls.writeUInt16BE(RecordClass.ANY, 0);
  cls.writeUInt32BE(0, 2);
  return Buffer.concat([encodeName(keyName), cls, encodeName(f.algorithm), timeFields(f), errorFields(f)]);
}

function timeFields(f: { timeSigned: number; fudge: number }): Buffer {
  const b = Buffer.alloc(8);
  b.writeUIntBE(f.timeSigned, 0, 6);
  b.writeUInt16BE(f.fudge, 6);
  return b;
}

function errorFields(f: { error: number; other: Buffer }): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(f.error, 0);
  b.writeUInt16BE(f.other.length, 2);
  return Buffer.concat([b, f.other]);
}

function hmac(key: TsigKey, algorithm: string, parts: Buffer[]): Buffer {
  const h = createHmac(HASHES[algorithm]!, Buffer.from(key.secret, 'base64'));
  for (const part of parts) h.update(part);
  return h.digest();
}

function encodeTsigData(f: TsigFields): Buffer {
  const mac = Buffer.alloc(2);
  mac.writeUInt16BE(f.mac.length, 0);
  const id = Buffer.alloc(2);
  id.writeUInt16BE(f.originalId, 0);
  return Buffer.concat([encodeName(f.algorithm), timeFields(f), mac, f.mac, id, errorFields(f)]);
}

/** What `sign` hands back: the signed message and the MAC the response's MAC must chain from. */
export interface SignedRequest {
  message: Buffer;
  mac: Buffer;
}

/** Appends a TSIG record to `message` (whose ARCOUNT does not count it yet) and bumps ARCOUNT. */
export function sign(message: Buffer, key: TsigKey, now = Date.now()): SignedRequest {
  const algorithm = tsigAlgorithm(key);
  const fields = {
    algorithm,
    timeSigned: Math.floor(now / 1000),
    fudge: FUDGE_SECONDS,
    error: 0,
    other: Buffer.alloc(0),
  };
  const mac = hmac(key, algorithm, [message, variables(key.name, fields)]);
  const header = decodeHeader(message);
  const rr = encodeRecord({
    name: key.name,
    type: RecordType.TSIG,
    cls: RecordClass.ANY,
    ttl: 0,
    data: encodeTsigData({ ...fields, mac, originalId: header.id }),
  });
  const signed = Buffer.concat([message, rr]);
  signed.writeUInt16BE(header.arcount + 1, 10);
  return { message: signed, mac };
}

/** The TSIG record's fields as a response carries them. */
export interface ResponseTsig {
  keyName: string;
  /** The TSIG error (BADSIG 16, BADKEY 17, BADTIME 18), 0 when the server verified the request. */
  error: number;
  fields: TsigFields;
  record: ParsedRecord;
}

export function readTsig(msg: Buffer, record: ParsedRecord): ResponseTsig {
  const { name: algorithm, next } = decodeName(msg, record.dataOffset);
  let pos = next;
  const timeSigned = msg.readUIntBE(pos, 6);
  const fudge = msg.readUInt16BE(pos + 6);
  const macSize = msg.readUInt16BE(pos + 8);
  pos += 10;
  const mac = msg.subarray(pos, pos + macSize);
  pos += macSize;
  const originalId = msg.readUInt16BE(pos);
  const error = msg.readUInt16BE(pos + 2);
  const otherLen = msg.readUInt16BE(pos + 4);
  const other = msg.subarray(pos + 6, pos + 6 + otherLen);
  return {
    keyName: record.name,
    error,
    record,
    fields: { algorithm, timeSigned, fudge, mac, originalId, error, other },
  };
}

/**
 * Whether the response's TSIG is the key's MAC over the request's MAC, the response without its
 * TSIG record (ARCOUNT one less, the original ID), and the TSIG variables; and signed in time.
 * Throws with the reason when not.
 */
export function verifyResponse(
  msg: Buffer,
  tsig: ResponseTsig,
  key: TsigKey,
  requestMac: Buffer,
  now = Date.now(),
): void {
  const algorithm = tsigAlgorithm(key);
  if (tsig.keyName !== fqdn(key.name))
    throw new Error(`the response is signed with key ${tsig.keyName}, not ${fqdn(key.name)}`);
  if (tsig.fields.algorithm !== algorithm)
    throw new Error(`the response is signed with ${tsig.fields.algorithm}, not ${algorithm}`);
  const unsigned = Buffer.from(msg.subarray(0, tsig.record.offset));
  unsigned.writeUInt16BE(tsig.fields.originalId, 0);
  unsigned.writeUInt16BE(decodeHeader(msg).arcount - 1, 10);
  const macLength = Buffer.alloc(2);
  macLength.writeUInt16BE(requestMac.length, 0);
  const expected = hmac(key, algorithm, [macLength, requestMac, unsigned, variables(key.name, tsig.fields)]);
  if (expected.length !== tsig.fields.mac.length || !timingSafeEqual(expected, tsig.fields.mac)) {
    throw new Error("the response's TSIG MAC does not verify with the key");
  }
  if (Math.abs(Math.floor(now / 1000) - tsig.fields.timeSigned) > tsig.fields.fudge) {
    throw new Error('the response was signed outside the allowed time window (BADTIME)');
  }
}
