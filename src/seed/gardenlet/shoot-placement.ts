/**
 * What a shoot's components need to know before a flow runs about where the shoot is reached:
 * the garden's internal domain (read afresh for every flow, so a domain added later applies at
 * the next reconcile) and the shoot's address from this seed's pool — allocated by the flows
 * that build a control plane here (Create, Reconcile, Restore), only read by those that take
 * one down (Migrate, Delete).
 */
import type { Shoot } from '../../api/core-gardener/shoot.js';
import type { Client } from '../../client/client.js';
import { technicalId } from '../../shoot/identity.js';
import { shootNamespaceLabels } from './components/namespace.js';
import { type InternalDomain, readInternalDomain, shootApiDomainName } from './internal-domain.js';
import type { ShootAddressPool } from './shoot-address-pool.js';
import { ShootEndpoint } from './shoot-endpoint.js';

export interface ShootPlacement {
  readonly endpoint: ShootEndpoint;
  readonly internalDomain: InternalDomain | undefined;
}

export interface ShootPlacementDeps {
  garden: Client;
  seed: Client;
  /** This seed's `--shoot-addresses`; without it shoots keep their stable loopback address. */
  shootAddresses?: ShootAddressPool | undefined;
}

export async function placeShoot(
  shoot: Shoot,
  deps: ShootPlacementDeps,
  options: { allocate: boolean },
): Promise<ShootPlacement> {
  const internalDomain = await readInternalDomain(deps.garden);
  const namespace = technicalId(shoot);
  const pool = deps.shootAddresses;
  const poolAddress = !pool
    ? undefined
    : options.allocate
      ? await pool.ensure(deps.seed, namespace, shootNamespaceLabels(shoot))
      : await pool.current(deps.seed, namespace);
  const dnsName = internalDomain ? shootApiDomainName(shoot, internalDomain.domain) : undefined;
  return { endpoint: new ShootEndpoint(shoot, { poolAddress, dnsName }), internalDomain };
}
