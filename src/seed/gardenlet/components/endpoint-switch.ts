/**
 * The shoot's endpoint in a live migration (docs/live-migration.md "The endpoint"): where clients
 * reach the API server moves from the source's server to the destination's, both serving the one
 * etcd cluster, so a client that reconnects finds the same data and the same revisions.
 *
 * - On one host (the stable address): the destination writes `SwitchingEndpoint` (the point of no
 *   return) and tries to bind the address every few ms; the source, seeing it, stops listening;
 *   the destination binds within milliseconds and writes `EndpointSwitched`; the source then
 *   stops its controllers and then its API server, closing every connection it still serves, so
 *   clients reconnect at once, to the destination.
 * - With an internal domain each seed has its own address: the destination listens on its own,
 *   points the shoot's DNS record there, and the source closes its connections after that.
 */
import type { DNSRecord } from '../../../api/extensions/dns-record.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import type { ComponentContext } from './context.js';
import type { Extension } from './extension.js';
import type { KubeApiServer } from './kube-apiserver.js';
import type { LiveMigrationProgress } from './live-migration.js';

export class EndpointSwitch {
  readonly #c: ComponentContext;
  readonly #kubeApiServer: KubeApiServer;
  readonly #progress: LiveMigrationProgress;
  readonly #dnsRecord: Extension<DNSRecord>;

  constructor(
    c: ComponentContext,
    deps: { kubeApiServer: KubeApiServer; progress: LiveMigrationProgress; dnsRecord: Extension<DNSRecord> },
  ) {
    this.#c = c;
    this.#kubeApiServer = deps.kubeApiServer;
    this.#progress = deps.progress;
    this.#dnsRecord = deps.dnsRecord;
  }

  /**
   * Destination: "Deploying Kubernetes API server on the joint etcd cluster": this seed's API
   * server serves from this seed's members, not reachable by clients yet; then `DestinationServing`.
   */
  async serveUnexposed(ctx: TaskContext): Promise<void> {
    if (!(await this.#progress.reached('EndpointSwitched'))) await this.#kubeApiServer.deployUnexposed(ctx);
    else await this.#kubeApiServer.deploy(ctx);
    await this.#progress.advance('DestinationServing');
  }

  /**
   * Source: "Deploying Kubernetes API server" of the live Migrate: after a restart of this seed the
   * control plane serves here again, unless the destination has taken the shoot's address over
   * meanwhile (the flow was built before it wrote `SwitchingEndpoint`). On one host that shows as
   * this bind's `EADDRINUSE`; the destination binds only after writing `SwitchingEndpoint`, so the
   * record read after the refusal says whether it holds the address (nothing to serve here: the
   * flow goes on to release what is left) or something else does (an error, as before).
   */
  async serveUntilReleased(ctx: TaskContext): Promise<void> {
    try {
      await this.#kubeApiServer.deploy(ctx);
    } catch (err) {
      if (!addressInUse(err) || !(await this.#progress.reached('SwitchingEndpoint'))) throw err;
      ctx.log('The destination seed holds the endpoint already: not serving here', {}, 'info');
    }
  }

  /**
   * Destination: "Switching the shoot's endpoint to this seed". `SwitchingEndpoint` first (the
   * source's cue to let go of the address), then the address (tried again until the wait
   * timeout) or the DNS record, then `EndpointSwitched`.
   */
  async takeOver(ctx: TaskContext): Promise<void> {
    await this.#progress.advance('SwitchingEndpoint');
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(this.#c.waitTimeoutMs)]);
    await this.#kubeApiServer.expose({ ...ctx, signal });
    if (this.#c.internalDomain) {
      await this.#dnsRecord.deploy(ctx);
      await this.#dnsRecord.wait(ctx);
    }
    await this.#progress.advance('EndpointSwitched');
  }

  /**
   * Source: "Releasing the shoot's endpoint to the destination seed", once the destination is
   * trying to bind (`SwitchingEndpoint`) and this seed's controllers have stopped: stop listening
   * (on one host: the address becomes free); returns once the destination serves. The
   * connections open here are still served (by the same etcd cluster) until "Deleting
   * kube-apiserver deployment" closes them.
   */
  async release(ctx: TaskContext): Promise<void> {
    await this.#progress.waitFor(ctx, 'SwitchingEndpoint');
    if (!this.#c.internalDomain) this.#kubeApiServer.stopListening();
    await this.#progress.waitFor(ctx, 'EndpointSwitched');
  }
}

/** A listen refused because the address is taken (the error itself, or the cause it wraps). */
function addressInUse(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return true;
  }
  return false;
}
