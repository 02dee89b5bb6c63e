/**
 * What "Waiting until etcd backups are copied" tells an operator when the EtcdCopyBackupsTask
 * fails: why (the task's error) and what to do — the seed document's manual workaround for a
 * destination seed that cannot reach the source seed's backup store, with the task's own stores
 * filled in: copy with `transplant backup copy` (etcdbrctl copy's flags), mark the task Succeeded
 * through its status subresource, and later remove the finalizer of the source BackupEntry.
 */
import type { Shoot } from '../../api/core-gardener/shoot.js';
import type { EtcdCopyBackupsTask } from '../../api/druid/etcd-copy-backups-task.js';
import { projectOf, sourceBackupEntryName } from '../../shoot/identity.js';

/** etcdbrctl's spelling of a storage provider (`Local`, `S3`). */
function etcdbrctlProvider(provider: string): string {
  return provider === 's3' ? 'S3' : provider === 'local' ? 'Local' : provider;
}

export function copyBackupsFailedMessage(shoot: Shoot, task: EtcdCopyBackupsTask, problem: string): string {
  const { sourceStore: source, targetStore: target } = task.spec;
  const namespace = task.metadata.namespace ?? '';
  const name = task.metadata.name ?? '';
  const copy = [
    'transplant backup copy',
    `--source-storage-provider=${etcdbrctlProvider(source.provider)}`,
    `--source-store-container=${source.container}`,
    `--source-store-prefix=${source.prefix}`,
    `--storage-provider=${etcdbrctlProvider(target.provider)}`,
    `--store-container=${target.container}`,
    `--store-prefix=${target.prefix}`,
    '--wait-for-final-snapshot=true',
  ].join(' ');
  // The seed document's command as written: its ${…} are the shell's variables, set first.
  const patch =
    `SHOOT_NAME=${shoot.metadata.name}; PROJECT_NAME=${projectOf(shoot)}; ` +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell variables, expanded by the operator's shell
    'kubectl patch -n shoot--${PROJECT_NAME}--${SHOOT_NAME} etcdcopybackupstask ${SHOOT_NAME} --subresource status --type merge -p ' +
    '"{\\"status\\":{\\"conditions\\":[{\\"type\\":\\"Succeeded\\",\\"status\\":\\"True\\",\\"reason\\":\\"manual copy successful\\",' +
    '\\"message\\":\\"manual copy successful\\",\\"lastTransitionTime\\":\\"$(date -Iseconds)\\",\\"lastUpdateTime\\":\\"$(date -Iseconds)\\"}]}}"';
  return (
    `EtcdCopyBackupsTask ${namespace}/${name} cannot copy the etcd backups to this seed's bucket: ${problem}. ` +
    "If this seed cannot reach the source seed's backup store, copy the backups manually " +
    `(credentials as for etcdbrctl, see \`transplant backup copy --help\`): ${copy}; ` +
    `then mark the task successful on this seed's API: ${patch}; ` +
    `once etcd-main is Ready and the secret ${namespace}/source-etcd-backup is gone, remove the finalizer of the ` +
    `extensions.gardener.cloud BackupEntry ${sourceBackupEntryName(shoot)} on this seed, and later clean up the ` +
    "source backup directory in the source seed's store."
  );
}
