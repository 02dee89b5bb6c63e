/**
 * A pass-through stream that shows each chunk to `onChunk` on its way through, unchanged: what
 * counts, hashes or reports the bytes of a pipeline (a snapshot fetched, an object stored, a body
 * received) without holding them.
 */
import { Transform } from 'node:stream';

export function tapStream(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk);
      callback(null, chunk);
    },
  });
}
