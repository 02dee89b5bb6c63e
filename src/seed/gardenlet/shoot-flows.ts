/**
 * The gardenlet's shoot flows as graphs of named steps, in the words of Gardener's flows so that
 * `lastOperation.description` and `lastErrors[].taskID` name steps an operator can look up.
 */

import type { Flow } from '../../flow/flow.js';
import { Graph } from '../../flow/graph.js';
import type { Botanist } from './botanist.js';

export interface ReconcileFlowOptions {
  /** The seed has `spec.backup`: the shoot gets a BackupEntry and etcd backs up into it (Gardener's `allowBackup`). */
  allowBackup: boolean;
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
    skipIf: !options.allowBackup,
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
    dependencies: controlPlane,
  });
  g.add({
    name: 'Persisting ShootState in garden cluster',
    fn: () => b.persistShootState(),
    dependencies: controlPlaneReady,
  });
  return g.compile();
}

/** Delete: the control plane and everything of it in the seed. */
export function deleteFlow(b: Botanist): Flow {
  const g = new Graph('Shoot cluster deletion');
  const apiServer = g.add({ name: 'Deleting Kubernetes API server', fn: () => b.deleteKubeApiServer() });
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
    dependencies: [infrastructureGone, dnsGone],
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
