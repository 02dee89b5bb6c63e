/**
 * The shoot's kube-controller-manager (Gardener's "Deploying Kubernetes controller manager"), run
 * by this seed in its own process (src/seed/runtime/controller-manager-runtime.ts) and reaching the
 * shoot's API through the shoot's endpoint as `system:kube-controller-manager`, with a client
 * certificate from `ca-client` kept in the control-plane namespace. A Migrate stops it before the
 * API server (and so before the final snapshot): nothing it does can be lost in the move.
 */
import type { TaskContext } from '../../../flow/task-fn.js';
import { CONTROLLER_MANAGER_USER } from '../../../shoot/controller-manager/controller-manager.js';
import { issueComponentClientCertificate } from '../../../shoot/shoot-secrets.js';
import type { ControllerManagerRuntime } from '../../runtime/controller-manager-runtime.js';
import type { ComponentContext } from './context.js';
import type { DeployWaiter } from './interfaces.js';
import type { SecretsManager } from './secrets.js';
import { NotYetError, waitUntil } from './wait.js';

export class KubeControllerManager implements DeployWaiter {
  readonly #c: ComponentContext;
  readonly #runtime: ControllerManagerRuntime;
  readonly #secrets: SecretsManager;

  constructor(c: ComponentContext, runtime: ControllerManagerRuntime, secrets: SecretsManager) {
    this.#c = c;
    this.#runtime = runtime;
    this.#secrets = secrets;
  }

  /** "Deploying Kubernetes controller manager": a running one with this configuration is left alone. */
  async deploy(_ctx: TaskContext): Promise<void> {
    const secrets = this.#secrets.current;
    const client = await this.#secrets.tlsSecret('kube-controller-manager-client', secrets.caClient.certPem, () =>
      issueComponentClientCertificate(secrets.caClient, CONTROLLER_MANAGER_USER),
    );
    await this.#runtime.ensure({
      name: this.#c.namespace,
      apiUrl: this.#c.endpoint.apiUrl,
      caPem: secrets.ca.certPem,
      certPem: client.certPem,
      keyPem: client.keyPem,
    });
  }

  /** "Waiting until kube-controller-manager reports readiness": it runs (leading or waiting for the Lease). */
  async wait(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (!this.running) throw new NotYetError('kube-controller-manager is not running');
    });
  }

  /** "Deleting Kubernetes controller manager": its controllers stop and it hands its Lease back. */
  async destroy(_ctx: TaskContext): Promise<void> {
    await this.#runtime.stop(this.#c.namespace);
  }

  async waitCleanup(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (this.running) throw new NotYetError('kube-controller-manager is still running');
    });
  }

  get running(): boolean {
    return this.#runtime.has(this.#c.namespace);
  }
}
