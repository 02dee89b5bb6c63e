/**
 * Thrown when a DNS server refuses or fails an update or a query: the response code (NOTAUTH,
 * REFUSED, SERVFAIL, …) and, when the server could not verify the request's signature, the TSIG
 * error (BADSIG, BADKEY, BADTIME), both by name.
 */
import { rcodeName } from './wire.js';

export class DnsUpdateError extends Error {
  readonly rcode: string;
  readonly tsigError: string | undefined;

  constructor(what: string, rcode: number, tsigError?: number) {
    const tsig = tsigError ? rcodeName(tsigError) : undefined;
    super(`${what}: ${rcodeName(rcode)}${tsig ? ` (TSIG ${tsig})` : ''}${hint(rcode, tsigError)}`);
    this.name = 'DnsUpdateError';
    this.rcode = rcodeName(rcode);
    this.tsigError = tsig;
  }
}

function hint(rcode: number, tsigError: number | undefined): string {
  if (tsigError === 16 || tsigError === 17) return ': the server does not know this TSIG key or secret';
  if (tsigError === 18) return ": the server's clock and ours differ by more than the fudge";
  if (rcode === 9) return ': the server is not authoritative for the zone, or refused the signature';
  if (rcode === 5) return ': the server refuses updates for this zone from this key';
  return '';
}
