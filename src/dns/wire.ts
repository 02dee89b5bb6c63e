/**
 * The parts of the DNS wire format (RFC 1035, RFC 2136) that dynamic updates and a simple query
 * need: names, a header, resource records, and a reader for responses (with name compression).
 * Names are written uncompressed, as TSIG's canonical form wants them anyway.
 */
import { isIPv4 } from 'node:net';

export const RecordType = Object.freeze({ A: 1, SOA: 6, TSIG: 250, ANY: 255 });
export const RecordClass = Object.freeze({ IN: 1, NONE: 254, ANY: 255 });
export const Opcode = Object.freeze({ QUERY: 0, UPDATE: 5 });

/** Response codes (RFC 1035, RFC 2136) by number, for messages. */
export const RCODE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
});

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

/** `api.example.test` or `api.example.test.` → the fully qualified, lower-case form with the dot. */
export function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** A name in wire form, uncompressed and lower-cased (canonical, RFC 4034 6.2). */
export function encodeName(name: string): Buffer {
  const labels = fqdn(name).split('.').slice(0, -1);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length === 0 || bytes.length > 63)
      throw new Error(`invalid DNS name ${JSON.stringify(name)}: a label is empty or longer than 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > 255) throw new Error(`invalid DNS name ${JSON.stringify(name)}: longer than 255 bytes`);
  return wire;
}

export interface Header {
  id: number;
  /** QR, opcode, AA, TC, RD, RA, Z and RCODE as one 16-bit field. */
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export function encodeHeader(h: Header): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(h.id, 0);
  b.writeUInt16BE(h.flags, 2);
  b.writeUInt16BE(h.qdcount, 4);
  b.writeUInt16BE(h.ancount, 6);
  b.writeUInt16BE(h.nscount, 8);
  b.writeUInt16BE(h.arcount, 10);
  return b;
}

export function decodeHeader(msg: Buffer): Header {
  if (msg.length < 12) throw new Error(`DNS message of ${msg.length} bytes is shorter than its header`);
  return {
    id: msg.readUInt16BE(0),
    flags: msg.readUInt16BE(2),
    qdcount: msg.readUInt16BE(4),
    ancount: msg.readUInt16BE(6),
    nscount: msg.readUInt16BE(8),
    arcount: msg.readUInt16BE(10),
  };
}

export const headerFlags = {
  qr: (flags: number) => (flags & 0x8000) !== 0,
  truncated: (flags: number) => (flags & 0x0200) !== 0,
  rcode: (flags: number) => flags & 0x000f,
  /** A request's flags: opcode, and RD for queries that want recursion (never here). */
  request: (opcode: number) => (opcode & 0xf) << 11,
};

export function encodeQuestion(name: string, type: number, cls: number): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(cls, 2);
  return Buffer.concat([encodeName(name), tail]);
}

export interface ResourceRecord {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  data: Buffer;
}

export function encodeRecord(rr: ResourceRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(rr.type, 0);
  fixed.writeUInt16BE(rr.cls, 2);
  fixed.writeUInt32BE(rr.ttl, 4);
  fixed.writeUInt16BE(rr.data.length, 8);
  return Buffer.concat([encodeName(rr.name), fixed, rr.data]);
}

export function encodeIPv4(address: string): Buffer {
  if (!isIPv4(address)) throw new Error(`${JSON.stringify(address)} is not an IPv4 address`);
  return Buffer.from(address.split('.').map(Number));
}

/** A parsed record; `offset` is where it starts in the message (TSIG needs the bytes before it). */
export interface ParsedRecord extends ResourceRecord {
  offset: number;
  /** Where its RDATA starts in the message (names inside RDATA may point back into it). */
  dataOffset: number;
}

export interface ParsedMessage {
  header: Header;
  answers: ParsedRecord[];
  authority: ParsedRecord[];
  additional: ParsedRecord[];
}

/** Reads a name at `offset`, following compression pointers; returns it and the offset after it. */
export function decodeName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  for (let jumps = 0; ; ) {
    if (pos >= msg.length) throw new Error('DNS name runs past the end of the message');
    const len = msg[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (++jumps > 64) throw new Error('DNS name compression loops');
      if (next < 0) next = pos + 2;
      pos = msg.readUInt16BE(pos) & 0x3fff;
      continue;
    }
    labels.push(msg.subarray(pos + 1, pos + 1 + len).toString('ascii'));
    pos += 1 + len;
  }
  return { name: `${labels.join('.')}.`.toLowerCase(), next };
}

export function decodeMessage(msg: Buffer): ParsedMessage {
  const header = decodeHeader(msg);
  let pos = 12;
  for (let i = 0; i < header.qdcount; i++) pos = decodeName(msg, pos).next + 4;
  const section = (count: number): ParsedRecord[] => {
    const out: ParsedRecord[] = [];
    for (let i = 0; i < count; i++) {
      const offset = pos;
      const { name, next } = decodeName(msg, pos);
      if (next + 10 > msg.length) throw new Error('DNS record runs past the end of the message');
      const type = msg.readUInt16BE(next);
      const cls = msg.readUInt16BE(next + 2);
      const ttl = msg.readUInt32BE(next + 4);
      const length = msg.readUInt16BE(next + 8);
      const dataOffset = next + 10;
      if (dataOffset + length > msg.length) throw new Error('DNS record data runs past the end of the message');
      out.push({ name, type, cls, ttl, data: msg.subarray(dataOffset, dataOffset + length), offset, dataOffset });
      pos = dataOffset + length;
    }
    return out;
  };
  const answers = section(header.ancount);
  const authority = section(header.nscount);
  const additional = section(header.arcount);
  return { header, answers, authority, additional };
}
