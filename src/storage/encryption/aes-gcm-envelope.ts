/**
 * AES-256-GCM envelopes in Kubernetes' `aesgcm` provider format:
 * `k8s:enc:aesgcm:v1:<keyName>:<base64(nonce | ciphertext | tag)>`, a fresh 12-byte random nonce
 * per envelope and a 16-byte tag. The first key encrypts; every key decrypts (the envelope names
 * its key), so keys can be rotated by adding a new first key and rewriting.
 *
 * The caller passes additional authenticated data (the object's identity): an envelope copied
 * under another identity fails authentication instead of decrypting.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export const ENVELOPE_PREFIX = 'k8s:enc:';
const PROVIDER_PREFIX = 'k8s:enc:aesgcm:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** A key name goes into every envelope between colons: no colon, nothing exotic. */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** A named AES-256 key: `secretBase64` is the base64 of exactly 32 bytes. */
export interface EncryptionKey {
  name: string;
  secretBase64: string;
}

/** Why an envelope could not be opened; the caller turns it into its own error. */
export class EnvelopeError extends Error {
  /** The key the envelope names, when it could be read. */
  readonly keyName: string | undefined;

  constructor(message: string, keyName?: string) {
    super(message);
    this.name = 'EnvelopeError';
    this.keyName = keyName;
  }
}

/**
 * A key whose name derives from the key itself (`key-` and 12 hex digits of its SHA-256): every
 * process given the same key names it the same way, so envelopes written before a restart or a
 * migration find their key, and an envelope written with another key says so.
 */
export function namedEncryptionKey(secretBase64: string): EncryptionKey {
  const secret = decodeKey(secretBase64, 'the encryption key');
  return { name: `key-${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`, secretBase64 };
}

export class AesGcmEnvelope {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #primary: string;

  /** Throws a TypeError for no keys, a malformed name or key, or a duplicate name. */
  constructor(keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new TypeError('encryption needs at least one key');
    const byName = new Map<string, Buffer>();
    for (const key of keys) {
      if (!KEY_NAME.test(key.name)) {
        throw new TypeError(`encryption key name ${JSON.stringify(key.name)} must match ${KEY_NAME.source}`);
      }
      if (byName.has(key.name)) throw new TypeError(`encryption key name "${key.name}" is given twice`);
      byName.set(key.name, decodeKey(key.secretBase64, `encryption key "${key.name}"`));
    }
    this.#keys = byName;
    this.#primary = keys[0]!.name;
  }

  /** The key new envelopes are written with. */
  get primaryKeyName(): string {
    return this.#primary;
  }

  /** True for any `k8s:enc:` envelope, whichever provider wrote it. */
  static isEnvelope(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(ENVELOPE_PREFIX);
  }

  /** The name of the key an envelope was written with; undefined when it is not an aesgcm envelope. */
  static keyNameOf(envelope: string): string | undefined {
    if (!envelope.startsWith(PROVIDER_PREFIX)) return undefined;
    const rest = envelope.slice(PROVIDER_PREFIX.length);
    const colon = rest.indexOf(':');
    return colon > 0 ? rest.slice(0, colon) : undefined;
  }

  seal(plaintext: Buffer, additionalData: Buffer): string {
    const key = this.#keys.get(this.#primary)!;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData);
    const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return `${PROVIDER_PREFIX}${this.#primary}:${sealed.toString('base64')}`;
  }

  /** The plaintext of `envelope`; an `EnvelopeError` saying why when it cannot be opened. */
  open(envelope: string, additionalData: Buffer): Buffer {
    if (!envelope.startsWith(PROVIDER_PREFIX)) {
      const provider = envelope.slice(ENVELOPE_PREFIX.length).split(':')[0] ?? '';
      throw new EnvelopeError(`unsupported encryption provider "${provider}" (only aesgcm v1 is configured)`);
    }
    const keyName = AesGcmEnvelope.keyNameOf(envelope);
    if (keyName === undefined) throw new EnvelopeError('malformed envelope: no key name');
    const key = this.#keys.get(keyName);
    if (!key) {
      throw new EnvelopeError(`no such key is configured (configured: ${[...this.#keys.keys()].join(', ')})`, keyName);
    }
    const sealed = Buffer.from(envelope.slice(PROVIDER_PREFIX.length + keyName.length + 1), 'base64');
    if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new EnvelopeError('malformed envelope: too short', keyName);
    const nonce = sealed.subarray(0, NONCE_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([
        decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new EnvelopeError('authentication failed (a different key, or the data was altered)', keyName);
    }
  }
}

function decodeKey(secretBase64: string, what: string): Buffer {
  const secret = Buffer.from(secretBase64, 'base64');
  // Buffer.from ignores junk; a round trip shows whether the text really was base64.
  const canonical = secretBase64.replace(/\s+/g, '').replace(/=+$/, '');
  if (secret.toString('base64').replace(/=+$/, '') !== canonical || secret.length !== KEY_BYTES) {
    throw new TypeError(`${what} must be the base64 of ${KEY_BYTES} bytes`);
  }
  return secret;
}
