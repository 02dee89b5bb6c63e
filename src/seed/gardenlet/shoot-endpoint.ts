/**
 * Where a shoot's control plane is reached, and where this seed serves it — two things once
 * shoots have DNS names or addresses from a pool:
 *
 * - the URL clients use (`apiUrl`, in `status.advertisedAddresses`, kubeconfigs, the machines'
 *   configuration): `https://api.<shoot>.<project>.<internal domain>` when the garden has an
 *   internal domain; else the pool address when the seed has a pool; else the one recorded in
 *   the shoot's status or its own stable loopback address (the loopback landscape's default);
 * - the address this seed binds the shoot's kube-apiserver and vpn-seed-server to
 *   (`bindAddress`): the shoot's pool address, else its stable loopback address.
 *
 * With a DNS name, a migration moves the bind address and the DNS record follows it; the URL
 * stays.
 */
import type { Shoot } from '../../api/core-gardener/shoot.js';
import { stableApiAddress, stableApiPort } from '../../shoot/identity.js';
import { VPN_SEED_SERVER_PORT } from '../../shoot/vpn/vpn-seed-server.js';

export interface ShootEndpointOptions {
  /** The shoot's address from this seed's pool, if the seed has one. */
  poolAddress?: string | undefined;
  /** `api.<shoot>.<project>.<domain>`, when the garden has an internal domain. */
  dnsName?: string | undefined;
}

export class ShootEndpoint {
  /** The shoot's API URL, what every client uses. */
  readonly apiUrl: string;
  /** Where this seed listens for the shoot's API server and vpn-seed-server. */
  readonly bindAddress: string;
  /** The DNS name in `apiUrl`, if the shoot has one. */
  readonly dnsName: string | undefined;

  constructor(shoot: Shoot, options: ShootEndpointOptions = {}) {
    this.dnsName = options.dnsName;
    this.bindAddress = options.poolAddress ?? stableApiAddress(shoot);
    const port = stableApiPort() === 443 ? '' : `:${stableApiPort()}`;
    if (options.dnsName) this.apiUrl = `https://${options.dnsName}${port}`;
    else if (options.poolAddress) this.apiUrl = `https://${options.poolAddress}${port}`;
    else {
      this.apiUrl = advertisedUrl(shoot) ?? `https://${stableApiAddress(shoot)}:${stableApiPort()}`;
      // Today's loopback landscape: the API is served where its recorded URL points.
      this.bindAddress = this.apiHost;
    }
  }

  /** The host in `apiUrl`: the DNS name or an address. */
  get apiHost(): string {
    return new URL(this.apiUrl).hostname;
  }

  get apiPort(): number {
    return Number(new URL(this.apiUrl).port || 443);
  }

  /** The shoot's vpn-seed-server: the same host as the API, its own port. */
  get vpnUrl(): string {
    return `wss://${this.apiHost}:${VPN_SEED_SERVER_PORT}`;
  }
}

/** `status.advertisedAddresses[name=external].url`. */
export function advertisedUrl(shoot: Shoot): string | undefined {
  return shoot.status?.advertisedAddresses?.find((a) => a.name === 'external')?.url;
}
