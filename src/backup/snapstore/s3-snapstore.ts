/**
 * The `s3` provider (AWS SDK v3; any S3-compatible endpoint): objects at `<prefix>/v2/<name>` in a
 * bucket. Like etcdbrctl, a save spools a stream to a temp file first (which also yields its size
 * and sha256), then uploads it with lib-storage's multipart `Upload` (part size
 * max(min chunk size, size / 9999)). S3 shows an object only once the upload completes, and a
 * failed or aborted upload is aborted, so nothing partial is ever listed. The sha256 is stored as
 * `x-amz-meta-sha256` and returned by `stat`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Credentials } from './credentials.js';
import { SnapstoreError } from './errors.js';
import { hashingStream } from './hashing-stream.js';
import { compareSnapshots, parseSnapshotName } from './snapshot-name.js';
import {
  MIN_CHUNK_SIZE,
  type PrefixObject,
  type SaveOptions,
  type Snapshot,
  type Snapstore,
  type StoredContent,
  type StoredObject,
} from './snapstore.js';

/** etcdbrctl's `s3NoOfChunk`: one less than S3's 10000-part limit. */
const S3_NO_OF_CHUNKS = 9999;
const SHA256_METADATA = 'sha256';

export interface S3SnapstoreOptions {
  bucket: string;
  /** `--store-prefix`; keys are `<prefix>/v2/<name>`. */
  prefix: string;
  credentials: S3Credentials;
  /** `--store-endpoint-override`; wins over the credentials' `endpoint`. */
  endpointOverride?: string;
  /** `--max-parallel-chunk-uploads` (default 5). */
  maxParallelChunkUploads?: number;
  /** `--min-chunk-size` (default and minimum 5 MiB). */
  minChunkSize?: number;
  /** `--snapstore-temp-directory` (default the OS temp directory). */
  tempDirectory?: string;
  /** Keys per ListObjectsV2 page (default: the server's, 1000 on S3). */
  listPageSize?: number;
  /** SDK attempts per request (default 3). */
  maxAttempts?: number;
  /**
   * How long a connect may take (default 5 s). Without it a firewall that drops the SYNs holds
   * every attempt until the kernel gives up (about two minutes on Linux), and the copy step's
   * lastError appears only then.
   */
  connectTimeoutMs?: number;
  /**
   * How long an established connection may stay silent (default 60 s): a path cut after the
   * connect stalls a request rather than failing it. Not a limit on a whole request, which may
   * upload a large snapshot for a long time.
   */
  socketTimeoutMs?: number;
}

export const S3_CONNECT_TIMEOUT_MS = 5_000;
export const S3_SOCKET_TIMEOUT_MS = 60_000;

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'Forbidden',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
]);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  errno?: number;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
  errors?: unknown[];
}

/** The network error code inside an SDK error (possibly nested in `cause` or an AggregateError). */
function networkCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as AwsLikeError;
  if (e.code && UNREACHABLE.has(e.code)) return e.code;
  if (e.name === 'TimeoutError' && /did not establish a connection/.test(e.message ?? '')) return 'connect timeout';
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeout') return 'timeout';
  for (const inner of [e.cause, ...(e.errors ?? [])]) {
    const code = networkCode(inner, depth + 1);
    if (code) return code;
  }
  return undefined;
}

function endpointForMessage(endpoint: string | undefined, region: string): string {
  if (!endpoint) return `the S3 endpoint of region ${region}`;
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return 'the S3 endpoint';
  }
}

export class S3Snapstore implements Snapstore {
  readonly provider = 's3' as const;
  readonly location: string;
  readonly bucket: string;
  /** `<prefix>/v2`, without a trailing slash. */
  readonly keyPrefix: string;
  readonly #client: S3Client;
  readonly #endpoint: string | undefined;
  readonly #region: string;
  readonly #secrets: string[];
  readonly #parallel: number;
  readonly #minChunkSize: number;
  readonly #tempDirectory: string;
  readonly #pageSize: number | undefined;
  /** `<prefix>/` (normalised), or '' without a prefix. */
  readonly #prefixKey: string;

  constructor(options: S3SnapstoreOptions) {
    const { credentials } = options;
    this.bucket = options.bucket;
    this.keyPrefix = path.posix.join(options.prefix || '.', 'v2').replace(/^\/+/, '');
    const trimmed = options.prefix.replace(/^\/+|\/+$/g, '');
    this.location = `s3://${options.bucket}/${trimmed}`;
    this.#prefixKey = trimmed ? `${path.posix.normalize(trimmed)}/` : '';
    this.#endpoint = options.endpointOverride || credentials.endpoint;
    this.#region = credentials.region;
    this.#secrets = [credentials.secretAccessKey, credentials.accessKeyId, credentials.sessionToken ?? ''].filter(
      (s) => s.length >= 4,
    );
    this.#parallel = options.maxParallelChunkUploads ?? 5;
    this.#minChunkSize = Math.max(options.minChunkSize ?? MIN_CHUNK_SIZE, MIN_CHUNK_SIZE);
    this.#tempDirectory = options.tempDirectory ?? tmpdir();
    this.#pageSize = options.listPageSize;
    const custom = this.#endpoint !== undefined;
    const checksum = (mode: S3Credentials['requestChecksumCalculation']) =>
      mode === 'when_supported' ? 'WHEN_SUPPORTED' : mode === 'when_required' || custom ? 'WHEN_REQUIRED' : undefined;
    this.#client = new S3Client({
      region: credentials.region,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
      },
      ...(this.#endpoint ? { endpoint: this.#endpoint } : {}),
      forcePathStyle: credentials.forcePathStyle ?? custom,
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? S3_CONNECT_TIMEOUT_MS,
        socketTimeout: options.socketTimeoutMs ?? S3_SOCKET_TIMEOUT_MS,
      },
      requestChecksumCalculation: checksum(credentials.requestChecksumCalculation),
      responseChecksumValidation: checksum(credentials.responseChecksumValidation),
    });
  }

  /** Releases the HTTP connections. */
  close(): void {
    this.#client.destroy();
  }

  #key(snapshot: Snapshot): string {
    if (snapshot.name.includes('/') || parseSnapshotName(snapshot.name) === undefined) {
      throw new SnapstoreError('Config', this.location, `not a snapshot name: ${JSON.stringify(snapshot.name)}`);
    }
    return `${this.keyPrefix}/${snapshot.name}`;
  }

  #scrub(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('***');
    return out;
  }

  /** A SnapstoreError naming the location and the cause; never credentials. */
  #error(operation: string, err: unknown): SnapstoreError {
    if (SnapstoreError.is(err)) return err;
    const e = (err ?? {}) as AwsLikeError;
    const name = e.name ?? 'Error';
    const status = e.$metadata?.httpStatusCode;
    const net = networkCode(err);
    if (net) {
      return new SnapstoreError(
        'Unreachable',
        this.location,
        `cannot reach ${endpointForMessage(this.#endpoint, this.#region)} (${net}) while trying to ${operation}`,
      );
    }
    if (ACCESS_DENIED.has(name) || status === 403 || status === 401) {
      return new SnapstoreError(
        'AccessDenied',
        this.location,
        `access denied (${ACCESS_DENIED.has(name) ? name : `HTTP ${status}`}) while trying to ${operation} — check the credentials`,
      );
    }
    if (name === 'NoSuchBucket') {
      return new SnapstoreError('NoSuchContainer', this.location, `bucket ${this.bucket} does not exist`);
    }
    if (name === 'AbortError') return new SnapstoreError('Aborted', this.location, `${operation} was aborted`);
    const detail = e.message ? `${name}: ${this.#scrub(e.message)}` : name;
    return new SnapstoreError(
      'Other',
      this.location,
      `${operation} failed: ${detail}${status ? ` (HTTP ${status})` : ''}`,
    );
  }

  /**
   * Creates the bucket when it does not exist yet (a seed's BackupBucket): never touches the
   * objects of an existing one. Returns whether it had to create it.
   */
  async ensureBucket(): Promise<'created' | 'exists'> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return 'exists';
    } catch (err) {
      const e = err as AwsLikeError;
      const missing = e.name === 'NotFound' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404;
      if (!missing) throw this.#error('look up the bucket', err);
    }
    try {
      await this.#client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // us-east-1 is S3's default location and must not be named explicitly.
          ...(this.#region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: this.#region as never } }),
        }),
      );
    } catch (err) {
      if ((err as AwsLikeError).name === 'BucketAlreadyOwnedByYou') return 'exists';
      throw this.#error('create the bucket', err);
    }
    return 'created';
  }

  async list(): Promise<StoredObject[]> {
    const prefix = `${this.keyPrefix}/`;
    const objects: StoredObject[] = [];
    await this.#listKeys(prefix, 'list snapshots', (key, size) => {
      const name = key.slice(prefix.length);
      if (!name || name.includes('/')) return; // chunks and deeper objects
      const snapshot = parseSnapshotName(name);
      if (snapshot) objects.push({ snapshot, size });
    });
    return objects.sort((a, b) => compareSnapshots(a.snapshot, b.snapshot));
  }

  /** `<prefix>/`, refusing a store without a prefix: a whole bucket is never deleted. */
  #prefixOrRefuse(): string {
    if (!this.#prefixKey || this.#prefixKey.startsWith('../') || this.#prefixKey === './') {
      throw new SnapstoreError(
        'Config',
        this.location,
        'a prefix inside the bucket is needed: the whole bucket is never deleted',
      );
    }
    return this.#prefixKey;
  }

  async listPrefix(): Promise<PrefixObject[]> {
    const prefix = this.#prefixOrRefuse();
    const objects: PrefixObject[] = [];
    await this.#listKeys(prefix, 'list the objects under the prefix', (key, size) => {
      objects.push({ key: key.slice(prefix.length), size });
    });
    return objects;
  }

  async deleteFromPrefix(key: string): Promise<void> {
    const prefix = this.#prefixOrRefuse();
    if (!key || key.split('/').includes('..')) {
      throw new SnapstoreError('Config', this.location, `${JSON.stringify(key)} is not a key under the prefix`);
    }
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: `${prefix}${key}` }));
    } catch (err) {
      throw this.#error(`delete ${key}`, err);
    }
  }

  /** Calls `each` for every key starting with `prefix`, page by page. */
  async #listKeys(prefix: string, operation: string, each: (key: string, size: number) => void): Promise<void> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
            ...(this.#pageSize ? { MaxKeys: this.#pageSize } : {}),
          }),
        );
      } catch (err) {
        throw this.#error(operation, err);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key?.startsWith(prefix)) each(object.Key, object.Size ?? 0);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async save(snapshot: Snapshot, data: Readable | Buffer, options: SaveOptions = {}): Promise<StoredContent> {
    const key = this.#key(snapshot);
    const { signal } = options;
    if (signal?.aborted) throw new SnapstoreError('Aborted', this.location, `saving ${snapshot.name} was aborted`);
    let spool: string | undefined;
    try {
      let body: Buffer | Readable;
      let size: number;
      let sha256: string;
      if (Buffer.isBuffer(data)) {
        body = data;
        size = data.length;
        sha256 = createHash('sha256').update(data).digest('hex');
      } else {
        spool = await mkdtemp(path.join(this.#tempDirectory, 'etcd-backup-'));
        const file = path.join(spool, randomBytes(4).toString('hex'));
        ({ size, sha256 } = await spoolToFile(data, file, signal));
        body = createReadStream(file);
      }
      const upload = new Upload({
        client: this.#client,
        params: {
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: size,
          Metadata: { [SHA256_METADATA]: sha256 },
        },
        partSize: Math.max(this.#minChunkSize, Math.ceil(size / S3_NO_OF_CHUNKS)),
        queueSize: this.#parallel,
        leavePartsOnError: false,
      });
      const { onProgress } = options;
      if (onProgress) upload.on('httpUploadProgress', (progress) => onProgress(progress.loaded ?? 0));
      const onAbort = () => void upload.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await upload.done();
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      return { size, sha256 };
    } catch (err) {
      if (signal?.aborted) throw new SnapstoreError('Aborted', this.location, `saving ${snapshot.name} was aborted`);
      throw this.#error(`save ${snapshot.name}`, err);
    } finally {
      if (spool) await rm(spool, { recursive: true, force: true });
    }
  }

  async fetch(snapshot: Snapshot): Promise<Readable> {
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(snapshot) }));
      return out.Body as Readable;
    } catch (err) {
      if ((err as AwsLikeError).name === 'NoSuchKey') {
        throw new SnapstoreError('NotFound', this.location, `snapshot ${snapshot.name} not found`);
      }
      throw this.#error(`fetch ${snapshot.name}`, err);
    }
  }

  /** Deleting an absent snapshot is not an error (S3 semantics). */
  async delete(snapshot: Snapshot): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(snapshot) }));
    } catch (err) {
      throw this.#error(`delete ${snapshot.name}`, err);
    }
  }

  async stat(snapshot: Snapshot): Promise<{ size: number; sha256?: string } | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(snapshot) }));
      const sha256 = head.Metadata?.[SHA256_METADATA];
      return { size: head.ContentLength ?? 0, ...(sha256 ? { sha256 } : {}) };
    } catch (err) {
      const e = err as AwsLikeError;
      if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw this.#error(`stat ${snapshot.name}`, err);
    }
  }
}

async function spoolToFile(
  data: Readable,
  file: string,
  signal: AbortSignal | undefined,
): Promise<{ size: number; sha256: string }> {
  const digest = hashingStream();
  await pipeline(data, digest.stream, createWriteStream(file, { flags: 'wx', mode: 0o600 }), signal ? { signal } : {});
  return digest.result();
}
