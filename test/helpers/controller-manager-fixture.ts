/**
 * A shoot's kube-controller-manager over in-memory stores of every built-in kind, for tests of its
 * controllers: the stores (in-memory SQLite, garbage collected as a shoot's), a client of them,
 * what discovery would say of them, and controller managers that win the Lease quickly. No
 * scheduler or node agent runs: tests play them with the stand-in of ./pod-stand-in.ts
 * (`ControllerManagerRun` starts it next to a controller manager, `runPod` sets one pod's status).
 */

import { pino } from 'pino';
import { deploymentResource } from '../../src/api/apps/workloads.js';
import { namespaceResource } from '../../src/api/core/namespace.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import type { InProcessClient } from '../../src/apiserver/in-process-client.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import type { ResourceDefinition } from '../../src/apiserver/types.js';
import type { Client } from '../../src/client/client.js';
import { builtinDefinitions } from '../../src/registry/builtin/index.js';
import {
  type ShootControllerManager,
  startShootControllerManager,
} from '../../src/shoot/controller-manager/controller-manager.js';
import type { CollectableResource } from '../../src/shoot/controller-manager/garbage-collector.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { type PodStandIn, startPodStandIn } from './pod-stand-in.js';
import { until } from './processes.js';
import { storeClient } from './store-client.js';

/** Every built-in resource's definition in its preferred version (the first listed), as discovery lists them. */
export function preferredBuiltinDefinitions(): ResourceDefinition[] {
  const seen = new Set<string>();
  return builtinDefinitions.filter((def) => {
    const key = `${def.group}/${def.plural}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Leader election timing short enough for tests. */
export const fastLeaderElection = Object.freeze({ leaseDurationMs: 1_000, renewDeadlineMs: 600, retryPeriodMs: 100 });

export interface ControllerManagerFixture {
  storage: SqliteStore;
  client: InProcessClient;
  /** What discovery says of the stores. */
  discover(): Promise<CollectableResource[]>;
  /** Starts an instance with identity `identity`; stopped by `close()`. */
  start(identity: string): ShootControllerManager;
  /**
   * Stops `manager` and starts another instance (a restart, or the control plane moved); resolves
   * once the new one has led for `settleMs`, time to act on everything.
   */
  restart(manager: ShootControllerManager, identity: string, settleMs?: number): Promise<ShootControllerManager>;
  /** Stops every instance started, then closes the stores. */
  close(): Promise<void>;
}

/**
 * Stores of every built-in resource (in its preferred version, as discovery lists it), so that
 * each controller finds what it reads; with `namespace` created when given.
 */
export async function controllerManagerFixture(namespace?: string): Promise<ControllerManagerFixture> {
  const storage: SqliteStore = openSqliteStore({ path: ':memory:' });
  const definitions = preferredBuiltinDefinitions();
  const client = storeClient(
    definitions.map((def) => new GenericStore(def, storage, new AdmissionChain([]), { garbageCollected: true })),
  );
  const discover = async (): Promise<CollectableResource[]> =>
    definitions.map((def) => ({ ...def, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const managers = new Set<ShootControllerManager>();
  const start = (identity: string) => {
    const manager = startShootControllerManager({ client, discover, identity, logger, ...fastLeaderElection });
    managers.add(manager);
    return manager;
  };
  if (namespace) await client.resource(namespaceResource).create('', { metadata: { name: namespace } });
  return {
    storage,
    client,
    discover,
    start,
    async restart(manager, identity, settleMs = 2_000) {
      await manager.stop();
      managers.delete(manager);
      const next = start(identity);
      await until(async () => next.leading, 10_000, 'the new instance leads');
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      return next;
    },
    async close() {
      for (const manager of managers) await manager.stop();
      await storage.close();
    },
  };
}

/** The resourceVersion of every object listed, by kind and name: equal snapshots mean nothing was written. */
export async function versions(lists: readonly Promise<{ items: KubeObject[] }>[]): Promise<Record<string, string>> {
  const items = (await Promise.all(lists)).flatMap((list) => list.items);
  return Object.fromEntries(items.map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion ?? '']));
}

/** Whether `obj` is controlled by `owner` (its controller reference names the owner's uid). */
export const ownedBy =
  (owner: KubeObject) =>
  (obj: KubeObject): boolean =>
    obj.metadata.ownerReferences?.some((ref) => ref.controller && ref.uid === owner.metadata.uid) ?? false;

/** `kubectl rollout status`'s test of a Deployment: the latest spec observed, every replica updated and available. */
export async function deploymentRolledOut(client: Client, namespace: string, name: string, replicas: number) {
  const d = await client.resource(deploymentResource).get(namespace, name);
  const status = d.status ?? {};
  return (
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas
  );
}

/**
 * A controller manager (instance `seed-a_1`) and the stand-in kubelet (./pod-stand-in.ts) of
 * `namespace` over the fixture's stores: what a test file starts before its tests and stops after
 * them (closing the fixture).
 */
export class ControllerManagerRun {
  /** While true the stand-in kubelet leaves pods as they are. */
  kubeletPaused: boolean;
  readonly #fixture: ControllerManagerFixture;
  #manager: ShootControllerManager;
  readonly #kubelet: PodStandIn;

  constructor(fixture: ControllerManagerFixture, namespace: string, options: { kubeletPaused?: boolean } = {}) {
    this.#fixture = fixture;
    this.kubeletPaused = options.kubeletPaused ?? false;
    this.#manager = fixture.start('seed-a_1');
    this.#kubelet = startPodStandIn(fixture.client, namespace, {
      intervalMs: 100,
      paused: () => this.kubeletPaused,
    });
  }

  /** Another instance takes over (see `ControllerManagerFixture.restart`). */
  async restart(identity = 'seed-b_2'): Promise<void> {
    this.#manager = await this.#fixture.restart(this.#manager, identity);
  }

  async stop(): Promise<void> {
    this.#kubelet.stop();
    await this.#fixture.close();
  }
}
