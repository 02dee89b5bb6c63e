/**
 * The shoot's kube-controller-manager (Gardener's "Deploying Kubernetes controller manager"), run
 * by this seed in its own process (src/seed/runtime/controller-manager-runtime.ts) and reaching the
 * shoot's API through the shoot's endpoint as `system:kube-controller-manager`, with a client
 * certificate from `ca-client` kept in the control-plane namespace. A Migrate stops it before the
 * API server (and so before the final snapshot): nothing it does can be lost in the move.
 */
import { CONTROLLER_MANAGER_USER } from '../../../shoot/controller-manager/controller-manager.js';
import type { ControllerManagerRuntime } from '../../runtime/controller-manager-runtime.js';
import type { ComponentContext } from './context.js';
import type { SecretsManager } from './secrets.js';
import { ShootApiClientComponent } from './shoot-api-client-component.js';

/**
 * "Deploying Kubernetes controller manager", "Waiting until kube-controller-manager reports
 * readiness" (it runs, leading or waiting for the Lease), "Deleting Kubernetes controller manager".
 */
export class KubeControllerManager extends ShootApiClientComponent {
  constructor(c: ComponentContext, runtime: ControllerManagerRuntime, secrets: SecretsManager) {
    super(c, secrets, { name: 'kube-controller-manager', user: CONTROLLER_MANAGER_USER, runtime });
  }
}
