/**
 * How the garden names its internal domain (Gardener's): a Secret in `garden` labelled
 * `gardener.cloud/role: internal-domain`, annotated with the DNS provider type and the domain.
 * The gardenlet reads the whole Secret (src/seed/gardenlet/internal-domain.ts); the garden needs
 * only its provider type, which decides the DNSRecord type every shoot needs.
 */
import type { KubeObject } from '../meta.js';

export const INTERNAL_DOMAIN_SELECTOR = 'gardener.cloud/role=internal-domain';
export const DNS_PROVIDER_ANNOTATION = 'dns.gardener.cloud/provider';
export const DNS_DOMAIN_ANNOTATION = 'dns.gardener.cloud/domain';

/** The DNS provider type of the internal domain among `secrets` (those the selector lists), if any. */
export function internalDomainProvider(secrets: readonly KubeObject[]): string | undefined {
  return secrets.map((s) => s.metadata.annotations?.[DNS_PROVIDER_ANNOTATION]).find((p) => p);
}
