/**
 * The control plane of a hibernated shoot (Gardener's `Botanist.HibernateControlPlane`): down,
 * with all its data kept. Its controllers stop first, so nothing acts on the nodes falling silent,
 * then the API server (its store fenced: no write after it) and the vpn-seed-server, then etcd
 * takes a full snapshot into the bucket and stops on its data directory. The machines stop after
 * this, through the Worker ("Configuring worker pools"). Waking up is the Reconcile flow
 * with hibernation off: etcd runs again on the kept data, then the API server and the rest.
 */
import type { TaskContext } from '../../../flow/task-fn.js';
import type { EtcdMain } from './etcd.js';
import type { KubeApiServer } from './kube-apiserver.js';
import type { KubeControllerManager } from './kube-controller-manager.js';
import type { KubeScheduler } from './kube-scheduler.js';
import type { VpnSeedServer } from './vpn-seed-server.js';

export interface HibernatedParts {
  kubeControllerManager: KubeControllerManager;
  kubeScheduler: KubeScheduler;
  kubeApiServer: KubeApiServer;
  vpnSeedServer: VpnSeedServer;
  etcdMain: EtcdMain;
}

export class ControlPlaneHibernation {
  readonly #parts: HibernatedParts;

  constructor(parts: HibernatedParts) {
    this.#parts = parts;
  }

  /** "Hibernating control plane": idempotent, each part is left alone once it is down. */
  async hibernate(ctx: TaskContext): Promise<void> {
    const { kubeControllerManager, kubeScheduler, kubeApiServer, vpnSeedServer, etcdMain } = this.#parts;
    await Promise.all([kubeControllerManager.destroy(ctx), kubeScheduler.destroy(ctx)]);
    await Promise.all([kubeApiServer.destroy(ctx), vpnSeedServer.destroy(ctx)]);
    await kubeApiServer.waitCleanup(ctx);
    await etcdMain.hibernate(ctx);
  }

  /** Whether the control plane is down as hibernation leaves it: nothing runs, etcd is stopped. */
  async hibernated(): Promise<boolean> {
    const { kubeControllerManager, kubeScheduler, kubeApiServer, vpnSeedServer, etcdMain } = this.#parts;
    const running = [kubeControllerManager, kubeScheduler, kubeApiServer, vpnSeedServer].some((p) => p.running);
    return !running && (await etcdMain.stopped());
  }
}
