/**
 * A `lookup` for Node's sockets that asks one DNS server, e.g. the multi-host landscape's Knot,
 * whose names (a shoot's `api.<shoot>.<project>.<domain>`) the machine's own resolver does not
 * know. It asks for every new connection and caches nothing, as the glibc stub resolver inside a
 * landscape host does with that server in its resolv.conf: a client reconnecting after a
 * migration sees the record the destination seed wrote, whatever its TTL. For `shootClient(path,
 * { lookup })`, as the migration bench and test/e2e/hosts-migration.test.ts use it.
 */
import type { LookupFunction } from 'node:net';
import { queryA } from '../../src/dns/rfc2136-client.js';
import type { DnsServer } from '../../src/dns/transport.js';

/** `onAnswer` sees every answer (the addresses, when it came), e.g. to see when a record changed. */
export function lookupAt(
  server: DnsServer,
  onAnswer?: (hostname: string, addresses: string[], atMs: number) => void,
  timeoutMs = 2_000,
): LookupFunction {
  return (hostname, options, callback) => {
    queryA(server, hostname, { timeoutMs }).then(
      (addresses) => {
        onAnswer?.(hostname, addresses, Date.now());
        if (addresses.length === 0) {
          const err: NodeJS.ErrnoException = new Error(`${hostname}: no A record at ${server.host}:${server.port}`);
          err.code = 'ENOTFOUND';
          callback(err, '', 4);
        } else if (options.all)
          callback(
            null,
            addresses.map((address) => ({ address, family: 4 })),
          );
        else callback(null, addresses[0]!, 4);
      },
      (err: Error) => callback(err, '', 4),
    );
  };
}
