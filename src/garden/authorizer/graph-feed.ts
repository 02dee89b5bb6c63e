/**
 * Keeps a SeedGraph in line with the garden's store: it lists the kinds the graph follows, then
 * watches every key of the store from that revision on, so that it knows the store revision it
 * reflects. `caughtUp()` waits until the graph reflects every write committed before it was
 * called: an authorizer asks it before it denies, so that a gardenlet reacting to a binding it
 * has just seen is not refused because the graph had not seen it yet. A broken watch (the store
 * compacted past it, or failed) starts over with a fresh list.
 */
import type { Logger } from 'pino';
import { backupBucketResource } from '../../api/core-gardener/backup-bucket.js';
import { backupEntryResource } from '../../api/core-gardener/backup-entry.js';
import { controllerInstallationResource } from '../../api/core-gardener/controller-installation.js';
import { seedResource } from '../../api/core-gardener/seed.js';
import { shootResource } from '../../api/core-gardener/shoot.js';
import { migrationPreflightResource } from '../../api/migration-transplant/migration-preflight.js';
import type { ResourceRef } from '../../api/resource-ref.js';
import type { Storage, Watcher } from '../../storage/interface.js';
import type { SeedGraph } from './seed-graph.js';

/** The kinds whose objects the graph follows. */
export const graphResources: readonly ResourceRef[] = [
  seedResource,
  shootResource,
  backupBucketResource,
  backupEntryResource,
  controllerInstallationResource,
  migrationPreflightResource,
];

/** Every stored key starts so (`/registry/<plural>/…`, `/registry/<group>/<plural>/…`). */
const registryPrefix = '/registry/';

function keyPrefixOf(ref: ResourceRef): string {
  return ref.group ? `${registryPrefix}${ref.group}/${ref.plural}/` : `${registryPrefix}${ref.plural}/`;
}

const followedPrefixes = graphResources.map(keyPrefixOf);

export interface GraphFeedOptions {
  storage: Storage;
  graph: SeedGraph;
  logger: Logger;
  /** Before starting over after a failure. */
  retryDelayMs?: number;
}

export class GraphFeed {
  readonly #options: GraphFeedOptions;
  #revision = 0;
  #watcher: Watcher | undefined;
  #stopped = false;
  /** When the watch last delivered an event (ms). */
  #lastEventAt = 0;
  readonly #synced: Promise<void>;
  #markSynced!: () => void;

  constructor(options: GraphFeedOptions) {
    this.#options = options;
    this.#synced = new Promise((resolve) => {
      this.#markSynced = resolve;
    });
  }

  /** Starts in the background; `synced()` resolves once the first list is in the graph. */
  start(): void {
    void this.#run();
  }

  synced(): Promise<void> {
    return this.#synced;
  }

  /** The store revision the graph reflects. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * Resolves once the graph reflects every write the store had committed when this was called,
   * or after `timeoutMs` (then the caller decides on what the graph knows). An etcd revision
   * counts the writes of the whole cluster, also those under other prefixes that this watch never
   * sees; so the wait also ends once the watch has been quiet for `quietMs` after the call: every
   * event of the garden's own keys committed before it has arrived by then.
   */
  async caughtUp(timeoutMs: number, quietMs = 100): Promise<void> {
    await this.#synced;
    const called = Date.now();
    const target = await this.#options.storage.currentRevision();
    while (this.#revision < target && !this.#stopped) {
      const now = Date.now();
      if (now - called >= timeoutMs) return;
      if (now - called >= quietMs && now - this.#lastEventAt >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#watcher?.stop();
  }

  async #run(): Promise<void> {
    const { storage, graph, logger } = this.#options;
    while (!this.#stopped) {
      try {
        let from: number | undefined;
        const listed = [];
        for (const prefix of followedPrefixes) {
          const list = await storage.list(prefix);
          listed.push(...list.items);
          // Watching from the first list's revision replays what changed during the later lists.
          from ??= Number(list.resourceVersion);
        }
        // Replaced at once, not cleared before the lists: a relist after a broken watch must not
        // leave the authorizer an empty graph to deny from while the lists are under way.
        graph.clear();
        for (const obj of listed) graph.upsert(obj);
        this.#advance(from ?? 0);
        this.#markSynced();
        this.#watcher = storage.watch(registryPrefix, { resourceVersion: String(from ?? 0) });
        for await (const event of this.#watcher) {
          if (followedPrefixes.some((prefix) => event.key.startsWith(prefix))) {
            if (event.type === 'DELETED') graph.remove(event.object);
            else graph.upsert(event.object);
          }
          this.#lastEventAt = Date.now();
          this.#advance(event.revision);
        }
      } catch (err) {
        if (this.#stopped) return;
        logger.warn({ err: (err as Error).message }, 'seed authorizer graph: watch failed; listing again');
        await new Promise((resolve) => setTimeout(resolve, this.#options.retryDelayMs ?? 500));
      }
    }
  }

  #advance(revision: number): void {
    if (revision > this.#revision) this.#revision = revision;
  }
}
