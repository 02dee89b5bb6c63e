/**
 * API errors. Every failure a client sees is a `StatusError` carrying a meta/v1 `Status`, built
 * by the factories below (the counterpart of apimachinery's api/errors). Handlers throw them;
 * the server serialises them unchanged.
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export type CauseType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueTypeInvalid'
  | 'FieldImmutable'
  | 'FieldManagerConflict'
  | 'UnexpectedServerResponse';

export interface StatusCause {
  type?: CauseType | string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** What an error is about (apimachinery's schema.GroupResource): the resource (plural, for messages) and its API group. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** Thrown on the request path for every client-visible failure. */
export class StatusError extends Error {
  readonly status: Status;

  constructor(status: Status, options?: { cause?: unknown }) {
    super(status.message, options);
    this.name = 'StatusError';
    this.status = status;
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): StatusReason | undefined {
    return this.status.reason;
  }
}

/** A field error as validation functions return them: `path` like `spec.seedName`. */
export interface FieldError {
  type: CauseType;
  path: string;
  message: string;
  value?: unknown;
}

export const FieldError = Object.freeze({
  required(path: string, detail = ''): FieldError {
    return { type: 'FieldValueRequired', path, message: detail ? `Required value: ${detail}` : 'Required value' };
  },
  invalid(path: string, value: unknown, detail: string): FieldError {
    return { type: 'FieldValueInvalid', path, value, message: `Invalid value: ${renderValue(value)}: ${detail}` };
  },
  forbidden(path: string, detail: string): FieldError {
    return { type: 'FieldValueForbidden', path, message: `Forbidden: ${detail}` };
  },
  notSupported(path: string, value: unknown, supported: readonly string[]): FieldError {
    return {
      type: 'FieldValueNotSupported',
      path,
      value,
      message: `Unsupported value: ${renderValue(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
    };
  },
  immutable(path: string, value: unknown): FieldError {
    return { type: 'FieldImmutable', path, value, message: `Invalid value: ${renderValue(value)}: field is immutable` };
  },
  typeInvalid(path: string, value: unknown, detail: string): FieldError {
    return { type: 'FieldValueTypeInvalid', path, value, message: `Invalid value: ${renderValue(value)}: ${detail}` };
  },
  notFound(path: string, value: unknown): FieldError {
    return { type: 'FieldValueNotFound', path, value, message: `Not found: ${renderValue(value)}` };
  },
  duplicate(path: string, value: unknown): FieldError {
    return { type: 'FieldValueDuplicate', path, value, message: `Duplicate value: ${renderValue(value)}` };
  },
});

function renderValue(value: unknown): string {
  if (value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function qualified(ref: GroupResource): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

function failure(
  code: number,
  reason: StatusReason | undefined,
  message: string,
  details?: StatusDetails,
): StatusError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code };
  if (reason) status.reason = reason;
  if (details) status.details = details;
  return new StatusError(status);
}

export function badRequest(message: string): StatusError {
  return failure(400, 'BadRequest', message);
}

export function unauthorized(message = 'Unauthorized'): StatusError {
  return failure(401, 'Unauthorized', message);
}

/** `forbidden(user, verb, ref, name, reason)` mirrors the apiserver's RBAC denial wording. */
export function forbidden(ref: GroupResource, name: string, reason: string): StatusError {
  const what = name ? `${qualified(ref)} "${name}"` : qualified(ref);
  return failure(403, 'Forbidden', `${what} is forbidden: ${reason}`, {
    name: name || undefined,
    group: ref.group,
    kind: ref.resource,
  });
}

/** 403 for a non-resource path such as /metrics. */
export function forbiddenNonResource(reason: string): StatusError {
  return failure(403, 'Forbidden', `forbidden: ${reason}`, {});
}

export function notFound(ref: GroupResource, name: string): StatusError {
  return failure(404, 'NotFound', `${qualified(ref)} "${name}" not found`, {
    name,
    group: ref.group,
    kind: ref.resource,
  });
}

/** 404 for a path the server does not serve at all. */
export function pathNotFound(message = 'the server could not find the requested resource'): StatusError {
  return failure(404, 'NotFound', message, {});
}

export function alreadyExists(ref: GroupResource, name: string): StatusError {
  return failure(409, 'AlreadyExists', `${qualified(ref)} "${name}" already exists`, {
    name,
    group: ref.group,
    kind: ref.resource,
  });
}

export function conflict(ref: GroupResource, name: string, reason: string): StatusError {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(ref)} "${name}": ${reason}`, {
    name,
    group: ref.group,
    kind: ref.resource,
  });
}

/** 422 with one cause per field error, like apimachinery's NewInvalid. */
/**
 * A server-side apply conflict (apimachinery's NewApplyConflict): 409 Conflict whose causes name
 * each conflicting field and the manager owning it.
 */
export function applyConflict(causes: StatusCause[], message: string): StatusError {
  return failure(409, 'Conflict', message, { causes });
}

export function invalid(
  kind: { group: string; kind: string },
  name: string,
  errors: readonly FieldError[],
): StatusError {
  const causes = errors.map((e) => ({ type: e.type, message: e.message, field: e.path }));
  const listed = errors.map((e) => `${e.path}: ${e.message}`);
  const summary = listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`;
  const qualifiedKind = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
  return failure(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
    name,
    group: kind.group,
    kind: kind.kind,
    causes,
  });
}

export function gone(message: string): StatusError {
  return failure(410, 'Expired', message);
}

export function methodNotAllowed(message: string): StatusError {
  return failure(405, 'MethodNotAllowed', message);
}

export function notAcceptable(message: string): StatusError {
  return failure(406, 'NotAcceptable', message);
}

export function unsupportedMediaType(message: string): StatusError {
  return failure(415, 'UnsupportedMediaType', message);
}

export function requestEntityTooLarge(message: string): StatusError {
  return failure(413, 'RequestEntityTooLarge', message);
}

export function tooManyRequests(message: string, retryAfterSeconds = 1): StatusError {
  return failure(429, 'TooManyRequests', message, { retryAfterSeconds });
}

export function internalError(message: string): StatusError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`);
}

/** 503; `cause` keeps what failed underneath (a socket error's code, say) for callers that look. */
export function serviceUnavailable(message: string, options?: { cause?: unknown }): StatusError {
  const err = failure(503, 'ServiceUnavailable', message);
  return options ? new StatusError(err.status, options) : err;
}

export function isStatusError(err: unknown): err is StatusError {
  return err instanceof StatusError;
}

export function isNotFound(err: unknown): boolean {
  return isStatusError(err) && err.reason === 'NotFound';
}

export function isAlreadyExists(err: unknown): boolean {
  return isStatusError(err) && err.reason === 'AlreadyExists';
}

export function isConflict(err: unknown): boolean {
  return isStatusError(err) && err.reason === 'Conflict';
}

export function isInvalid(err: unknown): boolean {
  return isStatusError(err) && err.reason === 'Invalid';
}

export function isForbidden(err: unknown): boolean {
  return isStatusError(err) && err.reason === 'Forbidden';
}

/** Wraps an unexpected error; a `StatusError` passes through unchanged. */
export function toStatusError(err: unknown): StatusError {
  if (isStatusError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return internalError(message);
}

export function successStatus(details?: StatusDetails): Status & { status: 'Success' } {
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    message: '',
    code: 200,
  } as Status & {
    status: 'Success';
  };
  if (details) status.details = details;
  return status;
}
