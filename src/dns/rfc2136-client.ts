/**
 * RFC 2136 dynamic updates signed with TSIG: replace a name's RRset (delete and add in one
 * UPDATE, so resolvers never see it empty) and delete it. The answer's TSIG is verified, so a
 * NOERROR that did not come from the key's holder is not taken for success. And a plain query
 * for a name's A records, to check what a server serves.
 */
import { randomInt } from 'node:crypto';
import { DnsUpdateError } from './dns-update-error.js';
import { type DnsServer, type ExchangeOptions, exchange, serverText } from './transport.js';
import { readTsig, sign, type TsigKey, tsigAlgorithm, verifyResponse } from './tsig.js';
import {
  decodeMessage,
  encodeHeader,
  encodeIPv4,
  encodeQuestion,
  encodeRecord,
  fqdn,
  headerFlags,
  Opcode,
  RecordClass,
  RecordType,
  type ResourceRecord,
} from './wire.js';

export interface Rfc2136ClientOptions extends ExchangeOptions {
  server: DnsServer;
  /** The zone the names live in (the UPDATE's zone section), e.g. `landscape.test.`. */
  zone: string;
  key: TsigKey;
}

export class Rfc2136Client {
  readonly #options: Readonly<Rfc2136ClientOptions>;

  constructor(options: Rfc2136ClientOptions) {
    tsigAlgorithm(options.key);
    this.#options = Object.freeze({ ...options, zone: fqdn(options.zone) });
  }

  /** Makes `addresses` the A records of `name` with `ttl` seconds, whatever it had before. */
  async replaceA(name: string, addresses: readonly string[], ttl: number): Promise<void> {
    const fqName = this.#inZone(name);
    await this.#update(`replacing the A records of ${fqName} with ${addresses.join(', ')}`, [
      deleteRRset(fqName, RecordType.A),
      ...addresses.map((address) => ({
        name: fqName,
        type: RecordType.A,
        cls: RecordClass.IN,
        ttl,
        data: encodeIPv4(address),
      })),
    ]);
  }

  /** Deletes the A records of `name`; a name without any is fine. */
  async deleteA(name: string): Promise<void> {
    const fqName = this.#inZone(name);
    await this.#update(`deleting the A records of ${fqName}`, [deleteRRset(fqName, RecordType.A)]);
  }

  #inZone(name: string): string {
    const fqName = fqdn(name);
    if (fqName !== this.#options.zone && !fqName.endsWith(`.${this.#options.zone}`)) {
      throw new Error(`${fqName} is not in zone ${this.#options.zone}`);
    }
    return fqName;
  }

  async #update(what: string, updates: ResourceRecord[]): Promise<void> {
    const { server, zone, key } = this.#options;
    const id = randomInt(0, 0x10000);
    const message = Buffer.concat([
      encodeHeader({
        id,
        flags: headerFlags.request(Opcode.UPDATE),
        qdcount: 1,
        ancount: 0,
        nscount: updates.length,
        arcount: 0,
      }),
      encodeQuestion(zone, RecordType.SOA, RecordClass.IN),
      ...updates.map(encodeRecord),
    ]);
    const signed = sign(message, key);
    const answer = await exchange(server, signed.message, this.#options);
    const parsed = decodeMessage(answer);
    const rcode = headerFlags.rcode(parsed.header.flags);
    const tsigRecord = parsed.additional.at(-1);
    const tsig = tsigRecord?.type === RecordType.TSIG ? readTsig(answer, tsigRecord) : undefined;
    const context = `${what} at ${serverText(server)} (zone ${zone})`;
    if (tsig && tsig.error !== 0) throw new DnsUpdateError(context, rcode, tsig.error);
    if (rcode !== 0) throw new DnsUpdateError(context, rcode);
    if (!tsig) throw new Error(`${context}: the answer is not signed, so it cannot be trusted`);
    try {
      verifyResponse(answer, tsig, key, signed.mac);
    } catch (err) {
      throw new Error(`${context}: ${(err as Error).message}`);
    }
  }
}

/** An update-section entry that deletes the RRset of `type` at `name` (class ANY, TTL 0, no data). */
function deleteRRset(name: string, type: number): ResourceRecord {
  return { name, type, cls: RecordClass.ANY, ttl: 0, data: Buffer.alloc(0) };
}

/** The A records `server` answers for `name` (authoritatively; no recursion asked); [] for none. */
export async function queryA(server: DnsServer, name: string, options: ExchangeOptions = {}): Promise<string[]> {
  const id = randomInt(0, 0x10000);
  const message = Buffer.concat([
    encodeHeader({ id, flags: headerFlags.request(Opcode.QUERY), qdcount: 1, ancount: 0, nscount: 0, arcount: 0 }),
    encodeQuestion(name, RecordType.A, RecordClass.IN),
  ]);
  const parsed = decodeMessage(await exchange(server, message, options));
  const rcode = headerFlags.rcode(parsed.header.flags);
  if (rcode === 3) return [];
  if (rcode !== 0) throw new DnsUpdateError(`querying the A records of ${fqdn(name)} at ${serverText(server)}`, rcode);
  return parsed.answers
    .filter((rr) => rr.type === RecordType.A && rr.name === fqdn(name) && rr.data.length === 4)
    .map((rr) => [...rr.data].join('.'));
}
