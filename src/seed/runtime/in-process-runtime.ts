/**
 * Control-plane components a seed runs in its own process, one per hosted shoot (they share its
 * memory): the shoots' kube-apiservers and vpn-seed-servers. A seed restart loses them; the
 * gardenlet's next reconcile starts them again on the same address. `ensure` is idempotent; a
 * changed configuration restarts the component.
 */
import { createHash } from 'node:crypto';

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * `StartOptions` are how a component starts, not what it is: they are not part of the
 * configuration whose change restarts it (a live migration's API server starts unexposed and
 * is the same server once it listens).
 */
export class InProcessRuntime<Config extends { name: string }, Running extends Stoppable, StartOptions = undefined> {
  readonly #start: (config: Config, options?: StartOptions) => Promise<Running>;
  readonly #running = new Map<string, { component: Running; fingerprint: string; startedAt: number }>();
  readonly #starting = new Map<string, Promise<void>>();
  /** When each shoot's component was last stopped (ms since the epoch), until it starts again. */
  readonly #stoppedAt = new Map<string, number>();

  constructor(start: (config: Config, options?: StartOptions) => Promise<Running>) {
    this.#start = start;
  }

  /** The shoots whose component runs now. */
  names(): string[] {
    return [...this.#running.keys()];
  }

  has(name: string): boolean {
    return this.#running.has(name);
  }

  get(name: string): Running | undefined {
    return this.#running.get(name)?.component;
  }

  /** When the shoot's running component started (ms since the epoch). */
  startedAt(name: string): number | undefined {
    return this.#running.get(name)?.startedAt;
  }

  /** When the shoot's component was last stopped (ms since the epoch); undefined once it runs again. */
  stoppedAt(name: string): number | undefined {
    return this.#stoppedAt.get(name);
  }

  /** Starts the shoot's component unless it already runs with this configuration. */
  async ensure(config: Config, options?: StartOptions): Promise<void> {
    const pending = this.#starting.get(config.name);
    if (pending) await pending;
    const fingerprint = createHash('sha256').update(JSON.stringify(config)).digest('hex');
    const current = this.#running.get(config.name);
    if (current?.fingerprint === fingerprint) return;
    const start = (async () => {
      if (current) await this.stop(config.name);
      const component = await this.#start(config, options);
      this.#running.set(config.name, { component, fingerprint, startedAt: Date.now() });
      this.#stoppedAt.delete(config.name);
    })();
    this.#starting.set(config.name, start);
    try {
      await start;
    } finally {
      this.#starting.delete(config.name);
    }
  }

  /** Stops the shoot's component; from then on its address refuses connections. */
  async stop(name: string): Promise<void> {
    const running = this.#running.get(name);
    if (!running) return;
    this.#running.delete(name);
    // From now on new connections are refused: what a client sees as the start of the downtime.
    this.#stoppedAt.set(name, Date.now());
    await running.component.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((name) => this.stop(name)));
  }
}
