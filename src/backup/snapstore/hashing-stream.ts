/** A pass-through stream that counts and hashes (SHA-256) the bytes going through it. */
import { createHash } from 'node:crypto';
import type { Transform } from 'node:stream';
import { tapStream } from '../../streams/tap-stream.js';

export interface HashingStream {
  stream: Transform;
  /** Size and SHA-256 (hex) of what went through; call once the pipeline has finished. */
  result(): { size: number; sha256: string };
}

export function hashingStream(): HashingStream {
  const hash = createHash('sha256');
  let size = 0;
  const stream = tapStream((chunk) => {
    hash.update(chunk);
    size += chunk.length;
  });
  return { stream, result: () => ({ size, sha256: hash.digest('hex') }) };
}
