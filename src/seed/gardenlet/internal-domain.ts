/**
 * The landscape's internal domain, as Gardener configures it: a Secret in the garden's `garden`
 * namespace labelled `gardener.cloud/role: internal-domain`, annotated with the DNS provider type
 * (`dns.gardener.cloud/provider`) and the domain (`dns.gardener.cloud/domain`), holding the
 * provider's credentials (for `rfc2136`, external-dns-management's keys: `Server`, `Zone`,
 * `TSIGKeyName`, `TSIGSecret`, `TSIGSecretAlgorithm`). When it exists, every shoot's API is
 * reached at `api.<shoot>.<project>.<domain>`.
 */
import { secretResource } from '../../api/core/secret.js';
import {
  DNS_DOMAIN_ANNOTATION,
  DNS_PROVIDER_ANNOTATION,
  INTERNAL_DOMAIN_SELECTOR,
} from '../../api/core-gardener/internal-domain.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { projectOf } from '../../shoot/identity.js';

export { DNS_DOMAIN_ANNOTATION, DNS_PROVIDER_ANNOTATION, INTERNAL_DOMAIN_SELECTOR };
/** The only DNS provider that publishes records on a DNS server. */
export const RFC2136_PROVIDER = 'rfc2136';
/**
 * The local provider (examples/01-secret-internal-domain.yaml): names of the loopback landscape,
 * where a shoot's API is reached at its own loopback address and no DNS server is involved.
 */
export const LOCAL_PROVIDER = 'local';

export interface InternalDomain {
  /** `landscape.test`, without a trailing dot. */
  domain: string;
  /** The provider type, the DNSRecords' `spec.type` (`rfc2136`). */
  provider: string;
  /** The Secret's data as it is (base64), for the copy each control-plane namespace gets. */
  data: Record<string, string>;
}

/**
 * The garden's internal domain with a DNS server behind it, undefined when there is none (no
 * internal-domain Secret, or only the local provider's, which publishes nothing). Two such
 * Secrets, or an unusable one, are an error naming them: Gardener has one internal domain.
 */
export async function readInternalDomain(garden: Client): Promise<InternalDomain | undefined> {
  const secrets = (
    await garden.resource(secretResource).list('garden', { labelSelector: INTERNAL_DOMAIN_SELECTOR })
  ).items.filter((s) => s.metadata.annotations?.[DNS_PROVIDER_ANNOTATION] !== LOCAL_PROVIDER);
  if (secrets.length > 1) {
    const names = secrets.map((s) => `garden/${s.metadata.name}`).sort();
    throw new Error(`the garden has ${secrets.length} internal-domain secrets (${names.join(', ')}); keep one`);
  }
  return secrets[0] ? internalDomainOf(secrets[0]) : undefined;
}

export function internalDomainOf(secret: KubeObject): InternalDomain {
  const what = `internal-domain secret garden/${secret.metadata.name}`;
  const annotations = secret.metadata.annotations ?? {};
  const provider = annotations[DNS_PROVIDER_ANNOTATION];
  const domain = annotations[DNS_DOMAIN_ANNOTATION]?.replace(/\.$/, '');
  if (!domain) throw new Error(`${what} has no annotation ${DNS_DOMAIN_ANNOTATION}`);
  if (provider !== RFC2136_PROVIDER) {
    throw new Error(
      `${what}: DNS provider ${JSON.stringify(provider)} is not supported (${DNS_PROVIDER_ANNOTATION}: ${RFC2136_PROVIDER})`,
    );
  }
  const data = isRecord(secret.data) ? (secret.data as Record<string, string>) : {};
  return { domain, provider, data };
}

/** Gardener's internal API name of a shoot: `api.<shoot>.<project>.<domain>`. */
export function shootApiDomainName(shoot: KubeObject, domain: string): string {
  return `api.${shoot.metadata.name}.${projectOf(shoot)}.${domain}`;
}
