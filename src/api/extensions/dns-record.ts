/**
 * DNSRecord (extensions.gardener.cloud/v1alpha1, namespaced in the control-plane namespace): one
 * DNS record set, e.g. the shoot's stable API address `api.<shoot domain>`. Validation follows
 * Gardener's: `name` a fully qualified domain name (a leading `*.` allowed, or `_` for TXT),
 * `recordType` one of A, AAAA, CNAME, TXT, `values` non-empty and of the record type's form (IPv4,
 * IPv6, a single domain name, any text); `type`, `name` and `recordType` immutable.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { FieldError } from '../errors.js';
import { aNumber, aString, listOf, oneOf, optional } from '../kind-guard.js';
import { optionalString } from '../validation.js';
import {
  aSecretReference,
  type ExtensionObject,
  type ExtensionSpec,
  type ExtensionStatus,
  type ExtensionValidation,
  extensionKind,
  type SecretReference,
} from './common.js';
import {
  optionalNonEmptyString,
  optionalNonNegativeInteger,
  validateFqdn,
  validateSecretReference,
} from './field-validation.js';

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'TXT'] as const;
export type DNSRecordType = (typeof DNS_RECORD_TYPES)[number];

/** Gardener's default TTL of the records it creates (seconds). */
export const DEFAULT_DNS_RECORD_TTL = 120;

export interface DNSRecordSpec extends ExtensionSpec {
  secretRef: SecretReference;
  /** The fully qualified domain name (`api.<shoot domain>`; `*.` or, for TXT, `_` may lead). */
  name: string;
  recordType: DNSRecordType;
  /** IPv4 or IPv6 addresses, a single domain name (CNAME), or texts. */
  values: string[];
  /** Seconds; Gardener's default 120 when unset. */
  ttl?: number;
  /** The hosted zone; the provider finds it when unset. */
  zone?: string;
}

export interface DNSRecordStatus extends ExtensionStatus {
  /** The hosted zone the record went into. */
  zone?: string;
}

export type DNSRecord = ExtensionObject<DNSRecordSpec, DNSRecordStatus>;

/**
 * The guard (whether an object is a DNSRecord with the fields above, of their types) and the
 * reference that carries it, so that clients read checked objects.
 */
export const { is: isDNSRecord, resource: dnsRecordResource } = extensionKind<DNSRecord>(
  { kind: 'DNSRecord', plural: 'dnsrecords', namespaced: true },
  {
    spec: {
      secretRef: aSecretReference,
      name: aString,
      recordType: oneOf(DNS_RECORD_TYPES),
      values: listOf(aString),
      ttl: optional(aNumber),
      zone: optional(aString),
    },
    status: { zone: optional(aString) },
  },
);

function validateValue(recordType: unknown, value: unknown, path: string): FieldError[] {
  if (typeof value !== 'string') return [FieldError.typeInvalid(path, value, 'must be a string')];
  switch (recordType) {
    case 'A':
      return isIPv4(value) ? [] : [FieldError.invalid(path, value, 'must be a valid IPv4 address')];
    case 'AAAA':
      return isIPv6(value) ? [] : [FieldError.invalid(path, value, 'must be a valid IPv6 address')];
    case 'CNAME':
      return validateFqdn(value, path);
    default:
      return [];
  }
}

function validateDnsRecordSpec(spec: Record<string, unknown>): FieldError[] {
  const errs = [
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
    ...optionalNonEmptyString(spec.region, 'spec.region'),
    ...optionalNonEmptyString(spec.zone, 'spec.zone'),
  ];
  const recordType = spec.recordType;
  if (typeof spec.name === 'string') {
    const name = recordType === 'TXT' ? spec.name.replace(/^_/, '') : spec.name.replace(/^\*\./, '');
    errs.push(...validateFqdn(name, 'spec.name'));
  } else {
    errs.push(...validateFqdn(spec.name, 'spec.name'));
  }
  if (typeof recordType !== 'string' || !(DNS_RECORD_TYPES as readonly string[]).includes(recordType)) {
    errs.push(FieldError.notSupported('spec.recordType', recordType, DNS_RECORD_TYPES));
  }
  const values = spec.values;
  if (!Array.isArray(values) || values.length === 0) {
    errs.push(
      values === undefined || values === null || Array.isArray(values)
        ? FieldError.required('spec.values', 'field is required')
        : FieldError.typeInvalid('spec.values', values, 'must be a list of strings'),
    );
  } else {
    if (recordType === 'CNAME' && values.length > 1) {
      errs.push(FieldError.invalid('spec.values', values, 'CNAME records must have a single value'));
    }
    values.forEach((value, i) => {
      errs.push(...validateValue(recordType, value, `spec.values[${i}]`));
    });
  }
  errs.push(...optionalNonNegativeInteger(spec.ttl, 'spec.ttl'));
  return errs;
}

/** What DNSRecord adds to the validation of every extension kind. */
export const dnsRecordValidation: ExtensionValidation = {
  validateSpec: validateDnsRecordSpec,
  immutable: ['name', 'recordType'],
  validateStatus: (status) => optionalString(status.zone, 'status.zone'),
};
