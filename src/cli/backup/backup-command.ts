/**
 * `transplant backup`: the operator's side of the backup stores, in etcd-backup-restore's layout.
 * Each subcommand lives in its own file (`copy-command.ts`, `delete-command.ts`, `list-command.ts`,
 * `restore-command.ts`); the store flags they share are in `store-flags.ts`.
 */
import { Command } from 'commander';
import { copyCommand } from './copy-command.js';
import { deleteCommand } from './delete-command.js';
import { listCommand } from './list-command.js';
import { restoreCommand } from './restore-command.js';

/** The `backup` command with its subcommands. */
export function backupCommand(): Command {
  const backup = new Command('backup').description(
    "Copy, list, restore and delete etcd backups in etcd-backup-restore's layout (<container>/<prefix>/v2/Full-…, Incr-…).",
  );
  return backup
    .addCommand(copyCommand())
    .addCommand(listCommand())
    .addCommand(restoreCommand())
    .addCommand(deleteCommand());
}
