/**
 * The garden's seed authorization, assembled: the SeedGraph, the feed keeping it in line with the
 * store, the SeedAuthorizer deciding from it, and the SeedRestriction admission plugin
 * (docs/security.md, "Seed authorization").
 */
import type { Logger } from 'pino';
import { backupBucketResource } from '../api/core-gardener/backup-bucket.js';
import { backupEntryResource } from '../api/core-gardener/backup-entry.js';
import { shootResource } from '../api/core-gardener/shoot.js';
import type { Client } from '../client/client.js';
import type { Storage } from '../storage/interface.js';
import { SeedRestriction } from './admission/seed-restriction.js';
import { GraphFeed } from './authorizer/graph-feed.js';
import { SeedAuthorizer } from './authorizer/seed-authorizer.js';
import { SeedGraph } from './authorizer/seed-graph.js';

export class SeedAuthorization {
  readonly graph = new SeedGraph();
  readonly authorizer: SeedAuthorizer;
  readonly #logger: Logger;
  #feed: GraphFeed | undefined;
  readonly #started: Promise<GraphFeed>;
  #start!: (feed: GraphFeed) => void;

  constructor(logger: Logger) {
    this.#logger = logger;
    this.#started = new Promise((resolve) => {
      this.#start = resolve;
    });
    // The authorizer exists before the server (and its store) does; it waits for the feed.
    this.authorizer = new SeedAuthorizer({
      graph: this.graph,
      feed: {
        synced: async () => (await this.#started).synced(),
        caughtUp: async (timeoutMs) => (await this.#started).caughtUp(timeoutMs),
      },
    });
  }

  /** Follows the garden's store from now on. */
  start(storage: Storage): void {
    this.#feed = new GraphFeed({ storage, graph: this.graph, logger: this.#logger });
    this.#feed.start();
    this.#start(this.#feed);
  }

  stop(): void {
    this.#feed?.stop();
  }
}

/** SeedRestriction reading through the garden's in-process client. */
export function seedRestriction(client: Client): SeedRestriction {
  return new SeedRestriction({
    getBackupBucket: (name) => client.resource(backupBucketResource).find('', name),
    getBackupEntry: (namespace, name) => client.resource(backupEntryResource).find(namespace, name),
    getShoot: (namespace, name) => client.resource(shootResource).find(namespace, name),
  });
}
