/** DNSRecord's definition: the extension strategy, Gardener's printer columns and a `spec.name` field selector. */
import { pathString } from '../../api/core-gardener/common.js';
import {
  dnsRecordName,
  dnsRecordResource,
  dnsRecordValidation,
  dnsRecordValues,
} from '../../api/extensions/dns-record.js';
import { ageColumn } from '../columns.js';
import { extensionKindDefinition, extensionSelectableFields, lastOperationStateColumn, typeColumn } from './common.js';

export const dnsRecordDefinition = extensionKindDefinition(dnsRecordResource, dnsRecordValidation, {
  listKind: 'DNSRecordList',
  singular: 'dnsrecord',
  shortNames: ['dns'],
  columns: [
    typeColumn,
    {
      name: 'DOMAIN NAME',
      type: 'string',
      description: 'The DNS record domain name.',
      cell: (obj) => dnsRecordName(obj) ?? null,
    },
    {
      name: 'RECORD TYPE',
      type: 'string',
      description: 'The DNS record type (A, AAAA, CNAME, or TXT).',
      cell: (obj) => pathString(obj, 'spec.recordType') || null,
    },
    lastOperationStateColumn('STATUS'),
    ageColumn,
    {
      name: 'VALUES',
      type: 'string',
      priority: 1,
      description: 'The record values.',
      cell: (obj) => dnsRecordValues(obj).join(',') || null,
    },
  ],
  selectableFields: {
    ...extensionSelectableFields,
    'spec.name': (obj) => dnsRecordName(obj) ?? '',
  },
});
