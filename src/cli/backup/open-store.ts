/**
 * Opens the store that a command's store flags name, for `backup copy`, `ls` and `restore`:
 * turns the flags into a snapstore config (a local container resolved against its root, or S3
 * with credentials from the environment) and makes every error name which store failed.
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { type CredentialsEnvPrefix, storageContainerFromEnv } from '../../backup/snapstore/credentials.js';
import { openSnapstore, parseStorageProvider, type SnapstoreConfig } from '../../backup/snapstore/open-snapstore.js';
import type { Snapstore } from '../../backup/snapstore/snapstore.js';
import type { StoreFlags, StoreRole } from './store-flags.js';

/** etcdbrctl's local container when none is given. */
const DEFAULT_LOCAL_CONTAINER = 'default.bkp';

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
export function closeStore(store: Snapstore | undefined): void {
  (store as { close?: () => void } | undefined)?.close?.();
}
