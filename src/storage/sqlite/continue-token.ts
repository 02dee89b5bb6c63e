/**
 * List continuation tokens: base64url JSON naming the last key a page returned and the revision
 * of the first page, so that every page of one list reports the same resourceVersion. Clients
 * treat the token as opaque.
 */
import { isRecord } from '../../api/meta.js';
import { StorageError } from '../interface.js';

export interface ContinuePosition {
  /** The next page starts after this key (exclusive). */
  start: string;
  /** The store revision of the list's first page. */
  rv: number;
}

export function encodeContinue(position: ContinuePosition): string {
  return Buffer.from(JSON.stringify({ start: position.start, rv: position.rv })).toString('base64url');
}

/** Decodes a token for a list of `prefix`; `InvalidContinue` when it is malformed or for another prefix. */
export function decodeContinue(token: string, prefix: string): ContinuePosition {
  const invalid = (reason: string) =>
    new StorageError('InvalidContinue', prefix, `continue key is not valid: ${reason}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a base64url encoded JSON token');
  }
  if (!isPosition(parsed)) throw invalid('unexpected token contents');
  if (!parsed.start.startsWith(prefix)) throw invalid('the token belongs to a different list');
  return { start: parsed.start, rv: parsed.rv };
}

function isPosition(value: unknown): value is ContinuePosition {
  if (!isRecord(value)) return false;
  const { start, rv } = value;
  return typeof start === 'string' && typeof rv === 'number' && Number.isSafeInteger(rv) && rv > 0;
}
