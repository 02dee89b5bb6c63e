/**
 * Field validators the seed's kinds (extensions.gardener.cloud, druid.gardener.cloud) need beyond
 * the shared ones in ../validation.ts: required strings, enums, integers, ports, Kubernetes
 * quantities, Go durations, RFC 3339 timestamps (with offsets, as `date -Iseconds` prints them),
 * secret references, fully qualified domain names, and the status shapes Gardener's kinds share
 * (`Condition`, `LastOperation`, `LastError`, `NamedResourceReference`). Every validator is pure and
 * returns `FieldError[]`; an absent optional value (undefined or null) is never an error.
 */
import { FieldError } from '../errors.js';
import { CONDITION_STATUSES, isRecord } from '../meta.js';
import {
  isDns1123Label,
  isDns1123Subdomain,
  optionalArray,
  optionalString,
  validateObjectMetaName,
} from '../validation.js';

function absent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** A non-empty string at `path`; `detail` goes into the Required message. */
export function requiredString(value: unknown, path: string, detail = 'field is required'): FieldError[] {
  if (absent(value) || value === '') return [FieldError.required(path, detail)];
  if (typeof value !== 'string') return [FieldError.typeInvalid(path, value, 'must be a string')];
  return [];
}

/** When present, a string that is not empty ("field cannot be empty if specified"). */
export function optionalNonEmptyString(value: unknown, path: string): FieldError[] {
  if (absent(value)) return [];
  if (typeof value !== 'string') return [FieldError.typeInvalid(path, value, 'must be a string')];
  return value === '' ? [FieldError.invalid(path, value, 'field cannot be empty if specified')] : [];
}

/** When present, one of `allowed` (a `FieldValueNotSupported` error otherwise). */
export function optionalEnum(value: unknown, path: string, allowed: readonly string[]): FieldError[] {
  if (absent(value)) return [];
  return typeof value === 'string' && allowed.includes(value) ? [] : [FieldError.notSupported(path, value, allowed)];
}

/** Required and one of `allowed`. */
export function requiredEnum(value: unknown, path: string, allowed: readonly string[]): FieldError[] {
  if (absent(value) || value === '') return [FieldError.required(path, `must be one of ${allowed.join(', ')}`)];
  return optionalEnum(value, path, allowed);
}

/** When present, a boolean. */
export function optionalBoolean(value: unknown, path: string): FieldError[] {
  if (absent(value) || typeof value === 'boolean') return [];
  return [FieldError.typeInvalid(path, value, 'must be a boolean')];
}

/** When present, an integer in [min, max]. */
export function optionalInteger(
  value: unknown,
  path: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): FieldError[] {
  if (absent(value)) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return [FieldError.typeInvalid(path, value, 'must be an integer')];
  }
  if (value < min) {
    return [FieldError.invalid(path, value, min === 0 ? 'must be greater than or equal to 0' : `must be >= ${min}`)];
  }
  if (value > max) return [FieldError.invalid(path, value, `must be <= ${max}`)];
  return [];
}

/** When present, a non-negative integer (k8s ValidateNonnegativeField). */
export function optionalNonNegativeInteger(value: unknown, path: string): FieldError[] {
  return optionalInteger(value, path, 0);
}

/** Largest value of Go's uint32. */
export const UINT32_MAX = 4_294_967_295;

/** When present, a TCP port number (1–65535). */
export function optionalPort(value: unknown, path: string): FieldError[] {
  if (absent(value)) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return [FieldError.typeInvalid(path, value, 'must be an integer')];
  }
  return value >= 1 && value <= 65535
    ? []
    : [FieldError.invalid(path, value, 'must be between 1 and 65535, inclusive')];
}

// ---------------------------------------------------------------------------------------------
// Quantities, durations, timestamps

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** True for a Kubernetes resource quantity such as `8Gi`, `500m`, `1.5`, `2e3`. */
export function isQuantity(value: string): boolean {
  return QUANTITY.test(value);
}

/** When present, a quantity: a string matching k8s's quantity syntax, or a number. */
export function optionalQuantity(value: unknown, path: string): FieldError[] {
  if (absent(value)) return [];
  if (typeof value === 'number' && Number.isFinite(value)) return [];
  if (typeof value === 'string' && isQuantity(value)) return [];
  return [
    FieldError.invalid(
      path,
      value,
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ),
  ];
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds of a Go duration string as metav1.Duration serialises it (`5m`, `1h30m`, `2.5s`,
 * `0`), or undefined when `text` is not one.
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = DURATION_PART.exec(text); match; match = DURATION_PART.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = DURATION_PART.lastIndex;
  }
  return consumed === text.length ? total : undefined;
}

/** When present, a Go duration string (`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`; `0` only with `allowZero`). */
export function optionalDuration(value: unknown, path: string, allowZero = false): FieldError[] {
  if (absent(value)) return [];
  if (typeof value === 'string' && (value !== '0' || allowZero) && parseDuration(value) !== undefined) return [];
  return [FieldError.invalid(path, value, 'must be a duration such as 30s, 5m or 1h30m')];
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * True for an RFC 3339 date-time as Go's `time.RFC3339` parses it: `2026-11-23T19:40:00Z`,
 * `2026-11-23T19:40:00.123Z` and `2026-11-23T19:40:00+00:00` (what `date -Iseconds` prints).
 */
export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (m[9] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return false;
  return true;
}

/** When present, an RFC 3339 timestamp string. */
export function optionalTimestamp(value: unknown, path: string): FieldError[] {
  if (absent(value)) return [];
  if (typeof value === 'string' && isRfc3339(value)) return [];
  return [FieldError.invalid(path, value, 'must be an RFC 3339 date-time such as 2026-11-23T19:40:00Z')];
}

// ---------------------------------------------------------------------------------------------
// References and names

/**
 * A `corev1.SecretReference` (`{name, namespace?}`) at `path`: a given reference needs a name.
 * When `required`, a missing reference reports `<path>.name` as Gardener does ("field is required").
 */
export function validateSecretReference(value: unknown, path: string, required: boolean): FieldError[] {
  if (absent(value)) return required ? [FieldError.required(`${path}.name`, 'field is required')] : [];
  if (!isRecord(value)) return [FieldError.typeInvalid(path, value, 'must be an object')];
  const errs = requiredString(value.name, `${path}.name`);
  if (typeof value.name === 'string' && value.name !== '') {
    errs.push(...validateObjectMetaName(value.name, 'subdomain', `${path}.name`));
  }
  if (!absent(value.namespace) && value.namespace !== '') {
    errs.push(...validateObjectMetaName(value.namespace, 'label', `${path}.namespace`));
  }
  return errs;
}

/**
 * A fully qualified domain name (k8s IsFullyQualifiedDomainName): a trailing dot is ignored, the
 * rest must be an RFC 1123 subdomain of at least two labels.
 */
export function validateFqdn(value: unknown, path: string): FieldError[] {
  if (absent(value) || value === '') return [FieldError.required(path, 'field is required')];
  if (typeof value !== 'string') return [FieldError.typeInvalid(path, value, 'must be a string')];
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const subdomain = isDns1123Subdomain(name);
  if (subdomain.length > 0) return subdomain.map((m) => FieldError.invalid(path, name, m));
  const labels = name.split('.');
  if (labels.length < 2) {
    return [FieldError.invalid(path, name, 'should be a domain with at least two segments separated by dots')];
  }
  return labels.flatMap((label) => isDns1123Label(label).map((m) => FieldError.invalid(path, label, m)));
}

// ---------------------------------------------------------------------------------------------
// Status shapes

/** Condition statuses Gardener and etcd-druid write. */

/**
 * `status.conditions`-like lists: each entry an object with a `type` (unique) and a `status`
 * (True, False, Unknown, Progressing); timestamps, when present, RFC 3339; `reason` and `message`
 * strings; `codes` a list of strings.
 */
export function validateConditions(value: unknown, path: string): FieldError[] {
  if (absent(value)) return [];
  if (!Array.isArray(value)) return [FieldError.typeInvalid(path, value, 'must be a list')];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  value.forEach((condition, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(condition)) {
      errs.push(FieldError.typeInvalid(at, condition, 'must be an object'));
      return;
    }
    errs.push(...requiredString(condition.type, `${at}.type`));
    if (typeof condition.type === 'string' && condition.type !== '') {
      if (seen.has(condition.type)) errs.push(FieldError.duplicate(`${at}.type`, condition.type));
      seen.add(condition.type);
    }
    errs.push(...requiredEnum(condition.status, `${at}.status`, CONDITION_STATUSES));
    errs.push(...optionalTimestamp(condition.lastTransitionTime, `${at}.lastTransitionTime`));
    errs.push(...optionalTimestamp(condition.lastUpdateTime, `${at}.lastUpdateTime`));
    errs.push(...optionalString(condition.reason, `${at}.reason`));
    errs.push(...optionalString(condition.message, `${at}.message`));
    errs.push(...validateStringList(condition.codes, `${at}.codes`));
  });
  return errs;
}

/** When present, a list of strings. */
export function validateStringList(value: unknown, path: string): FieldError[] {
  if (absent(value)) return [];
  if (!Array.isArray(value)) return [FieldError.typeInvalid(path, value, 'must be a list of strings')];
  return value.flatMap((item, i) =>
    typeof item === 'string' ? [] : [FieldError.typeInvalid(`${path}[${i}]`, item, 'must be a string')],
  );
}

/** A Gardener `LastOperation`: `type` and `state` required, `progress` 0–100, `lastUpdateTime` RFC 3339. */
export function validateLastOperation(value: unknown, path: string): FieldError[] {
  if (absent(value)) return [];
  if (!isRecord(value)) return [FieldError.typeInvalid(path, value, 'must be an object')];
  const errs = [...requiredString(value.type, `${path}.type`), ...requiredString(value.state, `${path}.state`)];
  const progress = value.progress;
  if (!absent(progress) && (typeof progress !== 'number' || progress < 0 || progress > 100)) {
    errs.push(FieldError.invalid(`${path}.progress`, progress, 'must be a number between 0 and 100'));
  }
  errs.push(...optionalString(value.description, `${path}.description`));
  errs.push(...optionalTimestamp(value.lastUpdateTime, `${path}.lastUpdateTime`));
  return errs;
}

/** A Gardener `LastError`: `description` required, `taskID` string, `codes` strings, `lastUpdateTime` RFC 3339. */
export function validateLastError(value: unknown, path: string): FieldError[] {
  if (absent(value)) return [];
  if (!isRecord(value)) return [FieldError.typeInvalid(path, value, 'must be an object')];
  return [
    ...requiredString(value.description, `${path}.description`),
    ...optionalString(value.taskID, `${path}.taskID`),
    ...validateStringList(value.codes, `${path}.codes`),
    ...optionalTimestamp(value.lastUpdateTime, `${path}.lastUpdateTime`),
  ];
}

/** Gardener `NamedResourceReference`s: `name` (unique) and `resourceRef {kind, name, apiVersion?}`. */
export function validateNamedResourceReferences(value: unknown, path: string): FieldError[] {
  const listErrs = optionalArray(value, path);
  if (listErrs.length > 0 || !Array.isArray(value)) return listErrs;
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  value.forEach((ref, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(ref)) {
      errs.push(FieldError.typeInvalid(at, ref, 'must be an object'));
      return;
    }
    errs.push(...requiredString(ref.name, `${at}.name`));
    if (typeof ref.name === 'string' && ref.name !== '') {
      if (seen.has(ref.name)) errs.push(FieldError.duplicate(`${at}.name`, ref.name));
      seen.add(ref.name);
    }
    if (!isRecord(ref.resourceRef)) {
      errs.push(FieldError.required(`${at}.resourceRef`));
    } else {
      errs.push(...requiredString(ref.resourceRef.kind, `${at}.resourceRef.kind`));
      errs.push(...requiredString(ref.resourceRef.name, `${at}.resourceRef.name`));
      errs.push(...optionalString(ref.resourceRef.apiVersion, `${at}.resourceRef.apiVersion`));
    }
  });
  return errs;
}

const CRON_ITEM = /^(?:\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;
const CRON_RANGES: readonly [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

/** True for a standard five-field cron schedule (`0 *\/12 * * *`), numbers in each field's range. */
export function isCronSchedule(value: string): boolean {
  const fields = value.trim().split(/\s+/);
  if (fields.length !== 5) return false;
  return fields.every((field, i) => {
    const [min, max] = CRON_RANGES[i]!;
    return field.split(',').every((item) => {
      const m = CRON_ITEM.exec(item);
      if (!m) return false;
      const [from, to, step] = [m[1], m[2], m[3]].map((n) => (n === undefined ? undefined : Number(n)));
      if (from !== undefined && (from < min || from > max)) return false;
      if (to !== undefined && (to < min || to > max || to < from!)) return false;
      return step === undefined || step > 0;
    });
  });
}

/** When present, a five-field cron schedule. */
export function optionalCronSchedule(value: unknown, path: string): FieldError[] {
  if (absent(value)) return [];
  if (typeof value === 'string' && isCronSchedule(value)) return [];
  return [FieldError.invalid(path, value, 'must be a cron schedule with five fields, e.g. "0 */12 * * *"')];
}
