/**
 * The shoot's kube-apiserver, run by this seed in its own process (src/seed/runtime/) on the
 * shoot's bind address (its pool address or stable loopback address, src/seed/gardenlet/shoot-endpoint.ts), with the shoot's CAs, keys and static token, on etcd-main (every member's
 * client URL). Its serving certificate names this seed (src/shoot/serving-seed.ts). A highly
 * available shoot's are 2 replicas behind its endpoint (src/seed/runtime/apiserver-replicas.ts).
 */
import { shootFailureTolerance } from '../../../api/core-gardener/shoot.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import { clientCaBundle } from '../../../shoot/credentials-rotation.js';
import type { ShootSecrets } from '../../../shoot/shoot-secrets.js';
import type { ReleaseReads } from '../../../storage/etcd/read-gate.js';
import type { ApiServerConfig, ApiServerRuntime } from '../../runtime/apiserver-runtime.js';
import type { ShootApiProbe, ShootApiProbes } from '../shoot-api-probe.js';
import type { ComponentContext } from './context.js';
import type { EtcdMain } from './etcd.js';
import type { DeployWaiter } from './interfaces.js';
import type { SecretsManager } from './secrets.js';
import { NotYetError, waitUntil } from './wait.js';

/** kube-apiserver replicas of a highly available shoot, as Gardener's. */
export const HA_KUBE_APISERVER_REPLICAS = 2;

export class KubeApiServer implements DeployWaiter {
  readonly #c: ComponentContext;
  readonly #runtime: ApiServerRuntime;
  readonly #probes: ShootApiProbes;
  readonly #secrets: SecretsManager;
  readonly #etcd: EtcdMain;
  readonly #nodeMonitorGracePeriodMs: number | undefined;

  constructor(
    c: ComponentContext,
    deps: {
      runtime: ApiServerRuntime;
      probes: ShootApiProbes;
      secrets: SecretsManager;
      etcd: EtcdMain;
      nodeMonitorGracePeriodMs?: number;
    },
  ) {
    this.#c = c;
    this.#runtime = deps.runtime;
    this.#probes = deps.probes;
    this.#secrets = deps.secrets;
    this.#etcd = deps.etcd;
    this.#nodeMonitorGracePeriodMs = deps.nodeMonitorGracePeriodMs;
  }

  /**
   * "Deploying Kubernetes API server": starts it, or leaves a running one with this configuration
   * alone; one a live migration started unexposed listens from now on.
   */
  async deploy(ctx: TaskContext): Promise<void> {
    await this.#runtime.ensure(await this.#config(ctx));
    await this.#runtime.get(this.#c.namespace)?.expose({ signal: ctx.signal });
  }

  /**
   * "Deploying Kubernetes API server on the joint etcd cluster" (a live migration's destination):
   * serving from this seed's etcd members, not listening yet — the source still holds the
   * shoot's address (`EndpointSwitch.takeOver` binds it).
   */
  async deployUnexposed(ctx: TaskContext): Promise<void> {
    await this.#runtime.ensure(await this.#config(ctx), { deferListen: true });
  }

  /** It runs and listens on the shoot's address. */
  get exposed(): boolean {
    return this.#runtime.get(this.#c.namespace)?.exposed === true;
  }

  /** Binds the shoot's address, trying again every few ms while the source still holds it (until `ctx` ends). */
  async expose(ctx: TaskContext): Promise<void> {
    const server = this.#runtime.get(this.#c.namespace);
    if (!server) throw new Error(`the Kubernetes API server of ${this.#c.namespace} is not running`);
    await server.expose({ signal: ctx.signal });
  }

  /** Stops accepting connections on the shoot's address; the open ones are served until `destroy`. */
  stopListening(): void {
    this.#runtime.get(this.#c.namespace)?.stopListening();
  }

  /** Keeps the server's etcd reads back until the release (read-gate.ts); nothing to hold when none runs. */
  async holdEtcdReads(): Promise<ReleaseReads> {
    return (await this.#runtime.get(this.#c.namespace)?.holdEtcdReads()) ?? (() => {});
  }

  async #config(ctx: TaskContext): Promise<ApiServerConfig> {
    const secrets = this.#secrets.current;
    const etcdUrls = await this.#etcd.clientUrls(ctx);
    const etcdClient = await this.#secrets.data('etcd-client-tls');
    const serving = await this.#secrets.servingCertificate('kube-apiserver-tls');
    return {
      name: this.#c.namespace,
      etcd: {
        endpoints: etcdUrls,
        tls: { caPem: secrets.caEtcd.certPem, certPem: etcdClient['tls.crt']!, keyPem: etcdClient['tls.key']! },
      },
      serving,
      ...(this.replicas > 1 ? { replicas: this.replicas, servingCaPem: secrets.ca.certPem } : {}),
      clientCaPem: clientCaBundle(secrets),
      staticToken: secrets.staticToken,
      encryptionKeyBase64: secrets.etcdEncryptionKey,
      host: this.#c.endpoint.bindAddress,
      port: this.#c.endpoint.apiPort,
      ...(this.#c.shoot.spec.kubernetes?.version ? { kubernetesVersion: this.#c.shoot.spec.kubernetes.version } : {}),
      ...(this.#nodeMonitorGracePeriodMs !== undefined
        ? { nodeMonitorGracePeriodMs: this.#nodeMonitorGracePeriodMs }
        : {}),
    };
  }

  /** 2 behind the endpoint for a highly available shoot (Gardener's), else 1 on it. */
  get replicas(): number {
    return shootFailureTolerance(this.#c.shoot) ? HA_KUBE_APISERVER_REPLICAS : 1;
  }

  /** "Waiting until Kubernetes API server rolled out". */
  async wait(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (!this.running) throw new NotYetError('the Kubernetes API server is not running');
    });
  }

  /** "Deleting kube-apiserver deployment" / "Deleting Kubernetes API server": from then on its address refuses connections. */
  async destroy(_ctx: TaskContext): Promise<void> {
    await this.#runtime.stop(this.#c.namespace);
    this.#probes.forget(this.#c.namespace);
  }

  /** "Waiting until kube-apiserver has been deleted". */
  async waitCleanup(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (this.running) throw new NotYetError('the Kubernetes API server is still running');
    });
  }

  /** The gardenlet's look into the API server through the shoot's endpoint, with `secrets`' CA and token. */
  probe(secrets: ShootSecrets): ShootApiProbe {
    return this.#probes.probe(this.#c.namespace, this.#c.endpoint, secrets);
  }

  get running(): boolean {
    return this.#runtime.has(this.#c.namespace);
  }

  /** When the running API server started (ms since the epoch): a node that renewed its Lease since has reached it. */
  get startedAt(): number | undefined {
    return this.#runtime.startedAt(this.#c.namespace);
  }
}
