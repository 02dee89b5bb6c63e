/**
 * Byte ranges of etcd keys. etcd orders keys by their bytes; keys here are UTF-8, whose byte
 * order equals code point order, so a prefix range holds exactly the keys starting with it.
 */

/** The single zero byte: as a range start it is the smallest key, as a range end it means "no end". */
const ZERO = Buffer.from([0]);

export interface ByteRange {
  /** Inclusive. */
  key: Buffer;
  /** Exclusive; a single zero byte for "every key from `key` on". */
  rangeEnd: Buffer;
}

/** The range of keys starting with `prefix` (etcd's GetPrefixRangeEnd). */
export function prefixRange(prefix: string): ByteRange {
  return { key: rangeStart(prefix), rangeEnd: prefixEnd(Buffer.from(prefix, 'utf8')) };
}

/** `key` as a range start; etcd rejects an empty key, and no key sorts below the zero byte. */
export function rangeStart(key: string): Buffer {
  return key === '' ? ZERO : Buffer.from(key, 'utf8');
}

/** The smallest key greater than every key with this prefix: drop trailing 0xff bytes, increment the last. */
function prefixEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const byte = prefix[i]!;
    if (byte < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i] = byte + 1;
      return end;
    }
  }
  return ZERO;
}
