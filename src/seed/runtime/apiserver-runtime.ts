/**
 * The kube-apiservers of the shoots a seed hosts, in this process. Each reaches its nodes
 * through the shoot's vpn-seed-server running beside it (`nodes/<name>/proxy`).
 */
import type { Logger } from 'pino';
import type { AuditLogConfig } from '../../apiserver/audit/audit-log.js';
import { type ShootApiServer, type ShootApiServerOptions, startShootApiServer } from '../../shoot/kube-apiserver.js';
import type { NodeTunnels } from '../../shoot/vpn/vpn-seed-server.js';
import { InProcessRuntime } from './in-process-runtime.js';

export type ApiServerConfig = Omit<ShootApiServerOptions, 'logger' | 'nodeTunnels' | 'audit' | 'deferListen'>;

export class ApiServerRuntime extends InProcessRuntime<
  ApiServerConfig,
  ShootApiServer,
  Pick<ShootApiServerOptions, 'deferListen'>
> {
  /**
   * `nodeTunnels(name)`: the vpn-seed-server of shoot `name` now, if one runs; `audit(name)`: the
   * audit log of shoot `name`'s API server.
   */
  constructor(
    logger: Logger,
    nodeTunnels: (name: string) => NodeTunnels | undefined = () => undefined,
    audit?: (name: string) => AuditLogConfig,
  ) {
    super((config, options) =>
      startShootApiServer({
        ...config,
        ...options,
        nodeTunnels: () => nodeTunnels(config.name),
        ...(audit ? { audit: audit(config.name) } : {}),
        logger: logger.child({ shoot: config.name }),
      }),
    );
  }

  url(name: string): string | undefined {
    return this.get(name)?.url;
  }
}
