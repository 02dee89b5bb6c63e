/**
 * Opens a snapstore from etcdbrctl-style settings: provider, container, prefix and — for s3 —
 * credentials from the environment (files named by env vars), never from flags.
 */
import { type CredentialsEnvPrefix, type S3Credentials, s3CredentialsFromEnv } from './credentials.js';
import { SnapstoreError } from './errors.js';
import { LocalSnapstore } from './local-snapstore.js';
import type { Snapstore } from './snapstore.js';

export type StorageProvider = Snapstore['provider'];

export interface LocalSnapstoreConfig {
  provider: 'local';
  /** A directory (relative to `root`, default the home directory, as etcdbrctl). */
  container: string;
  prefix: string;
  root?: string;
}

export interface S3SnapstoreConfig {
  provider: 's3';
  /** The bucket; default the credentials' `bucketName`. */
  container?: string;
  prefix: string;
  /** Default: `s3CredentialsFromEnv(env, envPrefix)`. */
  credentials?: S3Credentials;
  env?: NodeJS.ProcessEnv;
  /** `'SOURCE_'` for a copy's source store. */
  envPrefix?: CredentialsEnvPrefix;
  endpointOverride?: string;
  maxParallelChunkUploads?: number;
  minChunkSize?: number;
  tempDirectory?: string;
  listPageSize?: number;
  maxAttempts?: number;
}

export type SnapstoreConfig = LocalSnapstoreConfig | S3SnapstoreConfig;

/** etcdbrctl's `--storage-provider` value (`Local`, `""`, `S3`, any case) as a provider; others are refused. */
export function parseStorageProvider(value: string): StorageProvider {
  switch (value.toLowerCase()) {
    case '':
    case 'local':
      return 'local';
    case 's3':
      return 's3';
    default:
      throw new SnapstoreError(
        'Config',
        'storage provider',
        `unsupported ${JSON.stringify(value)} (supported: Local, S3)`,
      );
  }
}

export async function openSnapstore(config: SnapstoreConfig): Promise<Snapstore> {
  if (config.provider === 'local') {
    if (!config.container) throw new SnapstoreError('Config', 'local store', 'no container (directory) given');
    return new LocalSnapstore({
      container: config.container,
      prefix: config.prefix,
      ...(config.root ? { root: config.root } : {}),
    });
  }
  const credentials =
    config.credentials ?? (await s3CredentialsFromEnv(config.env ?? process.env, config.envPrefix ?? ''));
  const bucket = config.container || credentials.bucketName;
  if (!bucket) throw new SnapstoreError('Config', `s3://?/${config.prefix}`, 'no container (bucket) given');
  // Loaded on first use: the AWS SDK is a third of a process's start-up, and most never use S3.
  const { S3Snapstore } = await import('./s3-snapstore.js');
  return new S3Snapstore({
    bucket,
    prefix: config.prefix,
    credentials,
    ...(config.endpointOverride ? { endpointOverride: config.endpointOverride } : {}),
    ...(config.maxParallelChunkUploads !== undefined
      ? { maxParallelChunkUploads: config.maxParallelChunkUploads }
      : {}),
    ...(config.minChunkSize !== undefined ? { minChunkSize: config.minChunkSize } : {}),
    ...(config.tempDirectory ? { tempDirectory: config.tempDirectory } : {}),
    ...(config.listPageSize !== undefined ? { listPageSize: config.listPageSize } : {}),
    ...(config.maxAttempts !== undefined ? { maxAttempts: config.maxAttempts } : {}),
  });
}
