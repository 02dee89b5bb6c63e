/**
 * Real stores (in-memory SQLite) of what kube-controller-manager's controllers read and write,
 * with the garbage collector's deletion semantics, for tests that run the whole controller
 * manager in this process: its client, what discovery would say, and a namespace to work in.
 */

import { pino } from 'pino';
import { deploymentResource } from '../../src/api/apps/workloads.js';
import { namespaceResource } from '../../src/api/core/namespace.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import type { InProcessClient } from '../../src/apiserver/in-process-client.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import type { Client } from '../../src/client/client.js';
import {
  type ShootControllerManager,
  startShootControllerManager,
} from '../../src/shoot/controller-manager/controller-manager.js';
import type { CollectableResource } from '../../src/shoot/controller-manager/garbage-collector.js';
import type { Storage } from '../../src/storage/interface.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { preferredBuiltinDefinitions } from './controller-manager-fixture.js';
import { clientPodApi, type PodStandIn, startPodStandIn } from './pod-stand-in.js';
import { until } from './processes.js';
import { storeClient } from './store-client.js';

export interface WorkloadStores {
  storage: Storage;
  client: InProcessClient;
  discover: () => Promise<readonly CollectableResource[]>;
}

/** The stores, with `namespace` created when given. */
export async function workloadStores(namespace?: string): Promise<WorkloadStores> {
  const storage = openSqliteStore({ path: ':memory:' });
  // Every built-in kind: each controller of the manager finds what it reads.
  const definitions = preferredBuiltinDefinitions();
  const client = storeClient(
    definitions.map((def) => new GenericStore(def, storage, new AdmissionChain([]), { garbageCollected: true })),
  );
  const discover = async () =>
    definitions
      .filter((def) => def.plural !== 'events')
      .map((def) => ({ ...def, verbs: ['list', 'watch', 'delete', 'get'] }));
  if (namespace) await client.resource(namespaceResource).create('', { metadata: { name: namespace } });
  return { storage, client, discover };
}

/** Leader election timing short enough for tests. */
export const fastLeaderElection = Object.freeze({ leaseDurationMs: 1_000, renewDeadlineMs: 600, retryPeriodMs: 100 });

const silent = pino({ level: 'silent' });

/** A controller manager over `stores`, as instance `identity`. */
export function startManager(stores: WorkloadStores, identity: string): ShootControllerManager {
  const { client, discover } = stores;
  return startShootControllerManager({ client, discover, identity, logger: silent, ...fastLeaderElection });
}

/**
 * Stops `manager` and starts another instance over the same stores (a restart, or the control
 * plane moved); resolves once the new one has led for `settleMs`, time to act on everything.
 */
export async function restartManager(
  stores: WorkloadStores,
  manager: ShootControllerManager,
  identity: string,
  settleMs = 2_000,
): Promise<ShootControllerManager> {
  await manager.stop();
  const next = startManager(stores, identity);
  await until(async () => next.leading, 10_000, 'the new instance leads');
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  return next;
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
 * `namespace` over the stores: what a test file starts before its tests and stops after them.
 */
export class ControllerManagerRun {
  /** While true the stand-in kubelet leaves pods as they are. */
  kubeletPaused: boolean;
  readonly #stores: WorkloadStores;
  #manager: ShootControllerManager;
  readonly #kubelet: PodStandIn;

  constructor(stores: WorkloadStores, namespace: string, options: { kubeletPaused?: boolean } = {}) {
    this.#stores = stores;
    this.kubeletPaused = options.kubeletPaused ?? false;
    this.#manager = startManager(stores, 'seed-a_1');
    this.#kubelet = startPodStandIn(clientPodApi(stores.client), namespace, {
      intervalMs: 100,
      paused: () => this.kubeletPaused,
    });
  }

  /** Another instance takes over (see `restartManager`). */
  async restart(identity = 'seed-b_2'): Promise<void> {
    this.#manager = await restartManager(this.#stores, this.#manager, identity);
  }

  async stop(): Promise<void> {
    this.#kubelet.stop();
    await this.#manager.stop();
    await this.#stores.storage.close();
  }
}
