/**
 * Where a shoot's control plane is reached: the API URL recorded in its status (so a control plane
 * keeps its address across seeds), else its own stable address; the vpn-seed-server on the same
 * host.
 */
import type { Shoot } from '../../api/core-gardener/shoot.js';
import { stableApiAddress, stableApiPort } from '../../shoot/identity.js';
import { VPN_SEED_SERVER_PORT } from '../../shoot/vpn/vpn-seed-server.js';

export class ShootEndpoint {
  /** The shoot's API URL: the one recorded in its status, else its own stable address. */
  readonly apiUrl: string;

  constructor(shoot: Shoot) {
    this.apiUrl = advertisedUrl(shoot) ?? `https://${stableApiAddress(shoot)}:${stableApiPort()}`;
  }

  get apiHost(): string {
    return new URL(this.apiUrl).hostname;
  }

  get apiPort(): number {
    return Number(new URL(this.apiUrl).port || 443);
  }

  /** The shoot's vpn-seed-server: the same stable host as the API, its own port. */
  get vpnUrl(): string {
    return `wss://${this.apiHost}:${VPN_SEED_SERVER_PORT}`;
  }
}

/** `status.advertisedAddresses[name=external].url`. */
export function advertisedUrl(shoot: Shoot): string | undefined {
  return shoot.status?.advertisedAddresses?.find((a) => a.name === 'external')?.url;
}
