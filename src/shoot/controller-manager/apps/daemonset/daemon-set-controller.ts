/**
 * The DaemonSet controller of kube-controller-manager (pkg/controller/daemon): one pod on every
 * node the template may run on (./node-placement.ts), each pinned to its node by a required
 * node affinity so the scheduler binds it there; pods on nodes that no longer qualify, extra
 * pods and failed pods are deleted. ControllerRevisions keep the template history, pods carry
 * the revision's `controller-revision-hash`; RollingUpdate replaces old pods while at most
 * maxUnavailable nodes lack an available pod. Creates and deletes wait for the cache
 * (src/controller/expectations.ts), as the DaemonSet controller's expectations do.
 */

import {
  type ControllerRevision,
  controllerRevisionResource,
  type DaemonSet,
  daemonSetResource,
} from '../../../../api/apps/workloads.js';
import { nodeResource } from '../../../../api/core/node.js';
import { isPodReady, type Pod, podResource } from '../../../../api/core/pod.js';
import { type Client, ignoreNotFound } from '../../../../client/client.js';
import {
  Controller,
  keyOf,
  type ObjectKey,
  type Reconciler,
  type Result,
  watchOf,
} from '../../../../controller/controller.js';
import { EventRecorder } from '../../../../controller/event-recorder.js';
import { ObjectExpectations } from '../../../../controller/expectations.js';
import type { Lister, SharedInformerFactory } from '../../../../controller/shared-informers.js';
import type { ControllerContext } from '../../controller-manager.js';
import { ownerKeys, writeStatus } from '../claim.js';
import { scaledValue } from '../deployment/replicas.js';
import { CONTROLLER_REVISION_HASH_LABEL, claimPodsAndHistory, truncateHistory } from '../history.js';
import { isPodAvailable, nextAvailableInMs } from '../pods.js';
import { podFromTemplate, slowStartBatch } from '../replica-set-controller.js';
import { type Node, nodeOfPod, pinnedAffinity, shouldRunOn, withDaemonTolerations } from './node-placement.js';

const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

const isTerminating = (pod: Pod) => pod.metadata.deletionTimestamp !== undefined;

/** One node's view: whether the DaemonSet belongs there, and its pods there. */
interface NodePlan {
  node: string;
  shouldRun: boolean;
  pods: Pod[];
}

export class DaemonSetReconciler implements Reconciler {
  readonly #client: Client;
  readonly #informers: SharedInformerFactory;
  readonly #sets: Lister<DaemonSet>;
  readonly #pods: Lister<Pod>;
  readonly #nodes: Lister<Node>;
  readonly #revisions: Lister<ControllerRevision>;
  readonly #expectations: ObjectExpectations;
  readonly #events: EventRecorder;

  constructor({ client, informers, logger }: ControllerContext) {
    this.#client = client;
    this.#informers = informers;
    this.#sets = informers.lister(daemonSetResource);
    this.#pods = informers.lister(podResource);
    this.#nodes = informers.lister(nodeResource) as Lister<Node>;
    this.#revisions = informers.lister(controllerRevisionResource);
    this.#expectations = new ObjectExpectations(this.#pods);
    this.#events = new EventRecorder(client, { component: 'daemonset-controller' }, logger, daemonSetResource);
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    await this.#informers.syncedAll([daemonSetResource, podResource, nodeResource, controllerRevisionResource]);
    const id = `${key.namespace}/${key.name}`;
    const ds = this.#sets.get(key.namespace, key.name);
    if (!ds) {
      this.#expectations.forget(id);
      return {};
    }
    if (ds.metadata.deletionTimestamp) return {};
    const { pods, revisions, revision, collisionCount } = await claimPodsAndHistory(
      this.#client,
      daemonSetResource,
      ds,
      { pods: this.#pods, revisions: this.#revisions },
      CONTROLLER_REVISION_HASH_LABEL,
    );
    const hash = revision.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
    const hashes = new Set(pods.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]));
    const live = new Set(
      [...revisions, revision]
        .filter((r) => r === revision || hashes.has(r.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]))
        .map((r) => r.metadata.name ?? ''),
    );
    await truncateHistory(this.#client, revisions, live, ds.spec?.revisionHistoryLimit ?? 10);

    const plans = this.#plan(ds, pods);
    if (this.#expectations.satisfied(id)) await this.#manage(id, ds, plans, hash);
    const now = new Date();
    await this.#writeStatus(ds, plans, hash, collisionCount, now);
    const wait = nextAvailableInMs(pods, ds.spec?.minReadySeconds ?? 0, now);
    return wait === undefined ? {} : { requeueAfterMs: wait };
  }

  #plan(ds: DaemonSet, pods: readonly Pod[]): NodePlan[] {
    const byNode = new Map<string, Pod[]>();
    for (const pod of pods) {
      const node = nodeOfPod(pod);
      if (node) byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    const plans = this.#nodes.list().map((node) => ({
      node: node.metadata.name ?? '',
      shouldRun: shouldRunOn(ds.spec?.template, node),
      pods: byNode.get(node.metadata.name ?? '') ?? [],
    }));
    // Pods for nodes that are gone.
    const known = new Set(plans.map((p) => p.node));
    for (const [node, onNode] of byNode) if (!known.has(node)) plans.push({ node, shouldRun: false, pods: onNode });
    return plans;
  }

  /** The creates and deletes that bring every node to one pod of the current revision (manage + rollingUpdate). */
  async #manage(id: string, ds: DaemonSet, plans: readonly NodePlan[], hash: string): Promise<void> {
    const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
    const now = new Date();
    const create: string[] = [];
    const remove: Pod[] = [];
    for (const plan of plans) {
      const alive = plan.pods.filter((p) => !isTerminating(p));
      if (!plan.shouldRun) {
        remove.push(...alive);
        continue;
      }
      const failed = alive.filter((p) => p.status?.phase === 'Failed');
      remove.push(...failed);
      const running = alive.filter((p) => p.status?.phase !== 'Failed');
      if (running.length === 0 && failed.length === 0 && plan.pods.length === 0) create.push(plan.node);
      // More than one: keep the oldest, as Kubernetes does.
      const byAge = [...running].sort((a, b) =>
        (a.metadata.creationTimestamp ?? '') < (b.metadata.creationTimestamp ?? '') ? -1 : 1,
      );
      remove.push(...byAge.slice(1));
    }
    if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const desired = plans.filter((p) => p.shouldRun);
      const maxUnavailable = Math.max(
        scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, desired.length, true),
        0,
      );
      const available = (p: NodePlan) =>
        p.pods.some((pod) => !isTerminating(pod) && isPodAvailable(pod, minReadySeconds, now));
      let unavailable = desired.filter((p) => !available(p)).length;
      for (const plan of desired) {
        const old = plan.pods.find(
          (pod) => !isTerminating(pod) && pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== hash,
        );
        if (!old || remove.includes(old)) continue;
        if (!isPodAvailable(old, minReadySeconds, now)) remove.push(old);
        else if (unavailable < maxUnavailable) {
          remove.push(old);
          unavailable++;
        }
      }
    }
    await this.#deletePods(id, ds, remove);
    await this.#createPods(id, ds, create, hash);
  }

  async #deletePods(id: string, ds: DaemonSet, pods: readonly Pod[]): Promise<void> {
    const namespace = ds.metadata.namespace ?? '';
    await Promise.all(
      pods.map(async (pod) => {
        const name = pod.metadata.name ?? '';
        await this.#client
          .resource(podResource)
          .delete(namespace, name, { preconditions: { uid: pod.metadata.uid ?? '' } })
          .catch(ignoreNotFound);
        this.#expectations.deleted(id, namespace, name);
        this.#events.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      }),
    );
  }

  async #createPods(id: string, ds: DaemonSet, nodes: readonly string[], hash: string): Promise<void> {
    const namespace = ds.metadata.namespace ?? '';
    const queue = [...nodes];
    await slowStartBatch(queue.length, async () => {
      const node = queue.shift() ?? '';
      const pod = podFromTemplate(ds.spec?.template ?? {}, ds, daemonSetResource, ds.metadata.name ?? '');
      pod.metadata.labels = {
        ...pod.metadata.labels,
        [CONTROLLER_REVISION_HASH_LABEL]: hash,
        [TEMPLATE_GENERATION_LABEL]: String(ds.metadata.generation ?? 1),
      };
      const spec = pod.spec as Record<string, unknown>;
      spec.affinity = pinnedAffinity(spec.affinity, node);
      spec.tolerations = withDaemonTolerations(spec);
      try {
        const created = await this.#client.resource(podResource).create(namespace, pod);
        this.#expectations.created(id, namespace, created.metadata.name ?? '');
        this.#events.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (err) {
        this.#events.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
        throw err;
      }
    });
  }

  async #writeStatus(
    ds: DaemonSet,
    plans: readonly NodePlan[],
    hash: string,
    collisionCount: number | undefined,
    now: Date,
  ): Promise<void> {
    const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
    const desired = plans.filter((p) => p.shouldRun);
    const scheduled = desired.filter((p) => p.pods.length > 0);
    const withPod = (test: (pod: Pod) => boolean) => scheduled.filter((p) => p.pods.some(test)).length;
    const numberAvailable = withPod((pod) => isPodAvailable(pod, minReadySeconds, now));
    const status = {
      ...ds.status,
      observedGeneration: ds.metadata.generation ?? 0,
      desiredNumberScheduled: desired.length,
      currentNumberScheduled: scheduled.length,
      numberMisscheduled: plans.filter((p) => !p.shouldRun && p.pods.some((pod) => !isTerminating(pod))).length,
      numberReady: withPod(isPodReady),
      numberAvailable,
      numberUnavailable: desired.length - numberAvailable,
      updatedNumberScheduled: withPod((pod) => pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash),
      ...(collisionCount !== undefined ? { collisionCount } : {}),
    };
    await writeStatus(this.#client, daemonSetResource, ds, status, [
      'updatedNumberScheduled',
      'numberAvailable',
      'numberUnavailable',
      'observedGeneration',
    ]);
  }
}

/** The controller: DaemonSets, their pods and revisions, and the nodes (any node may change where they run). */
export function daemonSetController(context: ControllerContext): Controller {
  const { informers } = context;
  const sets = informers.lister(daemonSetResource);
  const ownerOf = ownerKeys('DaemonSet', sets, (ds) => ds.spec?.selector ?? {});
  const everySet = (): ObjectKey[] => sets.list().map(keyOf);
  return new Controller({
    name: 'daemonset',
    source: informers.source(daemonSetResource),
    watches: [
      watchOf(informers.source(podResource), ownerOf),
      watchOf(informers.source(controllerRevisionResource), ownerOf),
      watchOf(informers.source(nodeResource), everySet),
    ],
    reconciler: new DaemonSetReconciler(context),
    logger: context.logger,
  });
}
