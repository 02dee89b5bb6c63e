/** A pass-through stream that counts and hashes (SHA-256) the bytes going through it. */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

export interface HashingStream {
  stream: Transform;
  /** Size and SHA-256 (hex) of what went through; call once the pipeline has finished. */
  result(): { size: number; sha256: string };
}

export function hashingStream(): HashingStream {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, result: () => ({ size, sha256: hash.digest('hex') }) };
}
