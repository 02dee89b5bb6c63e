/**
 * The kube-apiservers of the shoots a seed hosts, in this process. Each reaches its nodes
 * through the shoot's vpn-seed-server running beside it (`nodes/<name>/proxy`). A highly
 * available shoot's (`replicas` > 1) are several replicas behind one endpoint
 * (apiserver-replicas.ts); a shoot with one keeps a single server on its endpoint, no proxy.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { AuditLogConfig } from '../../apiserver/audit/audit-log.js';
import { type ShootApiServer, type ShootApiServerOptions, startShootApiServer } from '../../shoot/kube-apiserver.js';
import type { NodeTunnels } from '../../shoot/vpn/vpn-seed-server.js';
import type { ReleaseReads } from '../../storage/etcd/read-gate.js';
import { ApiServerReplicas } from './apiserver-replicas.js';
import type { EndpointProxy } from './endpoint-proxy.js';
import { InProcessRuntime } from './in-process-runtime.js';

export type ApiServerConfig = Omit<
  ShootApiServerOptions,
  'logger' | 'nodeTunnels' | 'audit' | 'advertisedPort' | 'deferListen'
> & {
  /** Replicas behind the endpoint; 1 (the default) is a single server on it. */
  replicas?: number;
  /** The shoot's `ca`, which signs `serving`: the replicas' health checks verify it (replicas > 1). */
  servingCaPem?: string;
};

/** What runs for one shoot: its URL (the endpoint), and the proxy in front of its replicas when it has several. */
export interface RunningApiServer {
  url: string;
  proxy?: EndpointProxy;
  /** It listens on its endpoint (a live migration's destination starts without: `deferListen`). */
  readonly exposed: boolean;
  /** Listens on the endpoint as soon as the address is free (the live migration's endpoint switch). */
  expose(options?: { retryMs?: number; signal?: AbortSignal }): Promise<void>;
  /** Stops accepting connections on the endpoint; open ones go on until `stop`. */
  stopListening(): void;
  /** Keeps its etcd reads back until the release (`ShootApiServer.holdEtcdReads`). */
  holdEtcdReads(): Promise<ReleaseReads>;
  stop(): Promise<void>;
}

/** How an API server starts (not part of its configuration: the same server once it listens). */
export type ApiServerStartOptions = Pick<ShootApiServerOptions, 'deferListen'>;

/**
 * The test hook of `ApiServerReplicas` (`failed`): a file whose lines name replicas that are to
 * fail, `<shoot technical id>/<replica index>`, e.g. `shoot--dev--ha/1`. Unset: no hook.
 */
export const APISERVER_FAULT_FILE_ENV = 'TRANSPLANT_APISERVER_FAULT_FILE';

export class ApiServerRuntime extends InProcessRuntime<ApiServerConfig, RunningApiServer, ApiServerStartOptions> {
  /**
   * `nodeTunnels(name)`: the vpn-seed-server of shoot `name` now, if one runs; `audit(name)`: the
   * audit log of shoot `name`'s API server; `faultFile`: the tests' replica faults (below).
   */
  constructor(
    logger: Logger,
    nodeTunnels: (name: string) => NodeTunnels | undefined = () => undefined,
    audit?: (name: string) => AuditLogConfig,
    faultFile?: string,
  ) {
    super(async ({ replicas = 1, servingCaPem, ...config }, options) => {
      const log = logger.child({ shoot: config.name });
      const auditLog = audit?.(config.name);
      const startOne = async (index: number | undefined, port: number) => {
        const server = await startShootApiServer({
          ...config,
          ...(index === undefined ? options : {}),
          port,
          nodeTunnels: () => nodeTunnels(config.name),
          ...(auditLog
            ? { audit: index ? { ...auditLog, path: replicaAuditPath(auditLog.path, index) } : auditLog }
            : {}),
          ...(index !== undefined ? { advertisedPort: config.port } : {}),
          logger: index !== undefined ? log.child({ replica: index }) : log,
        });
        // The replicas' metrics are served together: each series says whose it is.
        if (index !== undefined) server.server.metrics.setDefaultLabels({ replica: String(index) });
        return server;
      };
      if (replicas <= 1) return startOne(undefined, config.port);
      if (!servingCaPem)
        throw new TypeError(`shoot ${config.name}: replicas need servingCaPem for their health checks`);
      return ApiServerReplicas.start({
        name: config.name,
        host: config.host,
        port: config.port,
        replicas,
        servingCaPem,
        // Replicas always listen (on free ports); a live migration defers the proxy's listener.
        ...(options?.deferListen ? { deferListen: true } : {}),
        start: (index) => startOne(index, 0),
        logger: log,
        ...(faultFile ? { failed: () => failedReplicas(faultFile, config.name) } : {}),
      });
    });
  }

  url(name: string): string | undefined {
    return this.get(name)?.url;
  }

  /** The `/metrics` text of shoot `name`'s API server (its replicas' together, each series with its `replica`); undefined when none runs. */
  async metrics(name: string): Promise<string | undefined> {
    const running = this.get(name);
    if (!running) return undefined;
    // One replica runs as the shoot's server itself (`startOne`), several behind their proxy.
    return running instanceof ApiServerReplicas
      ? running.metrics()
      : (running as ShootApiServer).server.metrics.metrics();
  }
}

/** Each replica writes its own audit log (as each kube-apiserver pod does): `audit.log`, `audit-1.log`, … */
function replicaAuditPath(path: string, index: number): string {
  return path.endsWith('.log') ? `${path.slice(0, -4)}-${index}.log` : `${path}-${index}`;
}

/** The replica indexes of shoot `name` the fault file names now. */
async function failedReplicas(file: string, name: string): Promise<ReadonlySet<number>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const indexes = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`${name}/`))
    .map((line) => Number(line.slice(name.length + 1)));
  return new Set(indexes.filter(Number.isInteger));
}
