/**
 * Validation helpers every kind shares: object names (RFC 1123 labels and subdomains), label and
 * annotation maps, finalizers, and the generic ObjectMeta checks of create and update. Each
 * function is pure and returns `FieldError[]` (k8s apimachinery `validation` and
 * `api/validation/objectmeta.go`, with the same messages), plus `semanticEqual`, the equality
 * strategies and admission use to decide whether a spec changed.
 */
import { FieldError } from './errors.js';
import { isRecord, type ObjectMeta } from './meta.js';

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const QUALIFIED_NAME_MAX_LENGTH = 63;
export const LABEL_VALUE_MAX_LENGTH = 63;
export const CONFIG_KEY_MAX_LENGTH = 253;
/** Total size of all annotation keys and values (k8s TotalAnnotationSizeLimitB). */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';

const dns1123Label = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const dns1123Subdomain = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const qualifiedName = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const labelValue = new RegExp(`^${LABEL_VALUE_FMT}$`);
const configKey = new RegExp(`^${CONFIG_KEY_FMT}$`);

function regexError(message: string, fmt: string, ...examples: string[]): string {
  const shown = examples.length > 0 ? ` (e.g. ${examples.map((e) => `'${e}'`).join(',  or ')}, ` : ' (';
  return `${message}${shown}regex used for validation is '${fmt}')`;
}

function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** A name's problems against a length limit and a format (the shape of k8s's IsDNS1123Label & co). */
function formatErrors(
  value: string,
  max: number,
  pattern: RegExp,
  message: string,
  fmt: string,
  ...examples: string[]
): string[] {
  const errs: string[] = [];
  if (value.length > max) errs.push(maxLenError(max));
  if (!pattern.test(value)) errs.push(regexError(message, fmt, ...examples));
  return errs;
}

/** Problems with `value` as an RFC 1123 label (k8s IsDNS1123Label); empty when valid. */
export function isDns1123Label(value: string): string[] {
  return formatErrors(
    value,
    DNS1123_LABEL_MAX_LENGTH,
    dns1123Label,
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
    DNS1123_LABEL_FMT,
    'my-name',
    '123-abc',
  );
}

/** Problems with `value` as an RFC 1123 subdomain (k8s IsDNS1123Subdomain); empty when valid. */
export function isDns1123Subdomain(value: string): string[] {
  return formatErrors(
    value,
    DNS1123_SUBDOMAIN_MAX_LENGTH,
    dns1123Subdomain,
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    DNS1123_SUBDOMAIN_FMT,
    'example.com',
  );
}

/** Problems with `value` as a qualified name `[prefix/]name` (label and annotation keys). */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else for (const msg of isDns1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      regexError(
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        QUALIFIED_NAME_FMT,
        'MyName',
        'my.name',
        '123-abc',
      ) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (name.length > QUALIFIED_NAME_MAX_LENGTH) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  if (name.length > 0 && !qualifiedName.test(name)) {
    errs.push(
      `name part ${regexError(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        QUALIFIED_NAME_FMT,
        'MyName',
        'my.name',
        '123-abc',
      )}`,
    );
  }
  return errs;
}

/** Problems with `value` as a label value (k8s IsValidLabelValue); empty when valid. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!labelValue.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

/** Problems with `value` as a ConfigMap or Secret data key (k8s IsConfigMapKey); empty when valid. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > CONFIG_KEY_MAX_LENGTH) errs.push(maxLenError(CONFIG_KEY_MAX_LENGTH));
  if (!configKey.test(value)) {
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        CONFIG_KEY_FMT,
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  }
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

function emptyError(): string {
  return 'must be non-empty';
}

/**
 * How a kind's names are checked: most kinds use subdomains, namespaces and Gardener kinds
 * labels, Services RFC 1035 labels (their names become DNS names that must not start with a digit).
 */
export type NameRule = 'subdomain' | 'label' | 'dns1035Label' | 'pathSegment';

function nameRuleErrors(rule: NameRule, name: string): string[] {
  if (rule === 'label') return isDns1123Label(name);
  if (rule === 'subdomain') return isDns1123Subdomain(name);
  if (rule === 'dns1035Label') return isDns1035Label(name);
  return [];
}

const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035Label = new RegExp(`^${DNS1035_LABEL_FMT}$`);

/** Problems with `value` as an RFC 1035 label (k8s IsDNS1035Label); empty when valid. */
export function isDns1035Label(value: string): string[] {
  return formatErrors(
    value,
    DNS1123_LABEL_MAX_LENGTH,
    dns1035Label,
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
    DNS1035_LABEL_FMT,
    'my-name',
    'abc-123',
  );
}

/** Problems with a name that can never be a path segment (k8s IsValidPathSegmentName). */
function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const illegal of ['/', '%']) if (name.includes(illegal)) errs.push(`may not contain '${illegal}'`);
  return errs;
}

/**
 * Validates `metadata.name` (k8s ValidateObjectMeta's name part): a string that is an RFC 1123
 * subdomain, or label when `rule` says so. `prefix` true checks a `generateName` (its trailing
 * '-' is not part of the check).
 */
export function validateObjectMetaName(
  name: unknown,
  rule: NameRule = 'subdomain',
  path = 'metadata.name',
  prefix = false,
): FieldError[] {
  if (typeof name !== 'string') return [FieldError.typeInvalid(path, name, 'must be a string')];
  const checked = prefix && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
  const messages = [...pathSegmentErrors(name), ...nameRuleErrors(rule, checked)];
  return messages.map((m) => FieldError.invalid(path, name, m));
}

/** Validates a label map (k8s ValidateLabels): qualified-name keys, valid values. */
export function validateLabels(labels: unknown, path = 'metadata.labels'): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (!isRecord(labels)) return [FieldError.typeInvalid(path, labels, 'must be a map of string keys to string values')];
  const errs: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    for (const msg of isQualifiedName(key)) errs.push(FieldError.invalid(path, key, msg));
    if (typeof value !== 'string') {
      errs.push(FieldError.typeInvalid(`${path}[${key}]`, value, 'must be a string'));
      continue;
    }
    for (const msg of isValidLabelValue(value)) errs.push(FieldError.invalid(path, value, msg));
  }
  return errs;
}

/** Validates an annotation map (k8s ValidateAnnotations): qualified-name keys, total size ≤ 256 KiB. */
export function validateAnnotations(annotations: unknown, path = 'metadata.annotations'): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isRecord(annotations)) {
    return [FieldError.typeInvalid(path, annotations, 'must be a map of string keys to string values')];
  }
  const errs: FieldError[] = [];
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.push(FieldError.invalid(path, key, msg));
    if (typeof value !== 'string') {
      errs.push(FieldError.typeInvalid(`${path}[${key}]`, value, 'must be a string'));
      continue;
    }
    total += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES, 'bytes'));
  return errs;
}

/** Validates finalizer names: each a qualified name, no duplicates. */
export function validateFinalizers(finalizers: unknown, path = 'metadata.finalizers'): FieldError[] {
  if (finalizers === undefined || finalizers === null) return [];
  if (!Array.isArray(finalizers)) return [FieldError.typeInvalid(path, finalizers, 'must be a list of strings')];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  finalizers.forEach((finalizer, i) => {
    if (typeof finalizer !== 'string') {
      errs.push(FieldError.typeInvalid(`${path}[${i}]`, finalizer, 'must be a string'));
      return;
    }
    for (const msg of isQualifiedName(finalizer)) errs.push(FieldError.invalid(path, finalizer, msg));
    if (seen.has(finalizer)) errs.push(FieldError.duplicate(`${path}[${i}]`, finalizer));
    seen.add(finalizer);
  });
  return errs;
}

/** A `FieldValueTooLong` error (the shared factories have none). */
export function tooLong(path: string, max: number, unit: 'bytes' | 'characters' = 'bytes'): FieldError {
  return { type: 'FieldValueTooLong', path, message: `Too long: may not be more than ${max} ${unit}` };
}

export interface ObjectMetaRules {
  /** Whether the kind lives in a namespace. */
  namespaced: boolean;
  /** How `metadata.name` is checked; default subdomain. */
  name?: NameRule;
}

/**
 * Generic ObjectMeta validation for create (k8s ValidateObjectMeta): a name or generateName, a
 * namespace exactly when the kind is namespaced, and well-formed labels, annotations and
 * finalizers.
 */
export function validateObjectMeta(meta: unknown, rules: ObjectMetaRules): FieldError[] {
  if (!isRecord(meta)) return [FieldError.required('metadata')];
  const errs: FieldError[] = [];
  const rule = rules.name ?? 'subdomain';
  if (meta.name !== undefined && meta.name !== '') {
    errs.push(...validateObjectMetaName(meta.name, rule));
  } else if (typeof meta.generateName === 'string' && meta.generateName !== '') {
    errs.push(...validateObjectMetaName(meta.generateName, rule, 'metadata.generateName', true));
  } else {
    errs.push(FieldError.required('metadata.name', 'name or generateName is required'));
  }
  const namespace = meta.namespace;
  if (rules.namespaced) {
    if (namespace === undefined || namespace === '') errs.push(FieldError.required('metadata.namespace'));
    else errs.push(...validateObjectMetaName(namespace, 'label', 'metadata.namespace'));
  } else if (namespace !== undefined && namespace !== '') {
    errs.push(FieldError.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  errs.push(...validateLabels(meta.labels));
  errs.push(...validateAnnotations(meta.annotations));
  errs.push(...validateFinalizers(meta.finalizers));
  return errs;
}

/** ObjectMeta checks of an update: name and namespace are immutable, then the create checks. */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta, rules: ObjectMetaRules): FieldError[] {
  const errs: FieldError[] = [];
  if ((meta.name ?? '') !== (old.name ?? '')) errs.push(FieldError.immutable('metadata.name', meta.name));
  if ((meta.namespace ?? '') !== (old.namespace ?? '')) {
    errs.push(FieldError.immutable('metadata.namespace', meta.namespace));
  }
  errs.push(...validateObjectMeta(meta, rules));
  return errs;
}

/** True when `value` is absent in the sense k8s's Semantic.DeepEqual uses: undefined, null, [] or {}. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isRecord(value) && Object.keys(value).length === 0;
}

/**
 * Deep equality of JSON values where a missing field, `null`, `[]` and `{}` are the same (as Go
 * decodes them into nil). Used to decide whether a spec changed.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => semanticEqual(item, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!semanticEqual(a[key], b[key])) return false;
    return true;
  }
  return Object.is(a, b);
}

/** Checks that `value`, when present, is a string; returns the errors. */
export function optionalString(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null || typeof value === 'string') return [];
  return [FieldError.typeInvalid(path, value, 'must be a string')];
}

/** Checks that `value`, when present, is an object; returns the errors. */
export function optionalObject(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null || isRecord(value)) return [];
  return [FieldError.typeInvalid(path, value, 'must be an object')];
}

/** Checks that `value`, when present, is a list; returns the errors. */
export function optionalArray(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null || Array.isArray(value)) return [];
  return [FieldError.typeInvalid(path, value, 'must be a list')];
}

/** Checks that a field has not changed once set (`old` present); returns the errors. */
export function immutableOnceSet(value: unknown, old: unknown, path: string): FieldError[] {
  if (old === undefined || old === null) return [];
  return semanticEqual(value, old) ? [] : [FieldError.immutable(path, value)];
}
