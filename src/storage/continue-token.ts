/**
 * List continuation tokens, shared by the backends and shaped like the Kubernetes etcd3
 * store's: base64url JSON with a key to continue from and the revision of the list's first page,
 * so every page of one list reports the same resourceVersion. Clients treat them as opaque.
 */
import { isRecord } from '../api/meta.js';
import { StorageError } from './interface.js';

const VERSION = 'meta.k8s.io/v1';

export interface ContinuePosition {
  /** Where the next page continues: the SQLite store reads after this key, the etcd store at it. */
  start: string;
  /** The store revision of the list's first page. */
  rv: number;
}

export function encodeContinue(position: ContinuePosition): string {
  return Buffer.from(JSON.stringify({ v: VERSION, rv: position.rv, start: position.start })).toString('base64url');
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
  if (!isRecord(parsed)) throw invalid('unexpected token contents');
  const { v, rv, start } = parsed;
  if (v !== VERSION) throw invalid(`unexpected token version ${JSON.stringify(v)}`);
  if (typeof start !== 'string' || typeof rv !== 'number' || !Number.isSafeInteger(rv) || rv <= 0) {
    throw invalid('unexpected token contents');
  }
  if (!start.startsWith(prefix)) throw invalid('the token belongs to a different list');
  return { start, rv };
}
