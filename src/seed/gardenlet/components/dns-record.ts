/**
 * The shoot's internal domain DNS record (`<shoot>-internal`): `api.<shoot>.<project>.internal.local`
 * pointing at the host of the shoot's API endpoint.
 */
import { type DNSRecord, dnsRecordResource } from '../../../api/extensions/dns-record.js';
import { type ExtensionKind, localProviderSpec } from './extension.js';

export const internalDnsRecord: ExtensionKind<DNSRecord> = {
  resource: dnsRecordResource,
  name: (c) => `${c.shoot.metadata.name}-internal`,
  spec: (c) => {
    const project = (c.shoot.metadata.namespace ?? '').replace(/^garden-/, '');
    return {
      type: 'local',
      name: `api.${c.shoot.metadata.name}.${project}.internal.local`,
      recordType: 'A',
      values: [c.endpoint.apiHost],
      secretRef: localProviderSpec(c).secretRef,
    };
  },
};
