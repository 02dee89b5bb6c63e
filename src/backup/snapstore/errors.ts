/**
 * Snapstore failures callers may branch on. Messages name the store's location and the cause and
 * never carry credentials.
 */

export type SnapstoreErrorCode =
  /** The credentials were rejected (or lack permission). */
  | 'AccessDenied'
  /** The endpoint could not be reached (DNS, refused, timeout, TLS). */
  | 'Unreachable'
  /** The container (bucket or directory) does not exist. */
  | 'NoSuchContainer'
  /** The snapshot object does not exist. */
  | 'NotFound'
  /** The save was aborted through its signal. */
  | 'Aborted'
  /** Credentials or configuration are missing or malformed. */
  | 'Config'
  | 'Other';

export class SnapstoreError extends Error {
  override readonly name = 'SnapstoreError';
  readonly code: SnapstoreErrorCode;
  /** The store's location, e.g. `s3://bucket/prefix`. */
  readonly location: string;

  constructor(code: SnapstoreErrorCode, location: string, message: string) {
    super(`${location}: ${message}`);
    this.code = code;
    this.location = location;
  }

  static is(err: unknown, code?: SnapstoreErrorCode): err is SnapstoreError {
    return err instanceof SnapstoreError && (code === undefined || err.code === code);
  }
}
