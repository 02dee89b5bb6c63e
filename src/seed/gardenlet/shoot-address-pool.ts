/**
 * The addresses of this seed's host on which it runs shoots' endpoints (`transplant seed
 * --shoot-addresses`), as a cloud seed gives each control plane a load balancer address. A shoot
 * placed here takes one for as long as its control-plane namespace exists: the address is
 * recorded on the namespace (annotation below), so it survives seed restarts and is free again
 * when the namespace goes (the shoot deleted, or migrated away). Allocations are serialised in
 * the gardenlet, the only writer of its seed's control-plane namespaces.
 */
import { isIPv4 } from 'node:net';
import { namespaceResource } from '../../api/core/namespace.js';
import type { Client } from '../../client/client.js';

export const SHOOT_ADDRESS_ANNOTATION = 'transplant.gardener.cloud/shoot-address';

/** The most addresses a pool may name (a /16). */
const MAX_POOL_SIZE = 65_536;

export class ShootAddressPool {
  readonly addresses: readonly string[];
  #lock: Promise<unknown> = Promise.resolve();

  constructor(addresses: readonly string[]) {
    if (addresses.length === 0) throw new Error('the shoot address pool is empty');
    this.addresses = Object.freeze([...new Set(addresses)]);
  }

  /**
   * `10.0.0.5,10.0.0.6` or `10.0.0.0/28` or both, comma-separated: a CIDR gives its host
   * addresses (without network and broadcast address when it has them).
   */
  static parse(text: string): ShootAddressPool {
    const addresses = text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .flatMap((part) => (part.includes('/') ? hostsOf(part) : [checkedAddress(part)]));
    if (addresses.length > MAX_POOL_SIZE)
      throw new Error(`--shoot-addresses names more than ${MAX_POOL_SIZE} addresses`);
    return new ShootAddressPool(addresses);
  }

  /** The address recorded on `namespace`, if it exists and has one. */
  async current(seed: Client, namespace: string): Promise<string | undefined> {
    return (await seed.resource(namespaceResource).find('', namespace))?.metadata.annotations?.[
      SHOOT_ADDRESS_ANNOTATION
    ];
  }

  /**
   * The namespace's address: the recorded one, else the first one no other namespace holds,
   * recorded on the namespace (created with `labels` when missing) before it is handed out.
   */
  ensure(seed: Client, namespace: string, labels: Record<string, string>): Promise<string> {
    const run = this.#lock.then(() => this.#allocate(seed, namespace, labels));
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #allocate(seed: Client, namespace: string, labels: Record<string, string>): Promise<string> {
    const namespaces = seed.resource(namespaceResource);
    const all = (await namespaces.list('')).items;
    const own = all.find((ns) => ns.metadata.name === namespace);
    const recorded = own?.metadata.annotations?.[SHOOT_ADDRESS_ANNOTATION];
    if (recorded) return recorded;
    const taken = new Set(all.map((ns) => ns.metadata.annotations?.[SHOOT_ADDRESS_ANNOTATION]).filter(Boolean));
    const free = this.addresses.find((address) => !taken.has(address));
    if (!free) {
      throw new Error(
        `every address of this seed's shoot address pool (${this.addresses.length}) is taken by another shoot`,
      );
    }
    const annotations = { [SHOOT_ADDRESS_ANNOTATION]: free };
    if (!own) {
      await namespaces.create('', { metadata: { name: namespace, labels, annotations } });
    } else {
      // The resourceVersion makes a concurrent change of the namespace a conflict, not a lost write.
      await namespaces.patch('', namespace, {
        metadata: { annotations, resourceVersion: own.metadata.resourceVersion },
      });
    }
    return free;
  }
}

function checkedAddress(text: string): string {
  if (!isIPv4(text)) throw new Error(`--shoot-addresses: ${JSON.stringify(text)} is not an IPv4 address or CIDR`);
  return text;
}

function hostsOf(cidr: string): string[] {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!isIPv4(base ?? '') || !/^\d+$/.test(bitsText ?? '') || bits < 16 || bits > 32) {
    throw new Error(`--shoot-addresses: ${JSON.stringify(cidr)} is not an IPv4 CIDR of /16 to /32`);
  }
  const size = 2 ** (32 - bits);
  const network = (toNumber(base!) & ~(size - 1)) >>> 0;
  const [first, last] = size > 2 ? [network + 1, network + size - 2] : [network, network + size - 1];
  const hosts: string[] = [];
  for (let n = first; n <= last; n++) hosts.push(toAddress(n));
  return hosts;
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}
