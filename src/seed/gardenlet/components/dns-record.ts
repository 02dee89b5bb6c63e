/**
 * The shoot's internal domain DNS record (`<shoot>-internal`): `api.<shoot>.<project>.<domain>`
 * pointing at the shoot's bind address on this seed. With the garden's internal domain it is of
 * the domain's provider type (`rfc2136`), with the record TTL of this seed and a copy of the
 * domain's credentials in the control-plane namespace (`dnsrecord-internal`), and its extension
 * controller publishes it on the DNS server; without one it is the local provider's record of
 * the loopback landscape (`internal.local`, kept only in the object).
 */
import { secretResource } from '../../../api/core/secret.js';
import { type DNSRecord, dnsRecordResource } from '../../../api/extensions/dns-record.js';
import { projectOf } from '../../../shoot/identity.js';
import { applySecretData } from '../../secret-data.js';
import type { ComponentContext } from './context.js';
import { type ExtensionKind, localProviderSpec } from './extension.js';

/** The copy of the internal domain's credentials the record's provider reads. */
export const INTERNAL_DNS_SECRET = 'dnsrecord-internal';

export const internalDnsRecord: ExtensionKind<DNSRecord> = {
  resource: dnsRecordResource,
  name: (c) => `${c.shoot.metadata.name}-internal`,
  spec: (c) => {
    const values = [c.endpoint.bindAddress];
    if (!c.internalDomain || !c.endpoint.dnsName) {
      return {
        type: 'local',
        name: `api.${c.shoot.metadata.name}.${projectOf(c.shoot)}.internal.local`,
        recordType: 'A',
        values,
        secretRef: localProviderSpec(c).secretRef,
      };
    }
    return {
      type: c.internalDomain.provider,
      name: c.endpoint.dnsName,
      recordType: 'A',
      values,
      ttl: c.dnsRecordTtl,
      secretRef: { name: INTERNAL_DNS_SECRET, namespace: c.namespace },
    };
  },
  prepare: async (c) => copyCredentials(c),
  // The provider type and the name are immutable: a record of the loopback landscape becomes the
  // internal domain's (the garden got an internal domain) by being deleted and created anew.
  replaces: (current, spec) => current.spec.type !== spec.type || current.spec.name !== spec.name,
};

/** Writes the internal domain's credentials into the control-plane namespace (again when they changed). */
async function copyCredentials(c: ComponentContext): Promise<void> {
  if (!c.internalDomain) return;
  await applySecretData(c.seed.resource(secretResource), c.namespace, INTERNAL_DNS_SECRET, c.internalDomain.data);
}
