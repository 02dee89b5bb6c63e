/**
 * The error of a backup store that could not be used, for the copier and for `backup ls`: it
 * names which store (source or target), where it is, and the snapstore's error code, so an
 * operator can tell a wrong bucket from bad credentials.
 */
import { SnapstoreError, type SnapstoreErrorCode } from './snapstore/errors.js';
import type { Snapstore } from './snapstore/snapstore.js';

/** A store could not be used (unreachable, credentials, missing container); names which store and why. */
export class BackupStoreError extends Error {
  override readonly name = 'BackupStoreError';
  readonly role: 'source' | 'target';
  readonly location: string;
  /** The snapstore's error code when the store reported one. */
  readonly code: SnapstoreErrorCode | undefined;

  constructor(role: 'source' | 'target', store: Snapstore, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    // SnapstoreError messages already start with the location.
    const detail = message.startsWith(`${store.location}:`) ? message : `${store.location}: ${message}`;
    super(`${role} store ${detail}`, { cause });
    this.role = role;
    this.location = store.location;
    this.code = SnapstoreError.is(cause) ? cause.code : undefined;
  }
}
