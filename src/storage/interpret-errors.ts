/**
 * The one place where `StorageError`s become API errors (apiserver's storage/errors): one
 * function per verb, since a storage code means different things to different verbs (`KeyExists`
 * is AlreadyExists for a create, a Conflict for an update). Anything that is not a
 * `StorageError`, a `StatusError` included, is returned unchanged for the caller to rethrow.
 */
import {
  alreadyExists,
  badRequest,
  conflict,
  type GroupResource,
  gone,
  internalError,
  notFound,
  type StatusError,
  serviceUnavailable,
} from '../api/errors.js';
import { isStorageError, type StorageError, type StorageErrorCode } from './interface.js';

/** The reason apiserver gives for a lost optimistic-concurrency race (OptimisticLockErrorMsg). */
export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

type Mapping = Partial<Record<StorageErrorCode, (err: StorageError) => StatusError>>;

export function interpretGetError(err: unknown, ref: GroupResource, name: string): unknown {
  return interpret(err, { NotFound: () => notFound(ref, name) });
}

export function interpretCreateError(err: unknown, ref: GroupResource, name: string): unknown {
  return interpret(err, { KeyExists: () => alreadyExists(ref, name) });
}

export function interpretUpdateError(err: unknown, ref: GroupResource, name: string): unknown {
  const lostRace = () => conflict(ref, name, OPTIMISTIC_LOCK_MESSAGE);
  return interpret(err, { NotFound: () => notFound(ref, name), Conflict: lostRace, KeyExists: lostRace });
}

export function interpretDeleteError(err: unknown, ref: GroupResource, name: string): unknown {
  return interpret(err, {
    NotFound: () => notFound(ref, name),
    Conflict: () => conflict(ref, name, OPTIMISTIC_LOCK_MESSAGE),
  });
}

/** `ref` is accepted for symmetry with the other verbs; list failures name no object. */
export function interpretListError(err: unknown, _ref?: GroupResource): unknown {
  return interpret(err, { InvalidContinue: (e) => badRequest(e.message), Expired: (e) => gone(e.message) });
}

/**
 * `Expired` (a compacted resourceVersion, or a watcher that fell behind) becomes 410 Gone with
 * the backend's message, e.g. "too old resource version: 5 (10)", so clients re-list.
 */
export function interpretWatchError(err: unknown): unknown {
  return interpret(err, { Expired: (e) => gone(e.message) });
}

function interpret(err: unknown, mapping: Mapping): unknown {
  if (!isStorageError(err)) return err;
  const mapped = mapping[err.code];
  if (mapped) return mapped(err);
  // A backend that cannot be reached is worth a retry; 503 says so, 500 would not.
  if (err.code === 'Unreachable') return serviceUnavailable(err.message);
  return internalError(err.message);
}
