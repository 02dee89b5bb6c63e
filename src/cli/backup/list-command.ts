/**
 * `transplant backup ls`: the snapshots in a store, oldest revision first, as a kubectl-style
 * table or as JSON for scripts.
 */
import { Command, Option } from 'commander';
import { BackupStoreError } from '../../backup/backup-store-error.js';
import type { Snapstore } from '../../backup/snapstore/snapstore.js';
import { formatBytes } from './format-bytes.js';
import { closeStore, openStoreFromFlags } from './open-store.js';
import { addStoreFlags, credentialsHelp, failIfProblems, storeFlagsOf, validateStoreFlags } from './store-flags.js';

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

/** The `ls` subcommand with its flags and help. */
export function listCommand(): Command {
  const ls = new Command('ls')
    .description('List the snapshots in a store, oldest revision first.')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'));
  addStoreFlags(ls, 'target', { label: 'store', uploads: false });
  ls.addHelpText('after', credentialsHelp(['']));
  ls.action(async (options: Record<string, unknown> & { output: string }) => {
    await runList(options);
  });
  return ls;
}
