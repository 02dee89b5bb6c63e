/**
 * `transplant backup delete`: deletes every object under a prefix by hand — the seed document's
 * manual clean-up after a migration without connectivity ("the operator deletes the backups in
 * the source bucket"), when no BackupEntry is left to do it. Refuses a prefix that a garden
 * BackupEntry still uses (its backups are live, or a Restore's source copy not yet verified), and
 * refuses when it cannot ask the garden; `--force` overrides both. Never a whole bucket.
 */
import path from 'node:path';
import { Command } from 'commander';
import { type BackupEntry, backupEntryResource } from '../../api/core-gardener/backup-entry.js';
import { BackupStoreError } from '../../backup/backup-store-error.js';
import { deletePrefix } from '../../backup/prefix-deletion.js';
import type { Snapstore } from '../../backup/snapstore/snapstore.js';
import { formatBytes } from './format-bytes.js';
import { closeStore, openStoreFromFlags } from './open-store.js';
import { entriesUsingPrefix } from './prefix-in-use.js';
import { addStoreFlags, credentialsHelp, failIfProblems, storeFlagsOf, validateStoreFlags } from './store-flags.js';

interface DeleteOptions extends Record<string, unknown> {
  gardenKubeconfig?: string;
  force: boolean;
  dryRun: boolean;
}

/**
 * The bucket a store lives in, as a BackupEntry's `spec.bucketName` names it: the S3 bucket, or a
 * local container's directory name (its location is `<container directory>/<prefix>`).
 */
function bucketOf(store: Snapstore, prefix: string): string {
  if (store.provider === 's3') return (store as unknown as { bucket: string }).bucket;
  return path.basename(
    path.resolve(
      store.location,
      ...path
        .normalize(prefix)
        .split('/')
        .map(() => '..'),
    ),
  );
}

/** The garden's BackupEntries in every namespace. */
async function gardenBackupEntries(kubeconfig: string): Promise<BackupEntry[]> {
  const [{ loadKubeconfig }, { RestClient }] = await Promise.all([
    import('../../client/kubeconfig-file.js'),
    import('../../client/rest-client.js'),
  ]);
  const client = new RestClient(loadKubeconfig(kubeconfig));
  try {
    return (await client.resource(backupEntryResource).list('')).items;
  } finally {
    client.close();
  }
}

/** Throws unless the prefix is free of BackupEntries (or `--force`); says why. */
async function checkNotInUse(options: DeleteOptions, bucket: string, prefix: string): Promise<void> {
  const override = 'give --force to delete it anyway';
  if (!options.gardenKubeconfig) {
    if (options.force) return;
    throw new Error(
      `without --garden-kubeconfig it cannot be checked that no BackupEntry uses ${prefix}/ in bucket ${bucket}: ${override}`,
    );
  }
  let entries: BackupEntry[];
  try {
    entries = await gardenBackupEntries(options.gardenKubeconfig);
  } catch (err) {
    if (options.force) {
      process.stderr.write(`warning: could not list the garden's BackupEntries (${(err as Error).message})\n`);
      return;
    }
    throw new Error(`could not list the garden's BackupEntries (${(err as Error).message}): ${override}`);
  }
  const users = entriesUsingPrefix(entries, bucket, prefix);
  if (users.length === 0) return;
  const list = users.join(', ');
  if (options.force) {
    process.stderr.write(`warning: deleting ${prefix}/ in bucket ${bucket}, which BackupEntry ${list} uses\n`);
    return;
  }
  throw new Error(`BackupEntry ${list} still uses ${prefix}/ in bucket ${bucket}: ${override}`);
}

async function runDelete(options: DeleteOptions): Promise<void> {
  const flags = storeFlagsOf(options, 'target');
  failIfProblems(validateStoreFlags(flags, 'target'));
  const prefix = (flags.storePrefix ?? '').replace(/^\/+|\/+$/g, '');
  if (!prefix) throw new Error('--store-prefix is required: a whole bucket is never deleted');
  const store = await openStoreFromFlags(flags, 'target', { mustExist: true });
  try {
    await checkNotInUse(options, bucketOf(store, prefix), prefix);
    const verb = options.dryRun ? 'would delete' : 'deleted';
    let result: Awaited<ReturnType<typeof deletePrefix>>;
    try {
      result = await deletePrefix(store, {
        dryRun: options.dryRun,
        onObject: (o) => process.stdout.write(`${verb} ${prefix}/${o.key} (${formatBytes(o.size)})\n`),
      });
    } catch (err) {
      throw new BackupStoreError('target', store, err);
    }
    process.stdout.write(
      `${verb} ${result.count} object(s), ${formatBytes(result.bytes)}, under ${store.location}${options.dryRun ? ' (dry run)' : ''}\n`,
    );
  } finally {
    closeStore(store);
  }
}

/** The `delete` subcommand with its flags and help. */
export function deleteCommand(): Command {
  const del = new Command('delete')
    .description(
      'Delete every object under a prefix (--store-prefix: e.g. a BackupEntry\'s "<entry>", or "<entry>/etcd-main"), ' +
        "the seed document's manual clean-up of a source bucket after a migration without connectivity. " +
        'Lists each object and the count and bytes deleted. Refuses a prefix that a garden BackupEntry still uses ' +
        '(checked through --garden-kubeconfig; without it, or when the garden cannot be asked, it refuses too) unless ' +
        '--force. Never deletes a bucket or anything outside the prefix.',
    )
    .option('--garden-kubeconfig <file>', 'kubeconfig of the garden, whose BackupEntries are checked (list access)')
    .option('--dry-run', 'list what would be deleted and delete nothing', false)
    .option('--force', 'delete even when a BackupEntry uses the prefix or the garden cannot be asked', false);
  addStoreFlags(del, 'target', { label: 'store', uploads: false });
  del.addHelpText('after', credentialsHelp(['']));
  del.action(async (options: DeleteOptions) => {
    await runDelete(options);
  });
  return del;
}
