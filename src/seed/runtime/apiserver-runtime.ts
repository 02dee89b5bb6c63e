/**
 * Runs the kube-apiservers of the shoots a seed hosts, in this process (they share its memory).
 * A seed restart loses them; the gardenlet's next reconcile starts them again on the same
 * address. `ensure` is idempotent; a changed configuration restarts the server.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { type ShootApiServerOptions, startShootApiServer } from '../../shoot/kube-apiserver.js';

type RunningServer = Awaited<ReturnType<typeof startShootApiServer>>;

export type ApiServerConfig = Omit<ShootApiServerOptions, 'logger'>;

export class ApiServerRuntime {
  readonly #logger: Logger;
  readonly #running = new Map<string, { server: RunningServer; fingerprint: string; startedAt: number }>();
  readonly #starting = new Map<string, Promise<void>>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  has(name: string): boolean {
    return this.#running.has(name);
  }

  url(name: string): string | undefined {
    return this.#running.get(name)?.server.url;
  }

  /** When the shoot's running API server started serving (ms since the epoch). */
  startedAt(name: string): number | undefined {
    return this.#running.get(name)?.startedAt;
  }

  /** Starts the shoot's API server unless it already runs with this configuration. */
  async ensure(config: ApiServerConfig): Promise<void> {
    const pending = this.#starting.get(config.name);
    if (pending) await pending;
    const fingerprint = createHash('sha256').update(JSON.stringify(config)).digest('hex');
    const current = this.#running.get(config.name);
    if (current?.fingerprint === fingerprint) return;
    const start = (async () => {
      if (current) await this.stop(config.name);
      const server = await startShootApiServer({ ...config, logger: this.#logger.child({ shoot: config.name }) });
      this.#running.set(config.name, { server, fingerprint, startedAt: Date.now() });
    })();
    this.#starting.set(config.name, start);
    try {
      await start;
    } finally {
      this.#starting.delete(config.name);
    }
  }

  /** Stops the shoot's API server; from then on its address refuses connections. */
  async stop(name: string): Promise<void> {
    const running = this.#running.get(name);
    if (!running) return;
    this.#running.delete(name);
    await running.server.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((name) => this.stop(name)));
  }
}
