/**
 * The key range `[start, end)` that holds exactly the keys starting with a prefix, in SQLite's
 * BINARY collation (UTF-8 byte order, which equals code point order).
 */

export interface KeyRange {
  /** Inclusive lower bound: the prefix itself. */
  start: string;
  /**
   * Exclusive upper bound. A BLOB when no string bounds the range (empty prefix): SQLite sorts
   * every TEXT value before every BLOB, so an empty blob bounds all keys and keeps the scan a
   * plain index range.
   */
  end: string | Buffer;
}

const MAX_CODE_POINT = 0x10ffff;
const FIRST_SURROGATE = 0xd800;
const AFTER_SURROGATES = 0xe000;

export function prefixRange(prefix: string): KeyRange {
  return { start: prefix, end: prefixEnd(prefix) ?? Buffer.alloc(0) };
}

/**
 * The smallest string greater than every string with this prefix: the prefix with its last code
 * point incremented, dropping trailing maximal code points first (etcd's GetPrefixRangeEnd on
 * code points instead of bytes, so the bound is always valid text). Undefined when none exists.
 */
function prefixEnd(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!;
    if (last < MAX_CODE_POINT) {
      // Lone surrogates cannot be encoded as UTF-8; skip the surrogate block.
      const next = last + 1 === FIRST_SURROGATE ? AFTER_SURROGATES : last + 1;
      return String.fromCodePoint(...codePoints, next);
    }
  }
  return undefined;
}
