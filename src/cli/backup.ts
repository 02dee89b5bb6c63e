/**
 * `transplant backup copy|ls|restore`: the operator's side of the backup stores.
 *
 * `copy` takes `etcdbrctl copy`'s flags (same names, defaults and validation) so that the
 * commands of etcd-druid's copy Job and of Gardener's docs work unchanged. Credentials come only
 * from the environment, as etcdbrctl reads them: `AWS_APPLICATION_CREDENTIALS[_JSON]` for the
 * target, `SOURCE_AWS_APPLICATION_CREDENTIALS[_JSON]` for the source; containers from the flags or
 * `STORAGE_CONTAINER` / `SOURCE_STORAGE_CONTAINER`.
 *
 * Beyond etcdbrctl: `--store-root` / `--source-store-root` say which directory holds a local
 * container (etcdbrctl always uses the home directory, which stays the default; an absolute
 * container ignores the root).
 */
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../api/extensions/field-validation.js';
import {
  BackupStoreError,
  type CopyObjectEvent,
  type CopyProgress,
  type CopyResult,
  copyBackups,
  DEFAULT_MAX_PARALLEL_COPY_OPERATIONS,
} from '../backup/copier.js';
import { type DataDirStatus, dataDirStatus, restoreFromStore } from '../backup/restorer/index.js';
import { type CredentialsEnvPrefix, storageContainerFromEnv } from '../backup/snapstore/credentials.js';
import { openSnapstore, parseStorageProvider, type SnapstoreConfig } from '../backup/snapstore/open-snapstore.js';
import { MIN_CHUNK_SIZE, type Snapstore } from '../backup/snapstore/snapstore.js';

/** etcdbrctl's local container when none is given. */
const DEFAULT_LOCAL_CONTAINER = 'default.bkp';
const DEFAULT_MAX_PARALLEL_CHUNK_UPLOADS = 5;
const DEFAULT_TEMP_DIRECTORY = '/tmp';

type StoreRole = 'target' | 'source';

/** The store flags as commander parses them (target: no prefix; source: `--source-…`). */
interface StoreFlags {
  storageProvider?: string;
  storeContainer?: string;
  storePrefix?: string;
  storeEndpointOverride?: string;
  storeRoot?: string;
  maxParallelChunkUploads?: number;
  minChunkSize?: number;
  snapstoreTempDirectory?: string;
}

interface CopyFlags {
  maxBackupAge: number;
  maxBackupsToCopy: number;
  maxParallelCopyOperations: number;
  waitForFinalSnapshot: boolean;
  waitForFinalSnapshotTimeout: number;
}

// ---------------------------------------------------------------------------------------------
// Flag parsing (Go's flag syntax: ints, bools, durations)

function integer(value: string): number {
  if (!/^[+-]?\d+$/.test(value.trim())) throw new InvalidArgumentError('must be an integer');
  return Number(value);
}

/** Go's `strconv.ParseBool`. */
function goBool(value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new InvalidArgumentError('must be true or false');
}

/** Go's `time.ParseDuration` (`5m`, `30s`, `1h0m0s`, `0`), in milliseconds; negative values stay negative for validation. */
function goDuration(value: string): number {
  const negative = value.startsWith('-');
  const ms = parseDuration(value.replace(/^[+-]/, ''));
  if (ms === undefined) throw new InvalidArgumentError('must be a duration such as 30s, 5m or 1h0m0s');
  return negative ? -ms : ms;
}

/** A duration the way Go prints it (`5m0s`, `1h0m0s`, `1.5s`). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  if (hours === 0 && minutes === 0 && seconds < 1) return `${ms}ms`;
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}

function flagName(role: StoreRole, name: string): string {
  return role === 'source' ? `--source-${name}` : `--${name}`;
}

function storeFlagsOf(options: Record<string, unknown>, role: StoreRole): StoreFlags {
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
function addStoreFlags(
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
function validateStoreFlags(flags: StoreFlags, role: StoreRole): string[] {
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
function inheritFromTarget(source: StoreFlags, target: StoreFlags): StoreFlags {
  return {
    ...source,
    storageProvider: source.storageProvider || target.storageProvider,
    storePrefix: source.storePrefix || target.storePrefix,
    snapstoreTempDirectory: source.snapstoreTempDirectory || target.snapstoreTempDirectory,
    storeRoot: source.storeRoot || target.storeRoot,
  };
}

function failIfProblems(problems: string[]): void {
  if (problems.length === 1) throw new Error(problems[0]);
  if (problems.length > 1) throw new Error(`invalid flags:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// Opening stores

/** Opens a store from its flags; errors name the store (`source store …`). */
export async function openStoreFromFlags(
  flags: StoreFlags,
  role: StoreRole,
  options: { mustExist: boolean; env?: NodeJS.ProcessEnv },
): Promise<Snapstore> {
  const env = options.env ?? process.env;
  // The SDK is pinned and Node 20 is this project's platform: its upgrade notice would only clutter the output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const envPrefix: CredentialsEnvPrefix = role === 'source' ? 'SOURCE_' : '';
  const provider = parseStorageProvider(flags.storageProvider ?? '');
  const container = flags.storeContainer || storageContainerFromEnv(env, envPrefix);
  const prefix = flags.storePrefix ?? '';
  let config: SnapstoreConfig;
  if (provider === 'local') {
    const root = flags.storeRoot || homedir();
    const directory = path.resolve(root, container || DEFAULT_LOCAL_CONTAINER);
    if (options.mustExist) {
      const info = await stat(directory).catch(() => undefined);
      if (!info?.isDirectory()) {
        throw new Error(
          `${role} store ${path.join(directory, prefix)}: the container directory ${directory} does not exist`,
        );
      }
    }
    config = { provider: 'local', container: directory, prefix, root };
  } else {
    config = {
      provider: 's3',
      prefix,
      env,
      envPrefix,
      ...(container ? { container } : {}),
      ...(flags.storeEndpointOverride ? { endpointOverride: flags.storeEndpointOverride } : {}),
      ...(flags.maxParallelChunkUploads !== undefined
        ? { maxParallelChunkUploads: flags.maxParallelChunkUploads }
        : {}),
      ...(flags.minChunkSize !== undefined ? { minChunkSize: flags.minChunkSize } : {}),
      ...(flags.snapstoreTempDirectory ? { tempDirectory: flags.snapstoreTempDirectory } : {}),
    };
  }
  try {
    return await openSnapstore(config);
  } catch (err) {
    throw new Error(`${role} store: ${(err as Error).message}`);
  }
}

/** Releases a store's connections so the process can exit. */
function closeStore(store: Snapstore | undefined): void {
  (store as { close?: () => void } | undefined)?.close?.();
}

// ---------------------------------------------------------------------------------------------
// Output

const MiB = 1024 * 1024;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MiB) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${(bytes / (1024 * MiB)).toFixed(2)} GiB`;
}

/** Megabytes (10^6) per second, as throughput is usually quoted. */
function megabytesPerSecond(bytes: number, ms: number): string {
  return ms > 0 ? (bytes / 1e6 / (ms / 1000)).toFixed(1) : '0.0';
}

interface CopyReporter {
  progress(p: CopyProgress): void;
  object(e: CopyObjectEvent): void;
  line(text: string): void;
  /** Clears what `progress` drew. */
  end(): void;
}

/** Plain lines, one per object: for logs and pipes. */
function plainReporter(out: NodeJS.WritableStream): CopyReporter {
  let phase: CopyProgress['phase'] | undefined;
  return {
    progress(p) {
      if (p.phase === 'copying' && phase !== 'copying') {
        out.write(`copying ${p.totalObjects} object(s), ${formatBytes(p.totalBytes)}\n`);
      }
      phase = p.phase;
    },
    object(e) {
      const renamed = e.source.name === e.target.name ? '' : ` as ${e.target.name}`;
      const seconds = (e.durationMs / 1000).toFixed(1);
      switch (e.action) {
        case 'skipped':
          out.write(`skipped ${e.source.name}: already in the target\n`);
          break;
        case 'copied':
        case 'replaced':
          out.write(
            `${e.action} ${e.source.name}${renamed} (${formatBytes(e.bytes)} in ${seconds} s, ${megabytesPerSecond(e.bytes, e.durationMs)} MB/s)\n`,
          );
          break;
        case 'failed':
          out.write(`failed ${e.source.name}: ${e.error?.message ?? 'unknown error'}\n`);
          break;
      }
    },
    line(text) {
      out.write(`${text}\n`);
    },
    end() {},
  };
}

/** One line redrawn in place: for terminals. */
function terminalReporter(out: NodeJS.WriteStream): CopyReporter {
  const started = Date.now();
  let lastDraw = 0;
  let drawn = false;
  let latest: CopyProgress | undefined;
  const clear = () => {
    if (drawn) out.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = (p: CopyProgress) => {
    const width = Math.max(10, Math.min(30, (out.columns || 80) - 70));
    const done =
      p.totalBytes > 0 ? (p.copiedBytes + p.skippedBytes) / p.totalBytes : p.doneObjects / (p.totalObjects || 1);
    const filled = Math.round(Math.min(1, done) * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const rate = megabytesPerSecond(p.copiedBytes, Date.now() - started);
    const text =
      p.phase === 'waiting-for-final'
        ? 'waiting for a final full snapshot in the source…'
        : p.phase === 'listing'
          ? 'listing…'
          : `${bar} ${Math.floor(done * 100)}% ${p.doneObjects}/${p.totalObjects} objects, ` +
            `${formatBytes(p.copiedBytes + p.skippedBytes)}/${formatBytes(p.totalBytes)}, ${rate} MB/s ${p.current ?? ''}`;
    out.write(`\r\x1b[2K${text.slice(0, Math.max(20, (out.columns || 80) - 1))}`);
    drawn = true;
  };
  return {
    progress(p) {
      latest = p;
      const now = Date.now();
      if (now - lastDraw >= 100 || p.phase !== 'copying') {
        lastDraw = now;
        draw(p);
      }
    },
    object(e) {
      if (e.action !== 'failed') return;
      clear();
      out.write(`failed ${e.source.name}: ${e.error?.message ?? 'unknown error'}\n`);
      if (latest) draw(latest);
    },
    line(text) {
      clear();
      out.write(`${text}\n`);
      if (latest && latest.phase !== 'done') draw(latest);
    },
    end() {
      clear();
    },
  };
}

function summary(result: CopyResult, failed: number, ms: number): string {
  const failedText = failed > 0 ? `, ${failed} failed` : '';
  return (
    `copied ${result.copied.length}, skipped ${result.skipped.length}${failedText} object(s): ` +
    `${formatBytes(result.bytes)} in ${(ms / 1000).toFixed(1)} s (${megabytesPerSecond(result.bytes, ms)} MB/s)`
  );
}

// ---------------------------------------------------------------------------------------------
// Commands

async function runCopy(options: Record<string, unknown>): Promise<void> {
  const copy = options as unknown as CopyFlags;
  const target = storeFlagsOf(options, 'target');
  const source = inheritFromTarget(storeFlagsOf(options, 'source'), target);
  const problems: string[] = [];
  if (copy.maxBackupsToCopy < -1)
    problems.push(`--max-backups-to-copy must be -1 (all) or more, got ${copy.maxBackupsToCopy}`);
  if (copy.maxBackupAge < -1) problems.push(`--max-backup-age must be -1 (any age) or more, got ${copy.maxBackupAge}`);
  if (copy.maxParallelCopyOperations <= 0) {
    problems.push(`--max-parallel-copy-operations must be greater than 0, got ${copy.maxParallelCopyOperations}`);
  }
  if (copy.waitForFinalSnapshotTimeout < 0) {
    problems.push(
      `--wait-for-final-snapshot-timeout must not be negative, got -${formatGoDuration(-copy.waitForFinalSnapshotTimeout)}`,
    );
  }
  problems.push(...validateStoreFlags(target, 'target'), ...validateStoreFlags(source, 'source'));
  failIfProblems(problems);

  const out = process.stdout;
  const reporter = out.isTTY ? terminalReporter(out) : plainReporter(out);
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let sourceStore: Snapstore | undefined;
  let targetStore: Snapstore | undefined;
  const started = Date.now();
  let failed = 0;
  try {
    sourceStore = await openStoreFromFlags(source, 'source', { mustExist: true });
    targetStore = await openStoreFromFlags(target, 'target', { mustExist: false });
    reporter.line(`copying backups from ${sourceStore.location} to ${targetStore.location}`);
    const timeout = copy.waitForFinalSnapshotTimeout;
    let phase: CopyProgress['phase'] | undefined;
    let finalReported = false;
    const onProgress = (p: CopyProgress) => {
      if (p.phase === 'waiting-for-final' && phase !== p.phase) {
        const limit = timeout > 0 ? `up to ${formatGoDuration(timeout)}` : 'without a time limit';
        reporter.line(`waiting ${limit} for a final full snapshot in the source`);
      }
      if (p.finalSnapshot && !finalReported) {
        finalReported = true;
        reporter.line(
          p.finalSnapshot === 'found'
            ? 'found a final full snapshot in the source'
            : `timed out after ${formatGoDuration(timeout)} waiting for a final full snapshot; copying anyway`,
        );
      }
      phase = p.phase;
      reporter.progress(p);
    };
    const result = await copyBackups({
      source: sourceStore,
      target: targetStore,
      maxBackupsToCopy: copy.maxBackupsToCopy,
      maxBackupAgeDays: copy.maxBackupAge,
      maxParallelCopyOperations: copy.maxParallelCopyOperations,
      waitForFinalSnapshot: copy.waitForFinalSnapshot,
      waitForFinalSnapshotTimeoutMs: copy.waitForFinalSnapshotTimeout,
      signal: abort.signal,
      onProgress,
      onObject: (e) => {
        if (e.action === 'failed') failed++;
        reporter.object(e);
      },
    }).catch((err: unknown) => {
      if (abort.signal.aborted) throw new Error('copy interrupted; run the same command again to copy the rest');
      throw err;
    });
    reporter.end();
    out.write(`${summary(result, failed, Date.now() - started)}\n`);
  } catch (err) {
    reporter.end();
    const result = (err as { result?: CopyResult }).result;
    if (result) out.write(`${summary(result, failed, Date.now() - started)}\n`);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    closeStore(sourceStore);
    closeStore(targetStore);
  }
}

async function runList(options: Record<string, unknown> & { output: string }): Promise<void> {
  const flags = storeFlagsOf(options, 'target');
  failIfProblems(validateStoreFlags(flags, 'target'));
  const store = await openStoreFromFlags(flags, 'target', { mustExist: true });
  try {
    let objects: Awaited<ReturnType<Snapstore['list']>>;
    try {
      objects = await store.list();
    } catch (err) {
      throw new BackupStoreError('target', store, err);
    }
    if (options.output === 'json') {
      const rows = objects.map((o) => ({
        ...o.snapshot,
        created: new Date(o.snapshot.createdOn * 1000).toISOString(),
        size: o.size,
      }));
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    const header = ['NAME', 'KIND', 'START', 'LAST', 'CREATED', 'SIZE', 'FINAL'];
    const rows = objects.map((o) => [
      o.snapshot.name,
      o.snapshot.kind,
      String(o.snapshot.startRevision),
      String(o.snapshot.lastRevision),
      new Date(o.snapshot.createdOn * 1000).toISOString().replace('.000Z', 'Z'),
      formatBytes(o.size),
      o.snapshot.isFinal ? 'true' : 'false',
    ]);
    process.stdout.write(formatTable([header, ...rows]));
  } finally {
    closeStore(store);
  }
}

/** Columns padded to their widest cell, separated by three spaces (kubectl's look). */
function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map(
      (r) =>
        `${r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('   ')
          .trimEnd()}\n`,
    )
    .join('');
}

interface RestoreFlags {
  dataDir: string;
  name: string;
  initialAdvertisePeerUrls: string;
  initialClusterToken: string;
  restorationTempSnapshotsDir?: string;
  force: boolean;
}

/**
 * Why `dataDir` must not be replaced without --force, or undefined when nothing is lost: the
 * restore removes whatever is there, and a mistyped path could be anyone's directory.
 */
async function refusalToReplace(
  dataDir: string,
  current: { status: DataDirStatus; reason?: string },
): Promise<string | undefined> {
  switch (current.status) {
    case 'missing':
      return undefined;
    case 'valid':
      return `${dataDir} holds a valid etcd data directory`;
    case 'invalid':
      return `${dataDir} is not a valid etcd data directory${current.reason ? ` (${current.reason})` : ''}`;
    case 'empty':
      return (await readdir(dataDir)).length > 0 ? `${dataDir} is not empty and holds no etcd data` : undefined;
  }
}

async function runRestore(options: Record<string, unknown>): Promise<void> {
  const restore = options as unknown as RestoreFlags;
  const flags = storeFlagsOf(options, 'target');
  failIfProblems(validateStoreFlags(flags, 'target'));
  const dataDir = path.resolve(restore.dataDir);
  const refusal = await refusalToReplace(dataDir, await dataDirStatus(dataDir));
  if (refusal && !restore.force) throw new Error(`${refusal}; pass --force to replace it with the restored data`);
  const store = await openStoreFromFlags(flags, 'target', { mustExist: true });
  try {
    process.stdout.write(`restoring ${dataDir} from ${store.location}\n`);
    const started = Date.now();
    const result = await restoreFromStore({
      store,
      dataDir,
      memberName: restore.name,
      peerUrl: restore.initialAdvertisePeerUrls,
      initialClusterToken: restore.initialClusterToken,
      ...(restore.restorationTempSnapshotsDir ? { tempDir: restore.restorationTempSnapshotsDir } : {}),
      onProgress: (message) => process.stdout.write(`${message}\n`),
    });
    if (!result.restored) {
      throw new Error(`${store.location} holds no backups; ${dataDir} was left as it was`);
    }
    process.stdout.write(
      `restored ${dataDir} to revision ${result.revision} from ${result.full.name} and ${result.deltas.length} delta snapshot(s) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  } finally {
    closeStore(store);
  }
}

/** The help section on where credentials and containers come from (never flags). */
function credentialsHelp(prefixes: CredentialsEnvPrefix[]): string {
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

/** The `backup` command with its subcommands. */
export function backupCommand(): Command {
  const backup = new Command('backup').description(
    "Copy, list and restore etcd backups in etcd-backup-restore's layout (<container>/<prefix>/v2/Full-…, Incr-…).",
  );

  const copy = new Command('copy')
    .description(
      'Copy backups from the source store to the target store as `etcdbrctl copy` does, newest backup (a full snapshot ' +
        'and its deltas) first. Objects the target already holds with the same size and SHA-256 are skipped; the others ' +
        'are copied and verified. The final marker (.final) is dropped in the target. After an interruption, running the ' +
        'same command again copies only what is missing.',
    )
    .option(
      '--max-backup-age <days>',
      'copy only backups whose full snapshot is younger than this many days (-1: any age)',
      integer,
      -1,
    )
    .option('--max-backups-to-copy <n>', 'copy only the newest n backups (-1: all)', integer, -1)
    .option(
      '--max-parallel-copy-operations <n>',
      'objects copied at the same time',
      integer,
      DEFAULT_MAX_PARALLEL_COPY_OPERATIONS,
    )
    .addOption(
      new Option(
        '--wait-for-final-snapshot [bool]',
        'wait until one of the 4 newest full snapshots of the source is final before copying',
      )
        .argParser(goBool)
        .default(false),
    )
    .option(
      '--wait-for-final-snapshot-timeout <duration>',
      'how long to wait for the final snapshot before copying anyway, e.g. 30s, 5m, 1h0m0s (0: no limit)',
      goDuration,
      0,
    );
  addStoreFlags(copy, 'target', { label: 'target store', uploads: true });
  addStoreFlags(copy, 'source', { label: 'source store', uploads: true });
  copy.addHelpText('after', credentialsHelp(['', 'SOURCE_']));
  copy.action(async (options: Record<string, unknown>) => {
    await runCopy(options);
  });

  const ls = new Command('ls')
    .description('List the snapshots in a store, oldest revision first.')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'));
  addStoreFlags(ls, 'target', { label: 'store', uploads: false });
  ls.addHelpText('after', credentialsHelp(['']));
  ls.action(async (options: Record<string, unknown> & { output: string }) => {
    await runList(options);
  });

  const restore = new Command('restore')
    .description(
      'Restore an etcd data directory from the latest full snapshot in the store and every later delta snapshot, ' +
        'as etcd-backup-restore does. Every object is verified first; the data is built in DIR.part and renamed to DIR ' +
        'only when complete. A DIR that exists and is not empty is replaced only with --force.',
    )
    .requiredOption('--data-dir <dir>', 'the etcd data directory to create (DIR)')
    .requiredOption('--name <member>', 'the name of the etcd member that will run on the restored data')
    .option('--initial-advertise-peer-urls <url>', "that member's peer URL", 'http://localhost:2380')
    .option('--initial-cluster-token <token>', "the restored cluster's token", 'etcd-cluster')
    .option(
      '--restoration-temp-snapshots-dir <dir>',
      'where snapshots are kept while they are applied when /dev/shm has no room (default: the system temp directory)',
    )
    .option('--force', 'replace a DIR that exists and is not empty', false);
  addStoreFlags(restore, 'target', { label: 'store', uploads: false });
  restore.addHelpText('after', credentialsHelp(['']));
  restore.action(async (options: Record<string, unknown>) => {
    await runRestore(options);
  });

  return backup.addCommand(copy).addCommand(ls).addCommand(restore);
}
