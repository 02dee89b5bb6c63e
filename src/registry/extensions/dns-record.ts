/** DNSRecord's definition: the extension strategy, Gardener's printer columns and a `spec.name` field selector. */
import { dnsRecordResource, dnsRecordValidation } from '../../api/extensions/dns-record.js';
import { ageColumn } from '../columns.js';
import { extensionKindDefinition, lastOperationStateColumn, typeColumn } from './common.js';

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
      cell: (record) => record.spec.name || null,
    },
    {
      name: 'RECORD TYPE',
      type: 'string',
      description: 'The DNS record type (A, AAAA, CNAME, or TXT).',
      cell: (record) => record.spec.recordType || null,
    },
    lastOperationStateColumn('STATUS'),
    ageColumn,
    {
      name: 'VALUES',
      type: 'string',
      priority: 1,
      description: 'The record values.',
      cell: (record) => record.spec.values.join(',') || null,
    },
  ],
  selectableFields: { 'spec.name': (record) => record.spec.name },
});
