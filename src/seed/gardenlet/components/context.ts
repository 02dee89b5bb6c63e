/**
 * What every component of one shoot works with: the shoot as the garden has it, where its
 * control plane lives on this seed, the clients of the garden and of this seed's API server, and
 * how long a wait may take.
 */
import type { Logger } from 'pino';
import type { Seed } from '../../../api/core-gardener/seed.js';
import type { Shoot } from '../../../api/core-gardener/shoot.js';
import type { Client } from '../../../client/client.js';
import type { InternalDomain } from '../internal-domain.js';
import type { ShootEndpoint } from '../shoot-endpoint.js';

export interface ComponentContext {
  readonly shoot: Shoot;
  /** The control-plane namespace on this seed: the shoot's technical ID, `shoot--<project>--<name>`. */
  readonly namespace: string;
  readonly seedName: string;
  /** The garden's API (over HTTPS). */
  readonly garden: Client;
  /** This seed's API server (in process). */
  readonly seed: Client;
  /** Where the shoot's API server and vpn-seed-server are reached. */
  readonly endpoint: ShootEndpoint;
  /** The garden's internal domain, when it has one: the shoot's DNSRecord is published through its provider. */
  readonly internalDomain: InternalDomain | undefined;
  /** The TTL of the shoot's DNS record, seconds (`transplant seed --dns-record-ttl`). */
  readonly dnsRecordTtl: number;
  /**
   * The names in the etcd members' server and peer certificates: loopback, and the seed's etcd
   * peer address (`transplant seed --etcd-peer-address`) where other seeds dial its members.
   */
  readonly etcdHosts: readonly string[];
  /** This seed's Seed object in the garden, read once per flow run (its UID names its bucket). */
  seedObject(): Promise<Seed>;
  /** How long a component's wait may take before its step fails (and the flow is retried). */
  readonly waitTimeoutMs: number;
  readonly logger: Logger;
}
