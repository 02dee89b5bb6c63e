/**
 * The query parameters every write takes (metav1 CreateOptions, UpdateOptions, PatchOptions):
 * `dryRun`, `fieldManager` and, for server-side apply, `force`; checked as Kubernetes checks them
 * (a 422 naming the parameter) before the request reaches the store. A write without a
 * `fieldManager` is recorded for the prefix of the client's User-Agent (`kubectl/v1.31.0 …` →
 * `kubectl`), as the API server does; an apply must name its manager.
 */
import { FieldError, invalid } from '../api/errors.js';
import { tooLong } from '../api/validation.js';

export interface WriteOptions {
  dryRun: boolean;
  /** The manager the write is recorded for. */
  fieldManager: string;
  /** `force=true` on an apply. */
  force: boolean;
}

/** Kubernetes' FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

/** The write options of a request, or a 422 `<Kind>Options.meta.k8s.io "" is invalid` naming what is wrong. */
export function writeOptionsOf(
  query: URLSearchParams,
  kind: OptionsKind,
  userAgent: string | undefined,
  apply = false,
): WriteOptions {
  const errors: FieldError[] = [];
  const dryRun = query.getAll('dryRun');
  for (const value of dryRun) {
    if (value !== 'All') errors.push(FieldError.notSupported('dryRun', value, ['All']));
  }
  const requested = query.get('fieldManager') ?? '';
  const forceParam = query.get('force');
  if (kind === 'PatchOptions') {
    if (!apply && forceParam !== null)
      errors.push(FieldError.forbidden('force', 'may not be specified for non-apply patch'));
    if (apply && requested === '') errors.push(FieldError.required('fieldManager', 'is required for apply patch'));
  }
  if (requested.length > FIELD_MANAGER_MAX_LENGTH) errors.push(tooLong('fieldManager', FIELD_MANAGER_MAX_LENGTH));
  let position = 0;
  for (const char of requested) {
    if (!isPrintable(char)) {
      const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      errors.push(FieldError.invalid('fieldManager', requested, `invalid character ${code} (at position ${position})`));
    }
    position += char.length;
  }
  if (errors.length > 0) throw invalid({ group: 'meta.k8s.io', kind }, '', errors);
  return {
    dryRun: dryRun.includes('All'),
    fieldManager: requested || managerOfUserAgent(userAgent ?? ''),
    force: forceParam === 'true' || forceParam === '1',
  };
}

/**
 * The manager of a request without `fieldManager`: its User-Agent up to the first `/`, without
 * unprintable characters, cut at 128 bytes (Kubernetes' prefixFromUserAgent).
 */
export function managerOfUserAgent(userAgent: string): string {
  let out = '';
  for (const char of userAgent.split('/')[0]!) {
    if (!isPrintable(char)) continue;
    if (Buffer.byteLength(out + char) > FIELD_MANAGER_MAX_LENGTH) break;
    out += char;
  }
  return out;
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrintable(char: string): boolean {
  return char === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(char);
}
