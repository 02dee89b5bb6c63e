/**
 * The static token file: JSON `{"tokens": [{"sha256": "<hex>", "user": {name, uid?, groups?}}]}`.
 * It holds only SHA-256 digests; the token itself exists once, in the kubeconfig it is written
 * to. Written atomically with mode 0600.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../pki/atomic-file.js';

export interface TokenUser {
  name: string;
  uid?: string;
  groups?: string[];
}

export interface TokenEntry {
  /** Lower-case hex SHA-256 of the token. */
  sha256: string;
  user: TokenUser;
}

export interface TokenFile {
  tokens: TokenEntry[];
}

/** A fresh bearer token: 32 random bytes, base64url (43 characters). */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The digest the token file stores for `token`. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Reads and checks a token file. A missing file is an empty one. The file may not be writable by
 * group or others: whoever can write it can grant themselves any identity.
 */
export async function readTokenFile(path: string): Promise<TokenFile> {
  let text: string;
  try {
    const info = await stat(path);
    if ((info.mode & 0o022) !== 0) {
      throw new Error(`token file ${path} is writable by group or others; chmod 600 it`);
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tokens: [] };
    throw err;
  }
  return parseTokenFile(text, path);
}

/** Replaces the token file atomically (mode 0600). */
export async function writeTokenFile(path: string, file: TokenFile): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
}

/**
 * Creates a token for `user`, records its digest in the file at `path` and returns the token
 * (for the caller's kubeconfig; it is not stored anywhere else).
 */
export async function issueToken(path: string, user: TokenUser): Promise<string> {
  const token = createToken();
  const file = await readTokenFile(path);
  file.tokens.push({ sha256: hashToken(token), user: { ...user } });
  await writeTokenFile(path, file);
  return token;
}

/** Removes every token of the user named `userName`; returns how many were removed. */
export async function revokeTokens(path: string, userName: string): Promise<number> {
  const file = await readTokenFile(path);
  const kept = file.tokens.filter((t) => t.user.name !== userName);
  if (kept.length !== file.tokens.length) await writeTokenFile(path, { tokens: kept });
  return file.tokens.length - kept.length;
}

function parseTokenFile(text: string, path: string): TokenFile {
  const fail = (detail: string): never => {
    throw new Error(`token file ${path}: ${detail}`);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail('not valid JSON');
  }
  const tokens = (data as { tokens?: unknown })?.tokens;
  if (!Array.isArray(tokens)) return fail('expected an object with a "tokens" list');
  return {
    tokens: tokens.map((entry, i): TokenEntry => {
      const { sha256, user } = (entry ?? {}) as { sha256?: unknown; user?: Partial<Record<keyof TokenUser, unknown>> };
      if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))
        fail(`tokens[${i}].sha256: expected 64 hex digits`);
      if (typeof user?.name !== 'string' || user.name === '') fail(`tokens[${i}].user.name: required`);
      if (user?.uid !== undefined && typeof user.uid !== 'string') fail(`tokens[${i}].user.uid: expected a string`);
      const groups = user?.groups;
      if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string'))) {
        fail(`tokens[${i}].user.groups: expected a list of strings`);
      }
      return {
        sha256: sha256 as string,
        user: {
          name: user!.name as string,
          ...(user?.uid !== undefined ? { uid: user.uid as string } : {}),
          ...(groups !== undefined ? { groups: [...(groups as string[])] } : {}),
        },
      };
    }),
  };
}
