/**
 * The gardenlet's shoot flows as graphs of named steps, in the words of Gardener's flows so that
 * `lastOperation.description` and `lastErrors[].taskID` name steps an operator can look up
 * (docs/flow-steps.md). Every step is one call of one component method (./components/); what
 * decides whether a step runs is computed before the graph and given as `skipIf`.
 *
 * One file (~820 lines) on purpose: the eight flows (with the live migration's source,
 * destination and abort flows) share their step names and the components they call, and
 * docs/flow-steps.md (checked by test/docs/flow-steps.test.ts) indexes them as one list; reading
 * Migrate next to Restore is how a step's counterpart on the other seed is found.
 */
import { liveMigrationFullSnapshotRevision } from '../../api/extensions/backup-entry.js';
import type { Flow } from '../../flow/flow.js';
import { Graph, type TaskID } from '../../flow/graph.js';
import type { ShootComponents } from './components/index.js';

export interface ReconcileFlowOptions {
  /** Create and Reconcile build a control plane here; Restore rebuilds one that ran on another seed. */
  operation: 'Create' | 'Reconcile' | 'Restore';
  /** The seed has `spec.backup`: the shoot gets a BackupEntry and etcd backs up into it (Gardener's `allowBackup`). */
  allowBackup: boolean;
  /** `shoot.gardener.cloud/skip-readiness`: the "Waiting until …" steps are skipped (but see below). */
  skipReadiness: boolean;
  /**
   * Restore only: etcd-main is not here yet and the backups are in another bucket (Gardener's
   * `IsCopyOfBackupsRequired`, `copyOfBackupsRequired` below).
   */
  copyRequired?: boolean;
  /**
   * Restore only: the control plane came here by a live migration and the shoot's old backups are
   * in the source bucket (`liveSourceBucket` below): the source entry is placed without a copy,
   * and its deletion waits for a verified full snapshot in this seed's bucket.
   */
  liveSourceBucket?: boolean;
  /**
   * `spec.hibernation.enabled` (Gardener's `HibernationEnabled`): the control plane is taken down
   * ("Hibernating control plane") and the machines stopped instead of deployed; false wakes it up.
   */
  hibernated?: boolean;
}

const reconcileFlowNames = {
  Create: 'Shoot cluster creation',
  Reconcile: 'Shoot cluster reconciliation',
  Restore: 'Shoot cluster restoration',
} as const;

/**
 * Create, Reconcile and Restore from one graph, as Gardener builds them: everything the control
 * plane needs, each step idempotent; a Restore (on the destination seed) adds its own steps and
 * brings the extension resources and the BackupEntry back from what the source saved. There the
 * persisted secrets come back from the ShootState, the backups are copied from the source bucket
 * into this seed's bucket, etcd is restored from there, and the API server starts on the shoot's
 * stable address with its old CAs and keys.
 *
 * skip-readiness skips every "Waiting until …" step except "Waiting until etcd backups are
 * copied": etcd restores from this seed's bucket, and starting it before the copy is complete
 * would lose writes. A copy that cannot finish has the seed document's manual path instead.
 */
export function reconcileFlow(c: ShootComponents, options: ReconcileFlowOptions): Flow {
  const { allowBackup, skipReadiness } = options;
  const hibernated = options.hibernated === true;
  const restoring = options.operation === 'Restore';
  const copyRequired = restoring && options.copyRequired === true;
  const liveSourceBucket = restoring && !copyRequired && options.liveSourceBucket === true;
  const sourceEntryRequired = copyRequired || liveSourceBucket;
  const g = new Graph(reconcileFlowNames[options.operation]);
  const deployNamespace = g.add({
    name: 'Deploying control plane namespace',
    fn: (ctx) => c.namespace.deploy(ctx),
  });
  const initializeSecrets = g.add({
    name: 'Initializing secrets management',
    fn: (ctx) => c.secrets.deploy(ctx),
    dependencies: deployNamespace,
  });
  const deploySourceBackupEntry = g.add({
    name: 'Deploying source backup entry',
    fn: liveSourceBucket
      ? (ctx) => c.sourceBackupEntry.deployAfterLiveMigration(ctx)
      : (ctx) => c.sourceBackupEntry.deploy(ctx),
    skipIf: !sourceEntryRequired,
    dependencies: deployNamespace,
  });
  const waitUntilSourceBackupEntryReconciled = g.add({
    name: 'Waiting until the source backup entry has been reconciled',
    fn: (ctx) => c.sourceBackupEntry.wait(ctx),
    skipIf: !sourceEntryRequired || skipReadiness,
    dependencies: deploySourceBackupEntry,
  });
  const deployBackupEntry = g.add({
    name: 'Deploying backup entry',
    fn: restoring ? (ctx) => c.backupEntry.restore(ctx) : (ctx) => c.backupEntry.deploy(ctx),
    skipIf: !allowBackup,
    dependencies: [deployNamespace, waitUntilSourceBackupEntryReconciled],
  });
  const waitUntilBackupEntryReconciled = g.add({
    name: 'Waiting until the backup entry has been reconciled',
    fn: (ctx) => c.backupEntry.wait(ctx),
    skipIf: !allowBackup || skipReadiness,
    dependencies: deployBackupEntry,
  });
  const copyEtcdBackups = g.add({
    name: "Copying etcd backups to new seed's backup bucket",
    fn: (ctx) => c.etcdCopyBackupsTask.deploy(ctx),
    skipIf: !copyRequired,
    dependencies: [waitUntilBackupEntryReconciled, waitUntilSourceBackupEntryReconciled],
  });
  const waitUntilEtcdBackupsCopied = g.add({
    name: 'Waiting until etcd backups are copied',
    fn: (ctx) => c.etcdCopyBackupsTask.wait(ctx),
    skipIf: !copyRequired,
    dependencies: copyEtcdBackups,
  });
  const destroyEtcdCopyBackupsTask = g.add({
    name: 'Destroying copy etcd backups task resource',
    fn: (ctx) => c.etcdCopyBackupsTask.destroy(ctx),
    skipIf: !copyRequired,
    dependencies: waitUntilEtcdBackupsCopied,
  });
  const deployEtcd = g.add({
    name: 'Deploying main and events etcd',
    fn: (ctx) => c.etcdMain.deploy(ctx),
    dependencies: [initializeSecrets, waitUntilBackupEntryReconciled, destroyEtcdCopyBackupsTask],
  });
  const waitUntilEtcdReady = g.add({
    name: 'Waiting until main and event etcd report readiness',
    fn: (ctx) => c.etcdMain.wait(ctx),
    skipIf: skipReadiness,
    dependencies: deployEtcd,
  });
  const destroySourceBackupEntry = g.add({
    name: 'Destroying source backup entry',
    fn: (ctx) => c.sourceBackupEntry.destroy(ctx),
    skipIf: !restoring,
    dependencies: waitUntilEtcdReady,
  });
  // After a live migration the deletion waits for this seed's first full snapshot, retried by the
  // entry's gardenlet: the shoot serves already, and the Restore does not wait for it.
  g.add({
    name: 'Waiting until source backup entry has been deleted',
    fn: (ctx) => c.sourceBackupEntry.waitCleanup(ctx),
    skipIf: !restoring || skipReadiness || liveSourceBucket,
    dependencies: destroySourceBackupEntry,
  });
  const deployInfrastructure = g.add({
    name: 'Deploying Shoot infrastructure',
    fn: restoring ? (ctx) => c.infrastructure.restore(ctx) : (ctx) => c.infrastructure.deploy(ctx),
    dependencies: deployNamespace,
  });
  const waitUntilInfrastructureReady = g.add({
    name: 'Waiting until Shoot infrastructure has been reconciled',
    fn: (ctx) => c.infrastructure.wait(ctx),
    skipIf: skipReadiness,
    dependencies: deployInfrastructure,
  });
  const deployInternalDnsRecord = g.add({
    name: 'Deploying internal domain DNS record',
    fn: restoring ? (ctx) => c.internalDnsRecord.restore(ctx) : (ctx) => c.internalDnsRecord.deploy(ctx),
    skipIf: hibernated,
    dependencies: deployNamespace,
  });
  const waitUntilInternalDnsRecordReady = g.add({
    name: 'Waiting until internal domain DNS record has been reconciled',
    fn: (ctx) => c.internalDnsRecord.wait(ctx),
    skipIf: skipReadiness || hibernated,
    dependencies: deployInternalDnsRecord,
  });
  // The API server does not wait for the source entry's deletion: that only needs the copied
  // backups verified, and without access to the source store it waits for an operator.
  const deployKubeApiServer = g.add({
    name: 'Deploying Kubernetes API server',
    fn: (ctx) => c.kubeApiServer.deploy(ctx),
    skipIf: hibernated,
    dependencies: [waitUntilEtcdReady, waitUntilInternalDnsRecordReady, waitUntilInfrastructureReady],
  });
  const waitUntilKubeApiServerReady = g.add({
    name: 'Waiting until Kubernetes API server rolled out',
    fn: (ctx) => c.kubeApiServer.wait(ctx),
    skipIf: skipReadiness || hibernated,
    dependencies: deployKubeApiServer,
  });
  // The controllers start once the API server serves (in a Restore: the one on this seed).
  const deployKubeControllerManager = g.add({
    name: 'Deploying Kubernetes controller manager',
    fn: (ctx) => c.kubeControllerManager.deploy(ctx),
    skipIf: hibernated,
    dependencies: waitUntilKubeApiServerReady,
  });
  g.add({
    name: 'Waiting until kube-controller-manager reports readiness',
    fn: (ctx) => c.kubeControllerManager.wait(ctx),
    skipIf: skipReadiness || hibernated,
    dependencies: deployKubeControllerManager,
  });
  const deployKubeScheduler = g.add({
    name: 'Deploying Kubernetes scheduler',
    fn: (ctx) => c.kubeScheduler.deploy(ctx),
    skipIf: hibernated,
    dependencies: waitUntilKubeApiServerReady,
  });
  g.add({
    name: 'Waiting until kube-scheduler reports readiness',
    fn: (ctx) => c.kubeScheduler.wait(ctx),
    skipIf: skipReadiness || hibernated,
    dependencies: deployKubeScheduler,
  });
  const deployControlPlane = g.add({
    name: 'Deploying shoot control plane components',
    fn: restoring ? (ctx) => c.controlPlane.restore(ctx) : (ctx) => c.controlPlane.deploy(ctx),
    dependencies: waitUntilKubeApiServerReady,
  });
  const waitUntilControlPlaneReady = g.add({
    name: 'Waiting until shoot control plane has been reconciled',
    fn: (ctx) => c.controlPlane.wait(ctx),
    skipIf: skipReadiness,
    dependencies: deployControlPlane,
  });
  // Hibernation: the controllers, then the API server (nothing written after it), then etcd
  // after a full snapshot; the machines stop after that, through the Worker.
  const hibernateControlPlane = g.add({
    name: 'Hibernating control plane',
    fn: (ctx) => c.hibernation.hibernate(ctx),
    skipIf: !hibernated,
    dependencies: waitUntilEtcdReady,
  });
  g.add({
    name: 'Destroying internal domain DNS record if hibernated',
    fn: (ctx) => c.internalDnsRecord.destroyAndWait(ctx),
    skipIf: !hibernated,
    dependencies: hibernateControlPlane,
  });
  // In a Restore the same machines: the Worker's restored state says where they are.
  const deployWorker = g.add({
    name: 'Configuring worker pools',
    fn: restoring ? (ctx) => c.worker.restore(ctx) : (ctx) => c.worker.deploy(ctx),
    dependencies: [waitUntilKubeApiServerReady, hibernateControlPlane],
  });
  const waitUntilWorkerReady = g.add({
    name: 'Waiting until worker pools have been reconciled',
    fn: (ctx) => c.worker.wait(ctx),
    skipIf: skipReadiness,
    dependencies: deployWorker,
  });
  // The seed's end of the nodes' tunnels, then the check that the API server and the workers
  // reach each other (the step the seed document's second pitfall gets stuck at).
  const deployVpnSeedServer = g.add({
    name: 'Deploying vpn-seed-server',
    fn: (ctx) => c.vpnSeedServer.deploy(ctx),
    skipIf: hibernated,
    dependencies: initializeSecrets,
  });
  g.add({
    name: 'Waiting until the Kubernetes API server can connect to the Shoot workers',
    fn: (ctx) => c.workerConnectivity.wait(ctx),
    skipIf: skipReadiness || hibernated,
    dependencies: [waitUntilKubeApiServerReady, waitUntilWorkerReady, deployVpnSeedServer],
  });
  // The machines' record is part of the state: a migration adopts them from it.
  g.add({
    name: 'Persisting ShootState in garden cluster',
    fn: (ctx) => c.shootState.deploy(ctx),
    dependencies: [waitUntilControlPlaneReady, waitUntilWorkerReady],
  });
  return g.compile();
}

/** Delete: the control plane and everything of it in the seed. */
export function deleteFlow(c: ShootComponents): Flow {
  const g = new Graph('Shoot cluster deletion');
  const destroyWorker = g.add({ name: 'Destroying shoot workers', fn: (ctx) => c.worker.destroy(ctx) });
  const waitUntilWorkerDeleted = g.add({
    name: 'Waiting until shoot worker nodes have been terminated',
    fn: (ctx) => c.worker.waitCleanup(ctx),
    dependencies: destroyWorker,
  });
  const destroyKubeControllerManager = g.add({
    name: 'Deleting Kubernetes controller manager',
    fn: (ctx) => c.kubeControllerManager.destroy(ctx),
    dependencies: waitUntilWorkerDeleted,
  });
  const destroyKubeScheduler = g.add({
    name: 'Deleting Kubernetes scheduler',
    fn: (ctx) => c.kubeScheduler.destroy(ctx),
    dependencies: waitUntilWorkerDeleted,
  });
  const destroyKubeApiServer = g.add({
    name: 'Deleting Kubernetes API server',
    fn: (ctx) => c.kubeApiServer.destroy(ctx),
    dependencies: [destroyKubeControllerManager, destroyKubeScheduler],
  });
  const destroyVpnSeedServer = g.add({
    name: 'Deleting vpn-seed-server',
    fn: (ctx) => c.vpnSeedServer.destroy(ctx),
    dependencies: waitUntilWorkerDeleted,
  });
  const destroyControlPlane = g.add({
    name: 'Destroying shoot control plane',
    fn: (ctx) => c.controlPlane.destroy(ctx),
    dependencies: destroyKubeApiServer,
  });
  const waitUntilControlPlaneDeleted = g.add({
    name: 'Waiting until shoot control plane has been destroyed',
    fn: (ctx) => c.controlPlane.waitCleanup(ctx),
    dependencies: destroyControlPlane,
  });
  const destroyEtcd = g.add({
    name: 'Destroying main and events etcd',
    fn: (ctx) => c.etcdMain.destroy(ctx),
    dependencies: destroyKubeApiServer,
  });
  const waitUntilEtcdDeleted = g.add({
    name: 'Waiting until main and event etcd have been destroyed',
    fn: (ctx) => c.etcdMain.waitCleanup(ctx),
    dependencies: destroyEtcd,
  });
  const destroyInternalDnsRecord = g.add({
    name: 'Destroying internal domain DNS record',
    fn: (ctx) => c.internalDnsRecord.destroy(ctx),
    dependencies: destroyKubeApiServer,
  });
  const waitUntilInternalDnsRecordDeleted = g.add({
    name: 'Waiting until internal domain DNS record has been destroyed',
    fn: (ctx) => c.internalDnsRecord.waitCleanup(ctx),
    dependencies: destroyInternalDnsRecord,
  });
  const destroyInfrastructure = g.add({
    name: 'Destroying shoot infrastructure',
    fn: (ctx) => c.infrastructure.destroy(ctx),
    dependencies: [waitUntilControlPlaneDeleted, waitUntilEtcdDeleted],
  });
  const waitUntilInfrastructureDeleted = g.add({
    name: 'Waiting until shoot infrastructure has been deleted',
    fn: (ctx) => c.infrastructure.waitCleanup(ctx),
    dependencies: destroyInfrastructure,
  });
  const destroyNamespace = g.add({
    name: 'Deleting shoot namespace in Seed',
    fn: (ctx) => c.namespace.destroy(ctx),
    dependencies: [waitUntilInfrastructureDeleted, waitUntilInternalDnsRecordDeleted, destroyVpnSeedServer],
  });
  const waitUntilNamespaceDeleted = g.add({
    name: 'Waiting until shoot namespace in Seed has been deleted',
    fn: (ctx) => c.namespace.waitCleanup(ctx),
    dependencies: destroyNamespace,
  });
  // Gardener leaves this to the garbage collector (the entry is owned by the Shoot); here the flow
  // deletes the entry once etcd is gone (no more snapshots). Either way the gardenlet deletes the
  // backups after the deletion grace period, which the flow does not wait for.
  const destroyBackupEntry = g.add({
    name: 'Deleting backup entry',
    fn: (ctx) => c.backupEntry.destroy(ctx),
    dependencies: [waitUntilEtcdDeleted, waitUntilNamespaceDeleted],
  });
  g.add({
    name: 'Waiting until the backup entry has been deleted',
    fn: (ctx) => c.backupEntry.waitCleanup(ctx),
    dependencies: destroyBackupEntry,
  });
  return g.compile();
}

export interface MigrateFlowOptions {
  /**
   * etcd-main exists and the BackupEntry is still on this seed (Gardener's `etcdSnapshotRequired`,
   * `etcdSnapshotRequired` below): the final snapshot has not been taken yet. Moving the entry
   * waits for the snapshot, so after a crash past that point the snapshot is in the bucket and
   * not taken again.
   */
  etcdSnapshotRequired: boolean;
  /**
   * The shoot is or is to be hibernated (Gardener's `wakeupRequired`): its etcd is stopped, so it
   * runs again ("Scaling etcd up") for the final snapshot. The API server is not needed for it.
   */
  wakeupRequired?: boolean;
}

/**
 * Migrate, on the source seed (Gardener's "Shoot cluster preparation for migration"): the API
 * server stops first, so the final snapshot holds every acknowledged write; the extension
 * resources save their state; the persisted secrets and those states go into the ShootState;
 * the BackupEntry moves to the new seed; then the control plane is torn down here. skip-readiness
 * does not apply: every wait guards what comes after it (as in Gardener's migrate flow).
 */
export function migrateFlow(c: ShootComponents, options: MigrateFlowOptions): Flow {
  const g = new Graph('Shoot cluster preparation for migration');
  // Nothing stops before the garden confirms the destination can take over: while it cannot, the
  // shoot keeps being served here (Gardener checks the same constraint before its flow).
  const waitUntilDestinationSeedReady = g.add({
    name: 'Waiting until the destination seed is ready',
    fn: (ctx) => c.destinationSeed.waitReady(ctx),
  });
  // Before the API server: whatever the controllers and the scheduler write reaches etcd before the final snapshot.
  const destroyKubeControllerManager = g.add({
    name: 'Deleting Kubernetes controller manager',
    fn: (ctx) => c.kubeControllerManager.destroy(ctx),
    dependencies: waitUntilDestinationSeedReady,
  });
  const destroyKubeScheduler = g.add({
    name: 'Deleting Kubernetes scheduler',
    fn: (ctx) => c.kubeScheduler.destroy(ctx),
    dependencies: waitUntilDestinationSeedReady,
  });
  const destroyKubeApiServer = g.add({
    name: 'Deleting kube-apiserver deployment',
    fn: (ctx) => c.kubeApiServer.destroy(ctx),
    dependencies: [destroyKubeControllerManager, destroyKubeScheduler],
  });
  // The nodes' tunnels close with it and are dialled again at the same address, which the
  // destination's vpn-seed-server binds.
  const destroyVpnSeedServer = g.add({
    name: 'Deleting vpn-seed-server',
    fn: (ctx) => c.vpnSeedServer.destroy(ctx),
    dependencies: waitUntilDestinationSeedReady,
  });
  const waitUntilKubeApiServerDeleted = g.add({
    name: 'Waiting until kube-apiserver has been deleted',
    fn: (ctx) => c.kubeApiServer.waitCleanup(ctx),
    dependencies: destroyKubeApiServer,
  });
  const persistShootState = addExtensionsMigration(g, c, waitUntilKubeApiServerDeleted);
  const scaleUpEtcd = g.add({
    name: 'Scaling etcd up',
    fn: (ctx) => c.etcdMain.scaleUp(ctx),
    skipIf: !options.etcdSnapshotRequired || options.wakeupRequired !== true,
  });
  const waitUntilEtcdReady = g.add({
    name: 'Waiting until main and event etcd report readiness',
    fn: (ctx) => c.etcdMain.wait(ctx),
    skipIf: !options.etcdSnapshotRequired || options.wakeupRequired !== true,
    dependencies: scaleUpEtcd,
  });
  const snapshotEtcd = g.add({
    name: 'Creating ETCD Snapshot',
    fn: (ctx) => c.etcdMain.snapshot(ctx),
    skipIf: !options.etcdSnapshotRequired,
    dependencies: [waitUntilKubeApiServerDeleted, waitUntilEtcdReady],
  });
  addTeardown(g, c, { backupEntryAfter: snapshotEtcd, persistShootState, namespaceAfter: destroyVpnSeedServer });
  return g.compile();
}

/**
 * Whether the Migrate still has to take the final snapshot (Gardener's `etcdSnapshotRequired`):
 * etcd-main exists and the BackupEntry has not been moved on yet — moving it waits for the
 * snapshot, so a moved entry means the final snapshot is in the bucket.
 */
export async function etcdSnapshotRequired(c: ShootComponents): Promise<boolean> {
  return (await c.etcdMain.get()) !== null && (await c.backupEntry.placedHere());
}

/**
 * Gardener's `IsCopyOfBackupsRequired`: etcd-main does not exist here yet and the backups are
 * still in another bucket — the entry points elsewhere, or a source entry exists (the entry was
 * already pointed here by an interrupted run).
 */
export async function copyOfBackupsRequired(c: ShootComponents): Promise<boolean> {
  if (await c.etcdMain.get()) return false;
  const bucketName = await c.backupEntry.bucketName();
  if (!bucketName) throw new Error(`BackupEntry ${c.backupEntry.name} does not exist: nothing to restore from`);
  if (await c.sourceBackupEntry.get()) return true;
  return bucketName !== (await c.context.seedObject()).metadata.uid;
}

/**
 * Whether a Restore finds the shoot's old backups left in the source bucket by a live migration:
 * the source entry of one exists already (a resumed Restore), or etcd-main runs here (adopted),
 * the record says a live migration to this seed completed, and the BackupEntry still names
 * another bucket.
 */
export async function liveSourceBucket(c: ShootComponents): Promise<boolean> {
  const source = await c.sourceBackupEntry.get();
  if (source) return liveMigrationFullSnapshotRevision(source) !== undefined;
  if (!(await c.etcdMain.get())) return false;
  const record = await c.liveMigration.get();
  if (record?.phase !== 'Completed' || record.destinationSeed !== c.context.seedName) return false;
  const bucketName = await c.backupEntry.bucketName();
  return bucketName !== undefined && bucketName !== (await c.context.seedObject()).metadata.uid;
}

export interface LiveMigrateFlowOptions {
  /**
   * The destination has started to take over the shoot's address (the record reached
   * `SwitchingEndpoint`): this seed's API server, controllers and vpn-seed-server are not brought
   * back after a restart of this seed.
   */
  endpointReleased: boolean;
}

/**
 * Live Migrate, on the source seed (docs/live-migration.md): the control plane keeps serving while
 * the destination's etcd members join this seed's cluster; this seed lets go of the endpoint once
 * the destination takes it over, hands its members over once the destination leads the cluster,
 * and tears the rest down as the classic Migrate does once its members have left — no final
 * snapshot and no copy of backups: the data moved with the cluster. `lastOperation` stays this
 * seed's Migrate until then.
 */
export function liveMigrateFlow(c: ShootComponents, options: LiveMigrateFlowOptions): Flow {
  const { endpointReleased } = options;
  const g = new Graph('Shoot cluster preparation for live migration');
  const waitUntilDestinationSeedReady = g.add({
    name: 'Waiting until the destination seed is ready',
    fn: (ctx) => c.destinationSeed.waitReady(ctx),
  });
  // Once the endpoint has moved nothing here needs the secrets again (the namespace may be gone).
  const initializeSecrets = g.add({
    name: 'Initializing secrets management',
    fn: (ctx) => c.secrets.deploy(ctx),
    skipIf: endpointReleased,
  });
  // After a restart of this seed before the endpoint moved, the control plane serves again here.
  const deployKubeApiServer = g.add({
    name: 'Deploying Kubernetes API server',
    fn: (ctx) => c.endpointSwitch.serveUntilReleased(ctx),
    skipIf: endpointReleased,
    dependencies: initializeSecrets,
  });
  const deployVpnSeedServer = g.add({
    name: 'Deploying vpn-seed-server',
    fn: (ctx) => c.vpnSeedServer.deploy(ctx),
    skipIf: endpointReleased,
    dependencies: initializeSecrets,
  });
  // The destination restores the persisted secrets (its etcd certificates from the same ca-etcd).
  const persistSecrets = g.add({
    name: 'Persisting secrets in garden cluster',
    fn: (ctx) => c.shootState.deploy(ctx),
    skipIf: endpointReleased,
    dependencies: [waitUntilDestinationSeedReady, initializeSecrets],
  });
  const publishEtcdMembers = g.add({
    name: 'Publishing etcd members for the destination seed',
    fn: (ctx) => c.liveEtcd.publishMembers(ctx),
    dependencies: persistSecrets,
  });
  // The controllers stop once the destination is about to take the endpoint over, while this
  // seed's API server still serves them: they never talk to the destination, and their watches
  // end with them instead of moving there all at once.
  const waitUntilSwitchingEndpoint = g.add({
    name: 'Waiting until the destination seed switches the endpoint',
    fn: (ctx) => c.liveMigration.waitSwitchingEndpoint(ctx),
    dependencies: publishEtcdMembers,
  });
  const destroyKubeControllerManager = g.add({
    name: 'Deleting Kubernetes controller manager',
    fn: (ctx) => c.kubeControllerManager.destroy(ctx),
    dependencies: waitUntilSwitchingEndpoint,
  });
  const destroyKubeScheduler = g.add({
    name: 'Deleting Kubernetes scheduler',
    fn: (ctx) => c.kubeScheduler.destroy(ctx),
    dependencies: waitUntilSwitchingEndpoint,
  });
  const releaseEndpoint = g.add({
    name: "Releasing the shoot's endpoint to the destination seed",
    fn: (ctx) => c.endpointSwitch.release(ctx),
    dependencies: [deployKubeApiServer, destroyKubeControllerManager, destroyKubeScheduler],
  });
  // Closes every connection still open here: clients reconnect at once, to the destination.
  const destroyKubeApiServer = g.add({
    name: 'Deleting kube-apiserver deployment',
    fn: (ctx) => c.kubeApiServer.destroy(ctx),
    dependencies: releaseEndpoint,
  });
  const destroyVpnSeedServer = g.add({
    name: 'Deleting vpn-seed-server',
    fn: (ctx) => c.vpnSeedServer.destroy(ctx),
    dependencies: [releaseEndpoint, deployVpnSeedServer],
  });
  const waitUntilLeaderMoved = g.add({
    name: 'Waiting until etcd leadership has moved to the destination seed',
    fn: (ctx) => c.liveMigration.waitLeaderMoved(ctx),
    dependencies: releaseEndpoint,
  });
  // SourceReleased: nothing of this seed serves the shoot any more, the destination may remove its members.
  const handOverEtcd = g.add({
    name: 'Handing etcd over to the destination seed',
    fn: (ctx) => c.liveEtcd.handOver(ctx),
    dependencies: [waitUntilLeaderMoved, destroyKubeApiServer, destroyVpnSeedServer],
  });
  const waitUntilMembersRemoved = g.add({
    name: 'Waiting until the etcd members of this seed have been removed',
    fn: (ctx) => c.liveMigration.waitSourceMembersRemoved(ctx),
    dependencies: handOverEtcd,
  });
  const persistShootState = addExtensionsMigration(g, c, waitUntilMembersRemoved);
  // Its members have left the cluster: deleting the Etcd deletes only their data.
  addTeardown(g, c, {
    backupEntryAfter: waitUntilMembersRemoved,
    persistShootState,
    namespaceAfter: destroyVpnSeedServer,
  });
  return g.compile();
}

/**
 * Live migration, on the destination seed (docs/live-migration.md): its etcd members join the
 * source's cluster, its API server serves from them unexposed, the data is verified, the endpoint
 * and then the leadership move here, and once the source has let go the source's members are
 * removed; the controllers and the vpn-seed-server start here. Progress goes into the record; the
 * source's Migrate and then this seed's ordinary Restore (which adopts what runs, and points the
 * backups at this seed's bucket) follow.
 */
export function liveMigrationDestinationFlow(c: ShootComponents): Flow {
  const g = new Graph('Shoot cluster live migration');
  const deployNamespace = g.add({
    name: 'Deploying control plane namespace',
    fn: (ctx) => c.namespace.deploy(ctx),
  });
  const initializeSecrets = g.add({
    name: 'Initializing secrets management',
    fn: (ctx) => c.secrets.deploy(ctx),
    dependencies: deployNamespace,
  });
  const joinSourceCluster = g.add({
    name: 'Deploying etcd members into the source cluster',
    fn: (ctx) => c.liveEtcd.join(ctx),
    dependencies: initializeSecrets,
  });
  const waitUntilMembersJoined = g.add({
    name: 'Waiting until etcd members have joined the source cluster',
    fn: (ctx) => c.liveEtcd.waitJoined(ctx),
    dependencies: joinSourceCluster,
  });
  const deployKubeApiServer = g.add({
    name: 'Deploying Kubernetes API server on the joint etcd cluster',
    fn: (ctx) => c.endpointSwitch.serveUnexposed(ctx),
    dependencies: waitUntilMembersJoined,
  });
  // Each side's hash is taken while no client is served through its member (LiveEtcd.hashOwnData).
  const hashEtcd = g.add({
    name: "Hashing this seed's etcd data at one revision",
    fn: (ctx) => c.liveEtcd.hashOwnData(ctx),
    dependencies: deployKubeApiServer,
  });
  // The point of no return: from here on the way back is a live migration back.
  const switchEndpoint = g.add({
    name: "Switching the shoot's endpoint to this seed",
    fn: (ctx) => c.endpointSwitch.takeOver(ctx),
    dependencies: hashEtcd,
  });
  const moveEtcdLeader = g.add({
    name: 'Moving etcd leadership to this seed',
    fn: (ctx) => c.liveEtcd.moveLeader(ctx),
    dependencies: switchEndpoint,
  });
  const waitUntilSourceReleased = g.add({
    name: 'Waiting until the source seed has released the control plane',
    fn: (ctx) => c.liveMigration.waitSourceReleased(ctx),
    dependencies: moveEtcdLeader,
  });
  // Before anything is removed: a mismatch stops here, with the source's members and data kept.
  const verifyEtcd = g.add({
    name: 'Verifying etcd data against the source cluster',
    fn: (ctx) => c.liveEtcd.verify(ctx),
    dependencies: waitUntilSourceReleased,
  });
  const removeSourceMembers = g.add({
    name: "Removing the source seed's etcd members",
    fn: (ctx) => c.liveEtcd.removeSourceMembers(ctx),
    dependencies: verifyEtcd,
  });
  // The source's vpn-seed-server and controllers are gone once it released the control plane.
  const deployVpnSeedServer = g.add({
    name: 'Deploying vpn-seed-server',
    fn: (ctx) => c.vpnSeedServer.deploy(ctx),
    dependencies: waitUntilSourceReleased,
  });
  const deployKubeControllerManager = g.add({
    name: 'Deploying Kubernetes controller manager',
    fn: (ctx) => c.kubeControllerManager.deploy(ctx),
    dependencies: waitUntilSourceReleased,
  });
  const deployKubeScheduler = g.add({
    name: 'Deploying Kubernetes scheduler',
    fn: (ctx) => c.kubeScheduler.deploy(ctx),
    dependencies: waitUntilSourceReleased,
  });
  g.add({
    name: 'Completing the live migration',
    fn: (ctx) => c.liveMigration.complete(ctx),
    dependencies: [removeSourceMembers, deployVpnSeedServer, deployKubeControllerManager, deployKubeScheduler],
  });
  return g.compile();
}

/**
 * A live migration's abort, on the destination seed, before the point of no return: this seed's
 * members leave the source cluster (which stays as it was: its members never stopped serving),
 * its API server stops, its Etcd and namespace go; `Aborted` is the garden's cue to bind the shoot
 * back to the source.
 */
export function liveMigrationAbortFlow(c: ShootComponents): Flow {
  const g = new Graph('Shoot cluster live migration abort');
  const startAbort = g.add({
    name: 'Aborting the live migration',
    fn: (ctx) => c.liveMigration.startAbort(ctx),
  });
  const destroyKubeApiServer = g.add({
    name: 'Deleting Kubernetes API server',
    fn: (ctx) => c.kubeApiServer.destroy(ctx),
    dependencies: startAbort,
  });
  const leaveSourceCluster = g.add({
    name: "Removing this seed's etcd members from the source cluster",
    fn: (ctx) => c.liveEtcd.leave(ctx),
    dependencies: destroyKubeApiServer,
  });
  const destroyEtcd = g.add({
    name: 'Destroying main and events etcd',
    fn: (ctx) => c.etcdMain.destroy(ctx),
    dependencies: leaveSourceCluster,
  });
  const waitUntilEtcdDeleted = g.add({
    name: 'Waiting until main and event etcd have been destroyed',
    fn: (ctx) => c.etcdMain.waitCleanup(ctx),
    dependencies: destroyEtcd,
  });
  const destroyNamespace = g.add({
    name: 'Deleting shoot namespace in Seed',
    fn: (ctx) => c.namespace.destroy(ctx),
    dependencies: waitUntilEtcdDeleted,
  });
  const waitUntilNamespaceDeleted = g.add({
    name: 'Waiting until shoot namespace in Seed has been deleted',
    fn: (ctx) => c.namespace.waitCleanup(ctx),
    dependencies: destroyNamespace,
  });
  g.add({
    name: 'Recording the live migration aborted',
    fn: (ctx) => c.liveMigration.aborted(ctx),
    dependencies: waitUntilNamespaceDeleted,
  });
  return g.compile();
}

/**
 * Both Migrates, once nothing of this seed serves the shoot any more (`after`): the extension
 * resources save their state and the ShootState keeps it with the persisted secrets (Gardener's
 * own step for the DNS record: it stays on the DNS server, pointing here until the destination's
 * "Deploying internal domain DNS record" points it there). Returns "Persisting ShootState in
 * garden cluster".
 */
function addExtensionsMigration(g: Graph, c: ShootComponents, after: TaskID): TaskID {
  const migrateExtensions = g.add({
    name: 'Migrating extension resources',
    fn: (ctx) => c.extensions.migrate(ctx),
    dependencies: after,
  });
  const waitUntilExtensionsMigrated = g.add({
    name: 'Waiting until extension resources have been migrated',
    fn: (ctx) => c.extensions.waitMigrate(ctx),
    dependencies: migrateExtensions,
  });
  const migrateInternalDnsRecord = g.add({
    name: 'Migrating internal domain DNS record',
    fn: (ctx) => c.internalDnsRecord.migrateAndWait(ctx),
    dependencies: after,
  });
  return g.add({
    name: 'Persisting ShootState in garden cluster',
    fn: (ctx) => c.shootState.deploy(ctx),
    dependencies: [waitUntilExtensionsMigrated, migrateInternalDnsRecord],
  });
}

/**
 * The end of both Migrates: the BackupEntry follows the shoot once etcd's data is safe
 * (`backupEntryAfter`: the classic one's final snapshot, the live one's members removed), then
 * etcd, the extension resources (once the ShootState has their state) and the namespace go.
 */
function addTeardown(
  g: Graph,
  c: ShootComponents,
  deps: { backupEntryAfter: TaskID; persistShootState: TaskID; namespaceAfter: TaskID },
): void {
  const migrateBackupEntry = g.add({
    name: 'Migrating BackupEntry to new seed',
    fn: (ctx) => c.backupEntry.migrate(ctx),
    dependencies: deps.backupEntryAfter,
  });
  const waitUntilBackupEntryMigrated = g.add({
    name: 'Waiting for BackupEntry to be migrated to new seed',
    fn: (ctx) => c.backupEntry.waitMigrate(ctx),
    dependencies: migrateBackupEntry,
  });
  const destroyEtcd = g.add({
    name: 'Destroying main and events etcd',
    fn: (ctx) => c.etcdMain.destroy(ctx),
    dependencies: waitUntilBackupEntryMigrated,
  });
  const waitUntilEtcdDeleted = g.add({
    name: 'Waiting until main and event etcd have been destroyed',
    fn: (ctx) => c.etcdMain.waitCleanup(ctx),
    dependencies: destroyEtcd,
  });
  const destroyExtensions = g.add({
    name: 'Deleting extension resources from the Shoot namespace',
    fn: (ctx) => c.extensions.destroy(ctx),
    dependencies: deps.persistShootState,
  });
  const waitUntilExtensionsDeleted = g.add({
    name: 'Waiting until extension resources have been deleted',
    fn: (ctx) => c.extensions.waitCleanup(ctx),
    dependencies: destroyExtensions,
  });
  const destroyNamespace = g.add({
    name: 'Deleting shoot namespace in Seed',
    fn: (ctx) => c.namespace.destroy(ctx),
    dependencies: [waitUntilEtcdDeleted, waitUntilExtensionsDeleted, deps.namespaceAfter],
  });
  g.add({
    name: 'Waiting until shoot namespace in Seed has been deleted',
    fn: (ctx) => c.namespace.waitCleanup(ctx),
    dependencies: destroyNamespace,
  });
}
