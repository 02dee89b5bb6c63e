/**
 * `transplant backup restore`: builds an etcd data directory from a store's latest full snapshot
 * and the deltas after it, and refuses to replace a directory that holds anything unless
 * `--force` says so.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { type DataDirStatus, dataDirStatus, restoreFromStore } from '../../backup/restorer/index.js';
import { closeStore, openStoreFromFlags } from './open-store.js';
import { addStoreFlags, credentialsHelp, failIfProblems, storeFlagsOf, validateStoreFlags } from './store-flags.js';

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

/** The `restore` subcommand with its flags and help. */
export function restoreCommand(): Command {
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
  return restore;
}
