/**
 * Bearer token authentication against the token file's SHA-256 digests (k8s
 * `bearertoken` + `tokenfile` authenticators). The presented token is hashed and compared with
 * every entry in constant time; tokens never appear in errors or logs. Each user it returns
 * carries the credential id `TokenSHA256=<first 32 hex digits of the digest>` (the digest, not
 * the token), and a digest that disappears from the entries is reported to `onRevoked`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { unauthorized } from '../../api/errors.js';
import { credentialIdKey } from '../revocable-requests.js';
import type { AuthenticationRequest, Authenticator, UserInfo } from '../types.js';
import { authenticatedUser } from './authenticated-user.js';
import { readTokenFile, type TokenEntry } from './token-file.js';

export interface TokenFileWatchOptions {
  /** How often, at most, a request checks the file for changes. Default 1000 ms; 0 checks every time. */
  reloadIntervalMs?: number;
}

interface CompiledEntry {
  digest: Buffer;
  credentialId: string;
  user: UserInfo;
}

/** The message of every token failure: it says nothing about which part was wrong. */
const invalidTokenMessage = 'Unauthorized';

export class TokenAuthenticator implements Authenticator {
  #entries: CompiledEntry[];
  readonly #path: string | undefined;
  readonly #reloadIntervalMs: number;
  #lastCheck = 0;
  #fileVersion = '';
  #reloading: Promise<void> | undefined;
  readonly #revocationListeners: ((credentialIds: readonly string[]) => void)[] = [];

  /** An authenticator over fixed entries; use `fromFile` for one that follows a token file. */
  constructor(entries: readonly TokenEntry[], path?: string, options: TokenFileWatchOptions = {}) {
    this.#entries = compile(entries);
    this.#path = path;
    this.#reloadIntervalMs = options.reloadIntervalMs ?? 1000;
  }

  /**
   * Loads the token file (a missing file has no tokens) and re-reads it when it changes, so that
   * tokens issued or revoked by another process take effect without a restart. A file that
   * becomes unreadable keeps the last good entries.
   */
  static async fromFile(path: string, options: TokenFileWatchOptions = {}): Promise<TokenAuthenticator> {
    const authenticator = new TokenAuthenticator([], path, options);
    await authenticator.reload();
    return authenticator;
  }

  /** Replaces the entries (for an authenticator whose digests live elsewhere than in a file). */
  setEntries(entries: readonly TokenEntry[]): void {
    this.#replaceEntries(compile(entries));
  }

  onRevoked(listener: (credentialIds: readonly string[]) => void): void {
    this.#revocationListeners.push(listener);
  }

  #replaceEntries(entries: CompiledEntry[]): void {
    const kept = new Set(entries.map((e) => e.credentialId));
    const revoked = this.#entries.map((e) => e.credentialId).filter((id) => !kept.has(id));
    this.#entries = entries;
    if (revoked.length === 0) return;
    for (const listener of this.#revocationListeners) listener(revoked);
  }

  /** Re-reads the token file now. Throws when it is malformed. */
  async reload(): Promise<void> {
    if (!this.#path) return;
    const version = await fileVersion(this.#path);
    const file = await readTokenFile(this.#path);
    this.#replaceEntries(compile(file.tokens));
    this.#fileVersion = version;
    this.#lastCheck = Date.now();
  }

  async authenticate(req: AuthenticationRequest): Promise<UserInfo | null> {
    const token = bearerToken(req.headers);
    if (token === undefined) return null;
    await this.#reloadIfChanged(false);
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let match = this.#match(digest);
    if (!match) {
      // A token issued a moment ago (e.g. for a new seed) must work at once: look at the file now.
      await this.#reloadIfChanged(true);
      match = this.#match(digest);
    }
    if (!match) throw unauthorized(invalidTokenMessage);
    return { ...match.user, groups: [...match.user.groups], extra: { [credentialIdKey]: [match.credentialId] } };
  }

  #match(digest: Buffer): CompiledEntry | undefined {
    let match: CompiledEntry | undefined;
    // Compare against every entry, without stopping at a match, so timing says nothing.
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, digest) && !match) match = entry;
    }
    return match;
  }

  async #reloadIfChanged(force: boolean): Promise<void> {
    if (!this.#path || (!force && Date.now() - this.#lastCheck < this.#reloadIntervalMs)) return;
    this.#reloading ??= (async () => {
      try {
        this.#lastCheck = Date.now();
        if ((await fileVersion(this.#path!)) !== this.#fileVersion) await this.reload();
      } catch {
        // Keep serving the last good entries; the next check tries again.
      } finally {
        this.#reloading = undefined;
      }
    })();
    await this.#reloading;
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined when there is none (no
 * header, another scheme, or an empty token), following k8s `bearertoken.Authenticator`.
 */
export function bearerToken(headers: AuthenticationRequest['headers']): string | undefined {
  const raw = headers.authorization;
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  const parts = value.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  const token = parts[1]!;
  return token === '' ? undefined : token;
}

function compile(entries: readonly TokenEntry[]): CompiledEntry[] {
  return entries.map((e) => ({
    digest: Buffer.from(e.sha256, 'hex'),
    credentialId: tokenCredentialId(e.sha256),
    user: authenticatedUser(e.user),
  }));
}

/** The credential id of the token whose SHA-256 is `sha256` (hex). */
export function tokenCredentialId(sha256: string): string {
  return `TokenSHA256=${sha256.slice(0, 32)}`;
}

/** Changes whenever the file is replaced or rewritten; '' when it does not exist. */
async function fileVersion(path: string): Promise<string> {
  try {
    const info = await stat(path);
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}
