/**
 * A control-plane component this seed runs in its own process that reaches the shoot's API as a
 * client under its own user (kube-controller-manager, kube-scheduler): its client certificate
 * from `ca-client`, kept in the control-plane namespace, and its runtime. The components differ
 * only in their names, user and runtime; the steps read the same (deploy, wait, destroy).
 */
import type { TaskContext } from '../../../flow/task-fn.js';
import { clientSigningCa, clusterCaBundle } from '../../../shoot/credentials-rotation.js';
import { issueComponentClientCertificate } from '../../../shoot/shoot-certificates.js';
import type { ControllerManagerConfig } from '../../runtime/controller-manager-runtime.js';
import type { InProcessRuntime, Stoppable } from '../../runtime/in-process-runtime.js';
import type { ComponentContext } from './context.js';
import type { DeployWaiter } from './interfaces.js';
import type { SecretsManager } from './secrets.js';
import { NotYetError, waitUntil } from './wait.js';

export interface ShootApiClientComponentOptions {
  /** As operators know it, e.g. `kube-scheduler`; its certificate's secret is `<name>-client`. */
  name: string;
  /** The user its certificate names, e.g. `system:kube-scheduler`. */
  user: string;
  runtime: InProcessRuntime<ControllerManagerConfig, Stoppable>;
}

export class ShootApiClientComponent implements DeployWaiter {
  readonly #c: ComponentContext;
  readonly #secrets: SecretsManager;
  readonly #options: ShootApiClientComponentOptions;

  constructor(c: ComponentContext, secrets: SecretsManager, options: ShootApiClientComponentOptions) {
    this.#c = c;
    this.#secrets = secrets;
    this.#options = options;
  }

  /** Starts it with its certificate; a running one with this configuration is left alone. */
  async deploy(_ctx: TaskContext): Promise<void> {
    const secrets = this.#secrets.current;
    const { name, user, runtime } = this.#options;
    const signer = clientSigningCa(secrets);
    const client = await this.#secrets.tlsSecret(`${name}-client`, signer.certPem, () =>
      issueComponentClientCertificate(signer, user),
    );
    await runtime.ensure({
      name: this.#c.namespace,
      apiUrl: this.#c.endpoint.apiUrl,
      caPem: clusterCaBundle(secrets),
      certPem: client.certPem,
      keyPem: client.keyPem,
    });
  }

  /** It runs (leading or waiting for its Lease). */
  async wait(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (!this.running) throw new NotYetError(`${this.#options.name} is not running`);
    });
  }

  /** It stops and hands its Lease back. */
  async destroy(_ctx: TaskContext): Promise<void> {
    await this.#options.runtime.stop(this.#c.namespace);
  }

  async waitCleanup(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (this.running) throw new NotYetError(`${this.#options.name} is still running`);
    });
  }

  get running(): boolean {
    return this.#options.runtime.has(this.#c.namespace);
  }
}
