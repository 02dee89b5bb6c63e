/**
 * The flags that name a backup store, shared by `backup copy` (a target and a `--source-…`
 * store), `ls` and `restore`: declaring them with their help, reading them back from commander's
 * options, and etcdbrctl's validation of them.
 *
 * Credentials come only from the environment, as etcdbrctl reads them:
 * `AWS_APPLICATION_CREDENTIALS[_JSON]` for the target, `SOURCE_AWS_APPLICATION_CREDENTIALS[_JSON]`
 * for the source; containers from the flags or `STORAGE_CONTAINER` / `SOURCE_STORAGE_CONTAINER`.
 *
 * Beyond etcdbrctl: `--store-root` / `--source-store-root` say which directory holds a local
 * container (etcdbrctl always uses the home directory, which stays the default; an absolute
 * container ignores the root).
 */
import { type Command, Option } from 'commander';
import type { CredentialsEnvPrefix } from '../../backup/snapstore/credentials.js';
import { parseStorageProvider } from '../../backup/snapstore/open-snapstore.js';
import { MIN_CHUNK_SIZE } from '../../backup/snapstore/snapstore.js';
import { integer } from './go-flags.js';

const DEFAULT_MAX_PARALLEL_CHUNK_UPLOADS = 5;
const DEFAULT_TEMP_DIRECTORY = '/tmp';

export type StoreRole = 'target' | 'source';

/** The store flags as commander parses them (target: no prefix; source: `--source-…`). */
export interface StoreFlags {
  storageProvider?: string;
  storeContainer?: string;
  storePrefix?: string;
  storeEndpointOverride?: string;
  storeRoot?: string;
  maxParallelChunkUploads?: number;
  minChunkSize?: number;
  snapstoreTempDirectory?: string;
}

export function flagName(role: StoreRole, name: string): string {
  return role === 'source' ? `--source-${name}` : `--${name}`;
}

export function storeFlagsOf(options: Record<string, unknown>, role: StoreRole): StoreFlags {
  const key = (camel: string) => (role === 'source' ? `source${camel[0]!.toUpperCase()}${camel.slice(1)}` : camel);
  const pick = <T>(camel: string) => options[key(camel)] as T | undefined;
  return {
    storageProvider: pick('storageProvider'),
    storeContainer: pick('storeContainer'),
    storePrefix: pick('storePrefix'),
    storeEndpointOverride: pick('storeEndpointOverride'),
    storeRoot: pick('storeRoot'),
    maxParallelChunkUploads: pick('maxParallelChunkUploads'),
    minChunkSize: pick('minChunkSize'),
    snapstoreTempDirectory: pick('snapstoreTempDirectory'),
  };
}

/**
 * Adds a store's flags (`label` names the store in the help). `uploads` adds the flags that only
 * matter when writing to S3. The source's defaults are empty so that they inherit the target's,
 * as etcdbrctl's `MergeWith`.
 */
export function addStoreFlags(
  command: Command,
  role: StoreRole,
  { label, uploads }: { label: string; uploads: boolean },
): Command {
  const source = role === 'source';
  const inherited = "(default: the target store's)";
  const envContainer = source ? 'SOURCE_STORAGE_CONTAINER' : 'STORAGE_CONTAINER';
  command
    .option(
      `${flagName(role, 'storage-provider')} <provider>`,
      `${label} provider: Local or S3 ${source ? inherited : '(default: Local)'}`,
    )
    .option(
      `${flagName(role, 'store-container')} <name>`,
      `${label} container: the S3 bucket, or the local directory (relative to the store root unless absolute) ` +
        `(default: $${envContainer}, else the credentials' bucketName for S3, default.bkp for Local)`,
    )
    .option(
      `${flagName(role, 'store-prefix')} <prefix>`,
      `prefix of the ${label}'s objects, which live under <prefix>/v2/${source ? ` ${inherited}` : ''}`,
    )
    .option(`${flagName(role, 'store-endpoint-override')} <url>`, `S3-compatible endpoint URL of the ${label}`)
    .option(
      `${flagName(role, 'store-root')} <dir>`,
      `Local provider: the directory holding the ${label}'s container ` +
        (source ? inherited : '(default: the home directory, as etcdbrctl)'),
    );
  if (!uploads) return command;
  return command
    .option(
      `${flagName(role, 'max-parallel-chunk-uploads')} <n>`,
      `S3: parts of one object uploaded at the same time (${label})`,
      integer,
      DEFAULT_MAX_PARALLEL_CHUNK_UPLOADS,
    )
    .option(
      `${flagName(role, 'min-chunk-size')} <bytes>`,
      `S3: minimum part size in bytes, at least 5 MiB (${label})`,
      integer,
      MIN_CHUNK_SIZE,
    )
    .addOption(
      new Option(
        `${flagName(role, 'snapstore-temp-directory')} <dir>`,
        `S3: where objects are spooled before they are uploaded (${label}) ${source ? inherited : ''}`.trimEnd(),
      ).default(source ? undefined : DEFAULT_TEMP_DIRECTORY),
    );
}

/** etcdbrctl's per-store validation; returns the problems found. */
export function validateStoreFlags(flags: StoreFlags, role: StoreRole): string[] {
  const problems: string[] = [];
  if (flags.maxParallelChunkUploads !== undefined && flags.maxParallelChunkUploads <= 0) {
    problems.push(
      `${flagName(role, 'max-parallel-chunk-uploads')} must be greater than 0, got ${flags.maxParallelChunkUploads}`,
    );
  }
  if (flags.minChunkSize !== undefined && flags.minChunkSize < MIN_CHUNK_SIZE) {
    problems.push(
      `${flagName(role, 'min-chunk-size')} must be at least ${MIN_CHUNK_SIZE} bytes (5 MiB), got ${flags.minChunkSize}`,
    );
  }
  if (flags.storeEndpointOverride) {
    try {
      new URL(flags.storeEndpointOverride);
    } catch {
      problems.push(
        `${flagName(role, 'store-endpoint-override')} must be a URL, got ${JSON.stringify(flags.storeEndpointOverride)}`,
      );
    }
  }
  if (flags.storageProvider !== undefined) {
    try {
      parseStorageProvider(flags.storageProvider);
    } catch (err) {
      problems.push(`${flagName(role, 'storage-provider')}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** The source's flags with empty provider, prefix, temp directory and root taken from the target's (etcdbrctl's `MergeWith`). */
export function inheritFromTarget(source: StoreFlags, target: StoreFlags): StoreFlags {
  return {
    ...source,
    storageProvider: source.storageProvider || target.storageProvider,
    storePrefix: source.storePrefix || target.storePrefix,
    snapstoreTempDirectory: source.snapstoreTempDirectory || target.snapstoreTempDirectory,
    storeRoot: source.storeRoot || target.storeRoot,
  };
}

export function failIfProblems(problems: string[]): void {
  if (problems.length === 1) throw new Error(problems[0]);
  if (problems.length > 1) throw new Error(`invalid flags:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

/** The help section on where credentials and containers come from (never flags). */
export function credentialsHelp(prefixes: CredentialsEnvPrefix[]): string {
  const lines = ['', 'Environment (S3 credentials are never taken from flags):'];
  for (const p of prefixes) {
    const whose = p === 'SOURCE_' ? 'source store' : prefixes.length > 1 ? 'target store' : 'store';
    lines.push(
      `  ${p}AWS_APPLICATION_CREDENTIALS_JSON  a JSON file with the ${whose}'s accessKeyID, secretAccessKey, region`,
      `  ${' '.repeat(p.length)}                                  (optional endpoint, s3ForcePathStyle, bucketName)`,
      `  ${p}AWS_APPLICATION_CREDENTIALS       a directory with such a JSON file or one file per field`,
      `  ${p}STORAGE_CONTAINER                 the ${whose}'s container when ${flagName(p === 'SOURCE_' ? 'source' : 'target', 'store-container')} is not given`,
    );
  }
  return `${lines.join('\n')}\n`;
}
