/**
 * The shoot's vpn-seed-server (Gardener's "Deploying vpn-seed-server"): the seed's end of the
 * tunnels the shoot's nodes open, on the shoot's bind address, run by this seed in its own
 * process. Only nodes with certificates from `ca-client` get a tunnel; the API server reaches the
 * nodes through them (`nodes/<name>/proxy`).
 */
import type { TaskContext } from '../../../flow/task-fn.js';
import { clientCaBundle } from '../../../shoot/credentials-rotation.js';
import { VPN_SEED_SERVER_PORT } from '../../../shoot/vpn/vpn-seed-server.js';
import type { VpnServerRuntime } from '../../runtime/vpn-server-runtime.js';
import type { ComponentContext } from './context.js';
import type { Deployer } from './interfaces.js';
import type { SecretsManager } from './secrets.js';

export class VpnSeedServer implements Deployer {
  readonly #c: ComponentContext;
  readonly #runtime: VpnServerRuntime;
  readonly #secrets: SecretsManager;

  constructor(c: ComponentContext, runtime: VpnServerRuntime, secrets: SecretsManager) {
    this.#c = c;
    this.#runtime = runtime;
    this.#secrets = secrets;
  }

  /** "Deploying vpn-seed-server": a repeated deploy leaves a running server and its tunnels alone. */
  async deploy(_ctx: TaskContext): Promise<void> {
    const serving = await this.#secrets.servingCertificate('vpn-seed-server-tls');
    await this.#runtime.ensure({
      name: this.#c.namespace,
      host: this.#c.endpoint.bindAddress,
      port: VPN_SEED_SERVER_PORT,
      serving,
      clientCaPem: clientCaBundle(this.#secrets.current),
    });
  }

  /** "Deleting vpn-seed-server": its address is free for the seed the control plane moves to. */
  async destroy(_ctx: TaskContext): Promise<void> {
    await this.#runtime.stop(this.#c.namespace);
  }

  get running(): boolean {
    return this.#runtime.has(this.#c.namespace);
  }
}
