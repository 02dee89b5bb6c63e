/**
 * Which seed serves a shoot's API: the shoot's stable address is the same on every seed, so its
 * serving certificate names the seed it was issued on, as a DNS name under a reserved domain
 * (`<seed>.seeds.transplant.invalid`; `.invalid` never resolves). A node agent reads it in the
 * TLS handshake, before it sends anything — which is how a machine's egress deny list can keep it
 * from one seed's network without knowing the seed's addresses.
 */
import type { PeerCertificate } from 'node:tls';

const SEED_DOMAIN = '.seeds.transplant.invalid';

/** The DNS name the serving certificate carries for `seed`. */
export function servingSeedDnsName(seed: string): string {
  return `${seed}${SEED_DOMAIN}`;
}

/** The seed named in a peer certificate's SANs, if any. */
export function servingSeedOf(cert: PeerCertificate): string | undefined {
  for (const entry of (cert.subjectaltname ?? '').split(',')) {
    const name = entry.trim().replace(/^DNS:/, '');
    if (name.endsWith(SEED_DOMAIN)) return name.slice(0, -SEED_DOMAIN.length);
  }
  return undefined;
}
