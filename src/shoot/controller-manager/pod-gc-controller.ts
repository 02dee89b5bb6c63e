/**
 * The pod garbage collector of kube-controller-manager (k8s pkg/controller/podgc), its part about
 * orphaned pods: a pod bound to a node that no longer exists — a machine removed from its pool —
 * would stay Running or Terminating for ever, since no kubelet is left to stop it, and its
 * ReplicaSet would never replace it. Such a pod is deleted with grace period 0, as its node would
 * have done, after a quarantine (Kubernetes' 40 s), and only once the node is gone from the server
 * too, not just from this cache: a cache that has not caught up (after a restart, or on the
 * destination of a migration) must never cost a pod its life.
 */
import { nodeResource } from '../../api/core/node.js';
import { podResource } from '../../api/core/pod.js';
import type { KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { Controller, keyOf, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import type { Lister, SharedInformerFactory } from '../../controller/shared-informers.js';
import type { ControllerContext } from './controller-manager.js';

/** How long a node must have been missing before its pods are deleted (Kubernetes' quarantine). */
export const ORPHAN_QUARANTINE_MS = 40_000;

function nodeNameOf(pod: KubeObject): string | undefined {
  const nodeName = (pod.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof nodeName === 'string' && nodeName !== '' ? nodeName : undefined;
}

export class PodGcReconciler implements Reconciler {
  readonly #client: Client;
  readonly #informers: SharedInformerFactory;
  readonly #pods: Lister;
  readonly #nodes: Lister;
  readonly #quarantineMs: number;
  readonly #now: () => number;
  /** When each node was first seen missing, by name. */
  readonly #missingSince = new Map<string, number>();

  constructor(informers: SharedInformerFactory, client: Client, quarantineMs: number, now: () => number) {
    this.#client = client;
    this.#informers = informers;
    this.#pods = informers.lister(podResource);
    this.#nodes = informers.lister(nodeResource);
    this.#quarantineMs = quarantineMs;
    this.#now = now;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    await this.#informers.syncedAll([podResource, nodeResource]);
    const pod = this.#pods.get(key.namespace, key.name);
    const node = pod && nodeNameOf(pod);
    if (!pod || !node) return {};
    if (this.#nodes.get('', node)) {
      this.#missingSince.delete(node);
      return {};
    }
    const since = this.#missingSince.get(node) ?? this.#now();
    this.#missingSince.set(node, since);
    const left = since + this.#quarantineMs - this.#now();
    if (left > 0) return { requeueAfterMs: left };
    // The cache says gone: the server decides.
    if (await this.#client.resource(nodeResource).find('', node)) return {};
    await this.#client.resource(podResource).deleteIfPresent(key.namespace, key.name, {
      gracePeriodSeconds: 0,
      preconditions: { uid: pod.metadata.uid ?? '' },
    });
    return {};
  }
}

export interface PodGcOptions {
  /** Default 40 s; tests shorten it. */
  quarantineMs?: number;
  now?: () => number;
}

/** The controller: pods, and every pod of a node that went away. */
export function podGcController(
  { client, informers, logger }: ControllerContext,
  options: PodGcOptions = {},
): Controller {
  const pods = informers.lister(podResource);
  const nodes = informers.lister(nodeResource);
  return new Controller({
    name: 'pod-garbage-collector',
    source: informers.source(podResource),
    watches: [
      {
        source: informers.source(nodeResource),
        // Only a node that went away concerns its pods (the shared cache drops it before telling
        // the watches); a node's every heartbeat must not wake all of its pods.
        map: (node) =>
          nodes.get('', node.metadata.name ?? '')
            ? []
            : pods
                .list()
                .filter((pod) => nodeNameOf(pod) === node.metadata.name)
                .map(keyOf),
      },
    ],
    reconciler: new PodGcReconciler(
      informers,
      client,
      options.quarantineMs ?? ORPHAN_QUARANTINE_MS,
      options.now ?? Date.now,
    ),
    logger,
  });
}
