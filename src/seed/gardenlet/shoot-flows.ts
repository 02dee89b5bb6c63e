/**
 * The gardenlet's shoot flows as graphs of named steps, in the words of Gardener's flows so that
 * `lastOperation.description` and `lastErrors[].taskID` name steps an operator can look up.
 */

import type { Flow } from '../../flow/flow.js';
import { Graph, type TaskID } from '../../flow/graph.js';
import type { Botanist } from './botanist.js';

export interface ReconcileFlowOptions {
  /** The seed has `spec.backup`: the shoot gets a BackupEntry and etcd backs up into it (Gardener's `allowBackup`). */
  allowBackup: boolean;
  /** `shoot.gardener.cloud/skip-readiness`: the "Waiting until …" steps are skipped. Default false. */
  skipReadiness?: boolean;
}

/** Create and Reconcile: everything the control plane needs, each step idempotent. */
export function reconcileFlow(b: Botanist, operation: 'Create' | 'Reconcile', options: ReconcileFlowOptions): Flow {
  const g = new Graph(operation === 'Create' ? 'Shoot cluster creation' : 'Shoot cluster reconciliation');
  const namespace = g.add({ name: 'Deploying Shoot namespace in Seed', fn: () => b.deployNamespace() });
  const secrets = g.add({
    name: 'Initializing secrets management',
    fn: () => b.initializeSecrets(),
    dependencies: namespace,
  });
  const infrastructure = g.add({
    name: 'Deploying Shoot infrastructure',
    fn: () => b.deployExtension('infrastructures'),
    dependencies: namespace,
  });
  const infrastructureReady = g.add({
    name: 'Waiting until shoot infrastructure has been reconciled',
    fn: () => b.waitUntilExtensionReady('infrastructures'),
    skipIf: options.skipReadiness,
    dependencies: infrastructure,
  });
  const dns = g.add({
    name: 'Deploying internal domain DNS record',
    fn: () => b.deployExtension('dnsrecords'),
    dependencies: namespace,
  });
  const dnsReady = g.add({
    name: 'Waiting until internal domain DNS record has been reconciled',
    fn: () => b.waitUntilExtensionReady('dnsrecords'),
    skipIf: options.skipReadiness,
    dependencies: dns,
  });
  const backupEntry = g.add({
    name: 'Deploying backup entry',
    fn: () => b.deployBackupEntry(),
    skipIf: !options.allowBackup,
    dependencies: namespace,
  });
  const backupEntryReady = g.add({
    name: 'Waiting until the backup entry has been reconciled',
    fn: () => b.waitUntilBackupEntryReconciled(),
    skipIf: !options.allowBackup || options.skipReadiness,
    dependencies: backupEntry,
  });
  const etcd = g.add({
    name: 'Deploying main and events etcd',
    fn: () => b.deployEtcd(),
    dependencies: [secrets, backupEntryReady],
  });
  const etcdReady = g.add({
    name: 'Waiting until main and event etcd report readiness',
    fn: () => b.waitUntilEtcdReady(),
    skipIf: options.skipReadiness,
    dependencies: etcd,
  });
  const apiServer = g.add({
    name: 'Deploying Kubernetes API server',
    fn: () => b.deployKubeApiServer(),
    dependencies: [etcdReady, dnsReady, infrastructureReady],
  });
  const apiServerReady = g.add({
    name: 'Waiting until Kubernetes API server rolled out',
    fn: () => b.waitUntilKubeApiServerReady(),
    skipIf: options.skipReadiness,
    dependencies: apiServer,
  });
  const controlPlane = g.add({
    name: 'Deploying shoot control plane components',
    fn: () => b.deployExtension('controlplanes'),
    dependencies: apiServerReady,
  });
  const controlPlaneReady = g.add({
    name: 'Waiting until shoot control plane has been reconciled',
    fn: () => b.waitUntilExtensionReady('controlplanes'),
    skipIf: options.skipReadiness,
    dependencies: controlPlane,
  });
  const workers = g.add({
    name: 'Configuring shoot worker pools',
    fn: () => b.deployExtension('workers'),
    dependencies: apiServerReady,
  });
  const workersReady = g.add({
    name: 'Waiting until shoot worker nodes have been reconciled',
    fn: () => b.waitUntilExtensionReady('workers'),
    skipIf: options.skipReadiness,
    dependencies: workers,
  });
  addShootConnectivitySteps(g, b, { secrets, apiServerReady, workersReady, skipReadiness: options.skipReadiness });
  // The machines' record is part of the state: a migration adopts them from it.
  g.add({
    name: 'Persisting ShootState in garden cluster',
    fn: () => b.persistShootState(),
    dependencies: [controlPlaneReady, workersReady],
  });
  return g.compile();
}

/** Delete: the control plane and everything of it in the seed. */
export function deleteFlow(b: Botanist): Flow {
  const g = new Graph('Shoot cluster deletion');
  const workers = g.add({ name: 'Destroying shoot workers', fn: () => b.deleteExtension('workers') });
  const workersGone = g.add({
    name: 'Waiting until shoot worker nodes have been terminated',
    fn: () => b.waitUntilExtensionDeleted('workers'),
    dependencies: workers,
  });
  const apiServer = g.add({
    name: 'Deleting Kubernetes API server',
    fn: () => b.deleteKubeApiServer(),
    dependencies: workersGone,
  });
  const vpnSeedServer = g.add({
    name: 'Deleting vpn-seed-server',
    fn: () => b.deleteVpnSeedServer(),
    dependencies: workersGone,
  });
  const controlPlane = g.add({
    name: 'Deleting shoot control plane',
    fn: () => b.deleteExtension('controlplanes'),
    dependencies: apiServer,
  });
  const controlPlaneGone = g.add({
    name: 'Waiting until shoot control plane has been deleted',
    fn: () => b.waitUntilExtensionDeleted('controlplanes'),
    dependencies: controlPlane,
  });
  const etcd = g.add({ name: 'Destroying main and events etcd', fn: () => b.deleteEtcd(), dependencies: apiServer });
  const etcdGone = g.add({
    name: 'Waiting until main and event etcd have been destroyed',
    fn: () => b.waitUntilEtcdDeleted(),
    dependencies: etcd,
  });
  const dns = g.add({
    name: 'Destroying internal domain DNS record',
    fn: () => b.deleteExtension('dnsrecords'),
    dependencies: apiServer,
  });
  const dnsGone = g.add({
    name: 'Waiting until internal domain DNS record has been destroyed',
    fn: () => b.waitUntilExtensionDeleted('dnsrecords'),
    dependencies: dns,
  });
  const infrastructure = g.add({
    name: 'Destroying Shoot infrastructure',
    fn: () => b.deleteExtension('infrastructures'),
    dependencies: [controlPlaneGone, etcdGone],
  });
  const infrastructureGone = g.add({
    name: 'Waiting until shoot infrastructure has been destroyed',
    fn: () => b.waitUntilExtensionDeleted('infrastructures'),
    dependencies: infrastructure,
  });
  const namespace = g.add({
    name: 'Deleting shoot namespace in Seed',
    fn: () => b.deleteNamespace(),
    dependencies: [infrastructureGone, dnsGone, vpnSeedServer],
  });
  const namespaceGone = g.add({
    name: 'Waiting until shoot namespace in Seed has been deleted',
    fn: () => b.waitUntilNamespaceDeleted(),
    dependencies: namespace,
  });
  // Gardener leaves this to the garbage collector (the entry is owned by the Shoot) and deletes the
  // backups after a grace period; here the flow deletes the entry once etcd is gone (no more
  // snapshots) and the backups stay in the bucket.
  const backupEntry = g.add({
    name: 'Deleting backup entry',
    fn: () => b.deleteBackupEntry(),
    dependencies: [etcdGone, namespaceGone],
  });
  g.add({
    name: 'Waiting until the backup entry has been deleted',
    fn: () => b.waitUntilBackupEntryDeleted(),
    dependencies: backupEntry,
  });
  return g.compile();
}

export interface MigrateFlowOptions {
  /**
   * etcd-main exists and the BackupEntry is still on this seed (Gardener's `etcdSnapshotRequired`):
   * the final snapshot has not been taken yet. Moving the entry waits for the snapshot, so after
   * a crash past that point the snapshot is in the bucket and not taken again.
   */
  etcdSnapshotRequired: boolean;
}

/**
 * Migrate, on the source seed (Gardener's "Shoot cluster preparation for migration"): the API
 * server stops first, so the final snapshot holds every acknowledged write; the extension
 * resources save their state; the persisted secrets and those states go into the ShootState;
 * the BackupEntry moves to the new seed; then the control plane is torn down here. skip-readiness
 * does not apply: every wait guards what comes after it (as in Gardener's migrate flow).
 */
export function migrateFlow(b: Botanist, options: MigrateFlowOptions): Flow {
  const g = new Graph('Shoot cluster preparation for migration');
  const deleteApiServer = g.add({ name: 'Deleting kube-apiserver deployment', fn: () => b.deleteKubeApiServer() });
  // The nodes' tunnels close with it and are dialled again at the same address, which the
  // destination's vpn-seed-server binds.
  const deleteVpnSeedServer = g.add({ name: 'Deleting vpn-seed-server', fn: () => b.deleteVpnSeedServer() });
  const apiServerGone = g.add({
    name: 'Waiting until kube-apiserver has been deleted',
    fn: () => b.waitUntilKubeApiServerDeleted(),
    dependencies: deleteApiServer,
  });
  const migrateExtensions = g.add({
    name: 'Migrating extension resources',
    fn: () => b.migrateExtensions(),
    dependencies: apiServerGone,
  });
  const extensionsMigrated = g.add({
    name: 'Waiting until extension resources have been migrated',
    fn: () => b.waitUntilExtensionsMigrated(),
    dependencies: migrateExtensions,
  });
  const persistShootState = g.add({
    name: 'Persisting ShootState in garden cluster',
    fn: () => b.persistShootState(),
    dependencies: extensionsMigrated,
  });
  const snapshot = g.add({
    name: 'Creating ETCD Snapshot',
    fn: () => b.snapshotEtcd(),
    skipIf: !options.etcdSnapshotRequired,
    dependencies: apiServerGone,
  });
  const migrateBackupEntry = g.add({
    name: 'Migrating BackupEntry to new seed',
    fn: () => b.migrateBackupEntry(),
    dependencies: snapshot,
  });
  const backupEntryMigrated = g.add({
    name: 'Waiting for BackupEntry to be migrated to new seed',
    fn: () => b.waitUntilBackupEntryMigrated(),
    dependencies: migrateBackupEntry,
  });
  const destroyEtcd = g.add({
    name: 'Destroying main and events etcd',
    fn: () => b.deleteEtcd(),
    dependencies: backupEntryMigrated,
  });
  const etcdGone = g.add({
    name: 'Waiting until main and event etcd have been destroyed',
    fn: () => b.waitUntilEtcdDeleted(),
    dependencies: destroyEtcd,
  });
  const deleteExtensions = g.add({
    name: 'Deleting extension resources from the Shoot namespace',
    fn: () => b.deleteExtensions(),
    dependencies: persistShootState,
  });
  const extensionsGone = g.add({
    name: 'Waiting until extension resources have been deleted',
    fn: () => b.waitUntilExtensionsDeleted(),
    dependencies: deleteExtensions,
  });
  const deleteNamespace = g.add({
    name: 'Deleting shoot namespace in Seed',
    fn: () => b.deleteNamespace(),
    dependencies: [etcdGone, extensionsGone, deleteVpnSeedServer],
  });
  g.add({
    name: 'Waiting until shoot namespace in Seed has been deleted',
    fn: () => b.waitUntilNamespaceDeleted(),
    dependencies: deleteNamespace,
  });
  return g.compile();
}

export interface RestoreFlowOptions {
  /** etcd-main is not here yet and the backups are in another bucket (Gardener's `IsCopyOfBackupsRequired`). */
  copyRequired: boolean;
  /** `shoot.gardener.cloud/skip-readiness`: the "Waiting until …" steps are skipped (but see below). */
  skipReadiness: boolean;
}

/**
 * Restore, on the destination seed (Gardener's "Shoot cluster restoration"): the persisted
 * secrets come back from the ShootState, the backups are copied from the source bucket into this
 * seed's bucket, etcd is restored from there, the extension resources get their saved state, and
 * the API server starts on the shoot's stable address with its old CAs and keys.
 *
 * skip-readiness skips every "Waiting until …" step except "Waiting until etcd backups are
 * copied": etcd restores from this seed's bucket, and starting it before the copy is complete
 * would lose writes. A copy that cannot finish has the seed document's manual path instead.
 */
export function restoreFlow(b: Botanist, options: RestoreFlowOptions): Flow {
  const { copyRequired, skipReadiness } = options;
  const g = new Graph('Shoot cluster restoration');
  const namespace = g.add({ name: 'Deploying Shoot namespace in Seed', fn: () => b.deployNamespace() });
  const secrets = g.add({
    name: 'Initializing secrets management',
    fn: () => b.initializeSecrets(),
    dependencies: namespace,
  });
  const sourceBackupEntry = g.add({
    name: 'Deploying source backup entry',
    fn: () => b.deploySourceBackupEntry(),
    skipIf: !copyRequired,
    dependencies: namespace,
  });
  const sourceBackupEntryReady = g.add({
    name: 'Waiting until the source backup entry has been reconciled',
    fn: () => b.waitUntilSourceBackupEntryReconciled(),
    skipIf: !copyRequired || skipReadiness,
    dependencies: sourceBackupEntry,
  });
  const backupEntry = g.add({
    name: 'Deploying BackupEntry for ETCD data',
    fn: () => b.restoreBackupEntry(),
    dependencies: sourceBackupEntryReady,
  });
  const backupEntryReady = g.add({
    name: 'Waiting until the BackupEntry for ETCD data has been reconciled',
    fn: () => b.waitUntilBackupEntryReconciled(),
    skipIf: skipReadiness,
    dependencies: backupEntry,
  });
  const copyBackups = g.add({
    name: "Copying etcd backups to new seed's backup bucket",
    fn: () => b.deployEtcdCopyBackupsTask(),
    skipIf: !copyRequired,
    dependencies: [backupEntryReady, sourceBackupEntryReady],
  });
  const backupsCopied = g.add({
    name: 'Waiting until etcd backups are copied',
    fn: () => b.waitUntilEtcdBackupsCopied(),
    skipIf: !copyRequired,
    dependencies: copyBackups,
  });
  const destroyCopyTask = g.add({
    name: 'Destroying copy etcd backups task resource',
    fn: () => b.destroyEtcdCopyBackupsTask(),
    skipIf: !copyRequired,
    dependencies: backupsCopied,
  });
  const etcd = g.add({
    name: 'Deploying main and events etcd',
    fn: () => b.deployEtcd(),
    dependencies: [secrets, backupEntryReady, destroyCopyTask],
  });
  const etcdReady = g.add({
    name: 'Waiting until main and event etcd report readiness',
    fn: () => b.waitUntilEtcdReady(),
    skipIf: skipReadiness,
    dependencies: etcd,
  });
  const destroySourceBackupEntry = g.add({
    name: 'Destroying source backup entry',
    fn: () => b.destroySourceBackupEntry(),
    dependencies: etcdReady,
  });
  g.add({
    name: 'Waiting until source backup entry has been deleted',
    fn: () => b.waitUntilSourceBackupEntryDeleted(),
    skipIf: skipReadiness,
    dependencies: destroySourceBackupEntry,
  });
  const infrastructure = g.add({
    name: 'Deploying Shoot infrastructure',
    fn: () => b.restoreExtension('infrastructures'),
    dependencies: namespace,
  });
  const infrastructureReady = g.add({
    name: 'Waiting until shoot infrastructure has been reconciled',
    fn: () => b.waitUntilExtensionReady('infrastructures'),
    skipIf: skipReadiness,
    dependencies: infrastructure,
  });
  const dns = g.add({
    name: 'Deploying internal domain DNS record',
    fn: () => b.restoreExtension('dnsrecords'),
    dependencies: namespace,
  });
  const dnsReady = g.add({
    name: 'Waiting until internal domain DNS record has been reconciled',
    fn: () => b.waitUntilExtensionReady('dnsrecords'),
    skipIf: skipReadiness,
    dependencies: dns,
  });
  // The API server does not wait for the source entry's deletion: that only needs the copied
  // backups verified, and without access to the source store it waits for an operator.
  const apiServer = g.add({
    name: 'Deploying Kubernetes API server',
    fn: () => b.deployKubeApiServer(),
    dependencies: [etcdReady, infrastructureReady, dnsReady],
  });
  const apiServerReady = g.add({
    name: 'Waiting until Kubernetes API server rolled out',
    fn: () => b.waitUntilKubeApiServerReady(),
    skipIf: skipReadiness,
    dependencies: apiServer,
  });
  const controlPlane = g.add({
    name: 'Deploying shoot control plane components',
    fn: () => b.restoreExtension('controlplanes'),
    dependencies: apiServerReady,
  });
  g.add({
    name: 'Waiting until shoot control plane has been reconciled',
    fn: () => b.waitUntilExtensionReady('controlplanes'),
    skipIf: skipReadiness,
    dependencies: controlPlane,
  });
  // The same machines: the Worker's restored state says where they are.
  const workers = g.add({
    name: 'Configuring shoot worker pools',
    fn: () => b.restoreExtension('workers'),
    dependencies: apiServerReady,
  });
  const workersReady = g.add({
    name: 'Waiting until shoot worker nodes have been reconciled',
    fn: () => b.waitUntilExtensionReady('workers'),
    skipIf: skipReadiness,
    dependencies: workers,
  });
  addShootConnectivitySteps(g, b, { secrets, apiServerReady, workersReady, skipReadiness });
  return g.compile();
}

/**
 * The VPN between the control plane and the shoot's workers, in Create/Reconcile and Restore
 * alike: the vpn-seed-server the nodes' tunnels reach, then the check that the API server and the
 * workers reach each other (the step the seed document's second pitfall gets stuck at).
 */
function addShootConnectivitySteps(
  g: Graph,
  b: Botanist,
  after: { secrets: TaskID; apiServerReady: TaskID; workersReady: TaskID; skipReadiness: boolean | undefined },
): void {
  const vpnSeedServer = g.add({
    name: 'Deploying vpn-seed-server',
    fn: () => b.deployVpnSeedServer(),
    dependencies: after.secrets,
  });
  g.add({
    name: 'Waiting until the Kubernetes API server can connect to the Shoot workers',
    fn: () => b.waitUntilTunnelConnectionExists(),
    skipIf: after.skipReadiness,
    dependencies: [after.apiServerReady, after.workersReady, vpnSeedServer],
  });
}
