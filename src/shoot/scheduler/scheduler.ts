/**
 * kube-scheduler's scheduling loop as a level-triggered controller of Pods: a pending pod for
 * `default-scheduler` (no `spec.nodeName`, not being deleted) is bound, through `pods/binding`, to
 * the node `schedulePod` picks among the nodes and the pods the shared informers hold; one that
 * fits nowhere gets PodScheduled=False (Unschedulable) with kube-scheduler's message and a
 * FailedScheduling event, and is looked at again whenever a node changes or a pod on a node goes
 * away (and every minute).
 *
 * One pod at a time, as kube-scheduler's scheduling cycle: a pod is "assumed" on its node before
 * it is bound and until the cache shows it bound, so the next decision counts its requests there.
 * A pod is never bound twice: the reconciles of a pod never overlap, and the binding subresource
 * refuses a pod already on a node with a 409, which here means "done" — also after a restart, when
 * the binding went through but its answer was lost.
 */

import type { Logger } from 'pino';
import { nodeResource } from '../../api/core/node.js';
import { podResource } from '../../api/core/pod.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import { isRecord, type KubeObject, nowTimestamp } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { Controller, keyOf, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import type { EventRecorder } from '../../controller/event-recorder.js';
import type { Lister, SharedInformerFactory } from '../../controller/shared-informers.js';
import { type NodeWithPods, schedulePod } from './schedule.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Binds a pod to a node (`POST pods/<name>/binding`); a 409 when the pod is on a node already. */
export type Binder = (pod: KubeObject, node: string) => Promise<void>;

/** How often an unschedulable pod is tried again without any change (kube-scheduler flushes them after 5 min). */
const UNSCHEDULABLE_RETRY_MS = 60_000;

export interface SchedulerDeps {
  client: Client;
  informers: SharedInformerFactory;
  bind: Binder;
  events: EventRecorder;
  logger: Logger;
}

function spec(pod: KubeObject): Record<string, unknown> {
  return isRecord(pod.spec) ? pod.spec : {};
}

function phase(pod: KubeObject): unknown {
  return isRecord(pod.status) ? pod.status.phase : undefined;
}

/**
 * A pod this scheduler is to place: for default-scheduler, on no node, not held back by
 * scheduling gates, not being deleted, not finished.
 */
export function awaitsScheduling(pod: KubeObject): boolean {
  const name = spec(pod).schedulerName;
  const gates = spec(pod).schedulingGates;
  return (
    (name === undefined || name === '' || name === DEFAULT_SCHEDULER_NAME) &&
    !spec(pod).nodeName &&
    !(Array.isArray(gates) && gates.length > 0) &&
    !pod.metadata.deletionTimestamp &&
    phase(pod) !== 'Succeeded' &&
    phase(pod) !== 'Failed'
  );
}

function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

function scheduledCondition(pod: KubeObject): Record<string, unknown> | undefined {
  const conditions = isRecord(pod.status) && Array.isArray(pod.status.conditions) ? pod.status.conditions : [];
  return conditions.filter(isRecord).find((c) => c.type === 'PodScheduled');
}

export class SchedulerReconciler implements Reconciler {
  readonly #deps: SchedulerDeps;
  readonly #pods: Lister;
  readonly #nodes: Lister;
  /** Pods bound by this scheduler that the cache does not show bound yet: key → node. */
  readonly #assumed = new Map<string, string>();
  /** The scheduling cycle runs for one pod at a time, so each decision sees the ones before it. */
  #cycle: Promise<unknown> = Promise.resolve();

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#pods = deps.informers.lister(podResource);
    this.#nodes = deps.informers.lister(nodeResource);
  }

  reconcile(key: ObjectKey): Promise<Result> {
    const run = this.#cycle.then(() => this.#scheduleOne(key));
    this.#cycle = run.catch(() => undefined);
    return run;
  }

  async #scheduleOne(key: ObjectKey): Promise<Result> {
    await this.#deps.informers.syncedAll([podResource, nodeResource]);
    const id = `${key.namespace}/${key.name}`;
    const pod = this.#pods.get(key.namespace, key.name);
    if (!pod || !awaitsScheduling(pod)) {
      this.#assumed.delete(id);
      return {};
    }
    if (this.#assumed.has(id)) return {};
    const result = schedulePod(pod, this.#nodesWithPods());
    if ('node' in result) {
      await this.#bind(pod, result.node);
      return {};
    }
    await this.#reportUnschedulable(pod, result.unschedulable);
    return { requeueAfterMs: UNSCHEDULABLE_RETRY_MS };
  }

  /** Every node with the pods that occupy it: bound ones not finished, and the assumed. */
  #nodesWithPods(): NodeWithPods[] {
    const byNode = new Map<string, KubeObject[]>();
    for (const pod of this.#pods.list()) {
      const node = (spec(pod).nodeName as string | undefined) || this.#assumed.get(podKey(pod));
      if (!node || phase(pod) === 'Succeeded' || phase(pod) === 'Failed') continue;
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    return this.#nodes
      .list()
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
      .map((node) => ({ node, pods: byNode.get(node.metadata.name ?? '') ?? [] }));
  }

  /** Assumes the pod on the node (the next decisions count it there), then binds it. */
  async #bind(pod: KubeObject, node: string): Promise<void> {
    this.#assumed.set(podKey(pod), node);
    try {
      await this.#deps.bind(pod, node);
    } catch (err) {
      // Bound already (by an attempt whose answer was lost): it stays where it is, assumed until
      // the cache shows it. Gone, or a failure to retry: it is on no node.
      if (isConflict(err)) return;
      this.#assumed.delete(podKey(pod));
      if (isNotFound(err)) return;
      throw err;
    }
    this.#deps.logger.info({ pod: podKey(pod), node }, 'bound the pod');
    await this.#deps.events.record(pod, {
      type: 'Normal',
      reason: 'Scheduled',
      message: `Successfully assigned ${podKey(pod)} to ${node}`,
    });
  }

  /** PodScheduled=False with the message, and a FailedScheduling event, when the message is news. */
  async #reportUnschedulable(pod: KubeObject, message: string): Promise<void> {
    const current = scheduledCondition(pod);
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message) return;
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: current?.status === 'False' ? current.lastTransitionTime : nowTimestamp(),
      reason: 'Unschedulable',
      message,
    };
    try {
      await this.#deps.client
        .resource(podResource)
        .patch(
          pod.metadata.namespace ?? '',
          pod.metadata.name ?? '',
          { metadata: { uid: pod.metadata.uid }, status: { conditions: [condition] } },
          { subresource: 'status', type: 'strategic' },
        );
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await this.#deps.events.record(pod, { type: 'Warning', reason: 'FailedScheduling', message });
  }
}

/** The scheduler's controller: pods, and the changes that may make room for a pod that did not fit. */
export function schedulerController(deps: SchedulerDeps): Controller {
  const pods = deps.informers.lister(podResource);
  const pending = (): ObjectKey[] => pods.list().filter(awaitsScheduling).map(keyOf);
  return new Controller({
    name: 'scheduler',
    source: deps.informers.source(podResource),
    watches: [
      { source: deps.informers.source(nodeResource), map: pending },
      {
        source: deps.informers.source(podResource),
        // A pod on a node finishing or going away leaves room (its deletion passes through both).
        map: (pod) =>
          spec(pod).nodeName &&
          (pod.metadata.deletionTimestamp || phase(pod) === 'Succeeded' || phase(pod) === 'Failed')
            ? pending()
            : [],
      },
    ],
    reconciler: new SchedulerReconciler(deps),
    logger: deps.logger,
  });
}
