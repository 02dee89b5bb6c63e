/** The vpn-seed-servers of the shoots a seed hosts, in this process, beside their kube-apiservers. */
import type { Logger } from 'pino';
import { startVpnSeedServer, type VpnSeedServer, type VpnSeedServerOptions } from '../../shoot/vpn/vpn-seed-server.js';
import { InProcessRuntime } from './in-process-runtime.js';

export type VpnServerConfig = Omit<VpnSeedServerOptions, 'logger'>;

export class VpnServerRuntime extends InProcessRuntime<VpnServerConfig, VpnSeedServer> {
  constructor(logger: Logger) {
    super((config) => startVpnSeedServer({ ...config, logger: logger.child({ shoot: config.name }) }));
  }
}
