/**
 * The encryption provider config of a hosted API server (the garden's, a seed's): the file named
 * by `--encryption-provider-config`, or one generated once in the state directory, so that a
 * server on SQLite always encrypts its secrets at rest. The generated file holds a fresh random
 * key and is created 0600 without ever replacing an existing one (the only copy of the key).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EncryptingStorage } from '../storage/encryption/encrypting-storage.js';
import {
  type EncryptionConfig,
  groupResourceName,
  keyPrefixOf,
  newEncryptionConfig,
  parseEncryptionConfig,
} from '../storage/encryption/encryption-config.js';
import { EncryptionConfigError } from '../storage/encryption/encryption-config-error.js';
import type { Storage } from '../storage/interface.js';

/** The generated file's name in a state directory. */
export const ENCRYPTION_CONFIG_FILE = 'encryption-config.yaml';

/**
 * Writes a new config encrypting `resources` to `path` unless a file is there; returns `path`.
 * Crash-safe: the text goes to a temporary file first and is linked into place, which fails
 * rather than replace a file another start wrote meanwhile.
 */
export async function ensureEncryptionConfigFile(path: string, resources: readonly string[]): Promise<string> {
  if (await exists(path)) return path;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(newEncryptionConfig(resources, randomBytes(32).toString('base64')));
    await handle.chmod(0o600);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await rm(temp, { force: true });
  }
  return path;
}

/** The config in `path`, checked; an `EncryptionConfigError` naming the file otherwise. */
export async function readEncryptionConfigFile(path: string): Promise<EncryptionConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new EncryptionConfigError(`encryption provider config ${path}: cannot read it: ${(err as Error).message}`);
  }
  return parseEncryptionConfig(text, path);
}

/**
 * `storage` encrypting what `config` says, after checking that `served` (`plural` or
 * `plural.group`) has every resource it names; `storage` itself when it names no aesgcm key.
 */
export function encryptedStorage(
  storage: Storage,
  config: EncryptionConfig,
  served: ReadonlySet<string>,
  source: string,
): Storage {
  const unknown = config.resources.map(groupResourceName).filter((name) => !served.has(name));
  if (unknown.length > 0) {
    throw new EncryptionConfigError(
      `encryption provider config ${source}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not served here`,
    );
  }
  if (config.keys.length === 0) return storage;
  return new EncryptingStorage(storage, { keys: config.keys, prefixes: config.encrypted.map(keyPrefixOf) });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
