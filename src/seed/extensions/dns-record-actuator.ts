/**
 * The DNSRecord extension's actuator for the `rfc2136` provider: the record is published on an
 * authoritative DNS server through RFC 2136 dynamic updates signed with TSIG, with the
 * credentials of the Secret `spec.secretRef` names (external-dns-management's rfc2136 keys:
 * `Server`, `Zone`, `TSIGKeyName`, `TSIGSecret`, `TSIGSecretAlgorithm`). A reconcile replaces
 * the name's A records and waits until the server serves them; a delete removes them; a migrate
 * leaves them alone (Gardener: DNS entries outlive a migration), and the destination's restore
 * rewrites them with its own address.
 */
import { secretResource } from '../../api/core/secret.js';
import { DEFAULT_DNS_RECORD_TTL, type DNSRecord } from '../../api/extensions/dns-record.js';
import type { Client } from '../../client/client.js';
import { queryA, Rfc2136Client } from '../../dns/rfc2136-client.js';
import { type DnsServer, parseServer } from '../../dns/transport.js';
import { secretDataOf } from '../secret-data.js';
import type { Actuator } from './actuator.js';

/** How long a reconcile waits until the server serves what it was sent. */
const SERVED_TIMEOUT_MS = 10_000;

interface Publisher {
  client: Rfc2136Client;
  server: DnsServer;
}

export function rfc2136DnsRecordActuator(seed: Client): Actuator<DNSRecord> {
  const publisher = async (obj: DNSRecord): Promise<Publisher> => {
    const ref = obj.spec.secretRef;
    const secret = await seed.resource(secretResource).find(ref.namespace ?? obj.metadata.namespace ?? '', ref.name);
    if (!secret) throw new Error(`DNSRecord ${obj.metadata.name}: secret ${ref.namespace}/${ref.name} does not exist`);
    const data = Object.fromEntries(
      Object.entries(secretDataOf(secret)).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
    const missing = ['Server', 'TSIGKeyName', 'TSIGSecret'].filter((k) => !data[k]);
    const zone = obj.spec.zone ?? data.Zone;
    if (!zone) missing.push('Zone');
    if (missing.length > 0) throw new Error(`secret ${ref.namespace}/${ref.name} lacks ${missing.join(', ')}`);
    const server = parseServer(data.Server!);
    const key = {
      name: data.TSIGKeyName!,
      secret: data.TSIGSecret!,
      algorithm: data.TSIGSecretAlgorithm || 'hmac-sha256',
    };
    return { client: new Rfc2136Client({ server, zone: zone!, key }), server };
  };
  return {
    async reconcile(obj) {
      if (obj.spec.recordType !== 'A') {
        throw new Error(
          `DNSRecord ${obj.metadata.name}: record type ${obj.spec.recordType} is not supported by the rfc2136 provider (A only)`,
        );
      }
      const { client, server } = await publisher(obj);
      await client.replaceA(obj.spec.name, obj.spec.values, obj.spec.ttl ?? DEFAULT_DNS_RECORD_TTL);
      await waitUntilServed(server, obj.spec.name, obj.spec.values);
    },
    async delete(obj) {
      const { client } = await publisher(obj);
      await client.deleteA(obj.spec.name);
    },
    async migrate(obj) {
      return { realisedSpec: obj.spec };
    },
    async restore() {},
  };
}

async function waitUntilServed(server: DnsServer, name: string, values: readonly string[]): Promise<void> {
  const want = [...values].sort().join(',');
  const deadline = Date.now() + SERVED_TIMEOUT_MS;
  let served: string[] = [];
  for (;;) {
    served = await queryA(server, name, { timeoutMs: 1_000 }).catch(() => served);
    if (served.sort().join(',') === want) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the DNS server serves ${name} as [${served.join(', ')}], not [${want}], ${SERVED_TIMEOUT_MS} ms after the update`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An actuator per provider type (`spec.type`): one DNSRecord controller serves them all. */
export function byProviderType<T extends DNSRecord>(actuators: Record<string, Actuator<T>>): Actuator<T> {
  const of = (obj: T): Actuator<T> => {
    const actuator = actuators[obj.spec.type];
    if (!actuator)
      throw new Error(
        `${obj.metadata.name}: DNS provider type ${JSON.stringify(obj.spec.type)} has no extension here (${Object.keys(actuators).join(', ')})`,
      );
    return actuator;
  };
  return {
    reconcile: (obj) => of(obj).reconcile(obj),
    delete: (obj) => of(obj).delete(obj),
    migrate: (obj) => of(obj).migrate(obj),
    restore: (obj, state) => of(obj).restore(obj, state),
  };
}
