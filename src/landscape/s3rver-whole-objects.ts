/**
 * Makes s3rver, the landscapes' S3 server, store an object only once its whole body arrived, as S3
 * does. Loaded into s3rver's process with `node --import` (`s3rverArgv`).
 *
 * s3rver writes a PUT's body straight into the object's file and records the declared
 * Content-Length beside it when the request stream ends. A client killed or aborted mid-upload
 * (a seed killed -9 while it saves a snapshot) ends that stream early. The truncated object is
 * then listed at its full size, and overwrites a good object of the same name. S3 answers such a
 * request `IncompleteBody` and keeps what it had. Here the body is received into a file beside
 * the object that listing does not see (it lists only names ending in s3rver's object suffix). It
 * is renamed over the object only when its length is the declared one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tapStream } from '../streams/tap-stream.js';

interface S3rverObject {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: Record<string, string>;
}

interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
}

type S3ErrorConstructor = new (code: string, message: string) => Error;

/** The argv that runs s3rver's own command line with whole-object PUTs; `args` are s3rver's flags. */
export function s3rverArgv(args: readonly string[]): string[] {
  const require = createRequire(import.meta.url);
  // --openssl-legacy-provider: s3rver's continuation tokens use DES.
  return [
    process.execPath,
    '--openssl-legacy-provider',
    '--import',
    import.meta.url,
    require.resolve('s3rver/bin/s3rver.js'),
    ...args,
  ];
}

/** Replaces s3rver's `putObject` for the bodies of PUT requests. */
function receiveWholeObjects(): void {
  const require = createRequire(import.meta.url);
  const store = require('s3rver/lib/stores/filesystem') as { prototype: FilesystemStore };
  const S3Error = require('s3rver/lib/models/error') as S3ErrorConstructor;
  const streamed = store.prototype.putObject;
  store.prototype.putObject = async function putWholeObject(this: FilesystemStore, object: S3rverObject) {
    const declared = object.metadata['content-length'];
    // Only a PUT's own body can be cut short by its client. A completed multipart upload's parts
    // are joined from files already received (its metadata carries the initiating request's
    // Content-Length, 0).
    if (!(object.content instanceof IncomingMessage) || declared === undefined) return streamed.call(this, object);
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const receiving = `${objectPath}.receiving-${randomBytes(6).toString('hex')}`;
    const md5 = createHash('md5');
    let size = 0;
    const count = tapStream((chunk) => {
      md5.update(chunk);
      size += chunk.length;
    });
    try {
      await pipeline(object.content, count, createWriteStream(receiving));
      if (size !== Number(declared)) {
        throw new S3Error(
          'IncompleteBody',
          `You did not provide the number of bytes specified by the Content-Length HTTP header (${size} of ${declared}).`,
        );
      }
      await rename(receiving, objectPath);
    } catch (err) {
      await rm(receiving, { force: true });
      throw err;
    }
    const digest = md5.digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}

// Imported into s3rver's process (`--import`, before its command line runs) it patches the store;
// imported anywhere else (for `s3rverArgv`) it changes nothing.
if (process.argv[1]?.endsWith(join('s3rver', 'bin', 's3rver.js'))) receiveWholeObjects();
