/**
 * s3rver as the landscapes run it (`s3rverArgv`) keeps S3's promise that an object exists only
 * once its whole body arrived: a PUT whose client goes away mid-body stores nothing and leaves the
 * object it would have replaced as it was; a complete PUT still stores the object, and a later
 * complete PUT replaces it; an upload in parts is stored whole.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type S3rver, startS3rver } from '../helpers/s3rver.js';

const KiB = 1024;
const BUCKET = 'whole-objects';

/** A body that sends `sent` bytes of `declared`, then hangs: a client killed mid-upload. */
function stalledBody(sent: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield sent;
      await sleep(60_000);
    })(),
  );
}

describe('s3rver with whole-object PUTs', () => {
  let s3: S3rver;
  before(async () => {
    s3 = await startS3rver();
    await s3.createBucket(BUCKET);
  });
  after(() => s3?.stop());

  const keys = async () =>
    ((await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => [o.Key, o.Size]);
  const read = async (key: string) =>
    Buffer.from(
      await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray(),
    );

  /** A PUT of `declared` bytes whose client aborts after sending `sent` and giving the server time to take it in. */
  const abortedPut = async (key: string, sent: Buffer, declared: number) => {
    const abort = new AbortController();
    const put = s3.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: stalledBody(sent), ContentLength: declared }),
      { abortSignal: abort.signal },
    );
    await sleep(300);
    abort.abort();
    await assert.rejects(put);
    // The server notices the closed connection after the client: give it that moment.
    await sleep(300);
  };

  it('stores nothing for a body cut short', async () => {
    await abortedPut('cut-short', randomBytes(256 * KiB), 1024 * KiB);
    assert.deepEqual(await keys(), []);
  });

  it('leaves the object a cut-short PUT would have replaced as it was', async () => {
    const whole = randomBytes(512 * KiB);
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept', Body: whole }));
    await abortedPut('kept', randomBytes(128 * KiB), 512 * KiB);
    assert.deepEqual(await keys(), [['kept', whole.length]]);
    assert.ok((await read('kept')).equals(whole));
  });

  it('stores an object uploaded in parts (above the 5 MiB part size)', async () => {
    const whole = randomBytes(6 * 1024 * KiB + 123);
    const upload = new Upload({
      client: s3.client,
      params: { Bucket: BUCKET, Key: 'in-parts', Body: whole },
      partSize: 5 * 1024 * KiB,
    });
    await upload.done();
    assert.ok((await read('in-parts')).equals(whole));
  });

  it('stores and replaces objects whose whole body arrived', async () => {
    const first = randomBytes(300 * KiB);
    const second = randomBytes(100 * KiB);
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'replaced',
        Body: Readable.from([first]),
        ContentLength: first.length,
      }),
    );
    assert.ok((await read('replaced')).equals(first));
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'replaced', Body: second }));
    assert.ok((await read('replaced')).equals(second));
  });
});
