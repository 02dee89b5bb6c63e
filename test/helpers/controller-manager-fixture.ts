/**
 * A shoot's kube-controller-manager over in-memory stores of the built-in kinds, for tests of its
 * controllers: the stores (garbage collected, as a shoot's), a client of them, what discovery
 * would say of them, and a way to start controller managers that win the Lease quickly. No
 * scheduler or kubelet runs: tests play them (`runPod`), as the e2e helper does through the API.
 */

import { pino } from 'pino';
import { podResource } from '../../src/api/core/pod.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import type { InProcessClient } from '../../src/apiserver/in-process-client.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import type { ResourceDefinition } from '../../src/apiserver/types.js';
import { builtinDefinitions } from '../../src/registry/builtin/index.js';
import {
  type ShootControllerManager,
  startShootControllerManager,
} from '../../src/shoot/controller-manager/controller-manager.js';
import type { CollectableResource } from '../../src/shoot/controller-manager/garbage-collector.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
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

export interface ControllerManagerFixture {
  client: InProcessClient;
  /** What discovery says of the stores. */
  discover(): Promise<CollectableResource[]>;
  /** Starts an instance with identity `identity`; stopped by `close()`. */
  start(identity: string): ShootControllerManager;
  close(): Promise<void>;
}

/**
 * Stores of every built-in resource (in its preferred version, as discovery lists it), so that
 * each controller finds what it reads.
 */
export function controllerManagerFixture(): ControllerManagerFixture {
  const storage: SqliteStore = openSqliteStore({ path: ':memory:' });
  const definitions = preferredBuiltinDefinitions();
  const client = storeClient(
    definitions.map((def) => new GenericStore(def, storage, new AdmissionChain([]), { garbageCollected: true })),
  );
  const discover = async (): Promise<CollectableResource[]> =>
    definitions.map((def) => ({ ...def, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const managers: ShootControllerManager[] = [];
  return {
    client,
    discover,
    start(identity) {
      const manager = startShootControllerManager({
        client,
        discover,
        identity,
        logger,
        leaseDurationMs: 1_000,
        renewDeadlineMs: 600,
        retryPeriodMs: 100,
      });
      managers.push(manager);
      return manager;
    },
    async close() {
      for (const manager of managers) await manager.stop();
      await storage.close();
    },
  };
}

/**
 * What a kubelet would write of a pod: Running with `podIP`, Ready (or not), or — with `phase`
 * Succeeded or Failed — finished. (Binding goes through pods/binding, which bare stores do not
 * serve: tests create pods with a `nodeName` where it matters.)
 */
export async function runPod(
  client: InProcessClient,
  pod: KubeObject,
  status: { podIP?: string; ready?: boolean; phase?: 'Running' | 'Succeeded' | 'Failed' },
): Promise<KubeObject> {
  const pods = client.resource(podResource);
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const now = new Date().toISOString();
  const phase = status.phase ?? 'Running';
  const ready = phase === 'Running' && (status.ready ?? true);
  const bound = await pods.get(namespace, name);
  return pods.update(
    namespace,
    {
      ...bound,
      status: {
        ...((bound.status ?? {}) as object),
        phase,
        ...(status.podIP ? { podIP: status.podIP, podIPs: [{ ip: status.podIP }] } : {}),
        startTime: now,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
        ],
      },
    },
    { subresource: 'status' },
  );
}
