/**
 * The ReplicaSet controller of kube-controller-manager (pkg/controller/replicaset), which also
 * runs ReplicationControllers: keeps as many active pods as `spec.replicas` from the template,
 * each named `<owner>-<5 random characters>` with a controller reference (blockOwnerDeletion);
 * adopts orphans its selector matches and releases pods that stopped matching; scales down the
 * least valuable pods first (./pods.ts); and reports replicas, fullyLabeledReplicas,
 * readyReplicas, availableReplicas (after minReadySeconds) and observedGeneration.
 *
 * Creates and deletes are remembered (src/controller/expectations.ts) until the pod cache shows them, so a
 * reconcile that runs before the watch caught up does not fill the same gap twice.
 */

import { type ReplicaSet, replicaSetResource } from '../../../api/apps/workloads.js';
import { isPodReady, type Pod, podResource } from '../../../api/core/pod.js';
import type { PodTemplateSpec } from '../../../api/core/pod-template.js';
import { replicationControllerResource } from '../../../api/core/replication-controller.js';
import type { LabelSelector } from '../../../api/label-selector.js';
import { selectorMatches } from '../../../api/label-selector.js';
import type { KubeObject } from '../../../api/meta.js';
import type { ResourceRef } from '../../../api/resource-ref.js';
import { type Client, ignoreNotFound } from '../../../client/client.js';
import { Controller, type ObjectKey, type Reconciler, type Result, watchOf } from '../../../controller/controller.js';
import { EventRecorder } from '../../../controller/event-recorder.js';
import { ObjectExpectations } from '../../../controller/expectations.js';
import type { Lister, SharedInformerFactory } from '../../../controller/shared-informers.js';
import type { ControllerContext } from '../controller-manager.js';
import { claimObjects, ownerKeys, ownerRefTo, writeStatus } from './claim.js';
import { isPodActive, isPodAvailable, nextAvailableInMs, podsToDeleteFirst } from './pods.js';

/** At most this many pods are created or deleted in one reconcile (Kubernetes' BurstReplicas). */
const BURST_REPLICAS = 500;

/** The kind a replica controller runs: ReplicaSet (a label selector) or ReplicationController (a map). */
export interface ReplicaKind {
  resource: ResourceRef<ReplicaSet>;
  component: string;
  selectorOf(owner: ReplicaSet): LabelSelector;
}

export const replicaSetKind: ReplicaKind = {
  resource: replicaSetResource,
  component: 'replicaset-controller',
  selectorOf: (rs) => rs.spec?.selector ?? {},
};

const replicationControllerKind: ReplicaKind = {
  resource: replicationControllerResource,
  component: 'replication-controller',
  // A ReplicationController's selector is a plain label map, defaulted from the template's labels.
  selectorOf: (rc) => ({
    matchLabels: (rc.spec?.selector as Record<string, string> | undefined) ?? rc.spec?.template?.metadata?.labels ?? {},
  }),
};

/** A new pod of `owner`'s template (GetPodFromTemplate): labels, annotations, finalizers, spec. */
export function podFromTemplate(
  template: PodTemplateSpec,
  owner: KubeObject,
  ownerResource: ResourceRef,
  prefix: string,
) {
  const meta = template.metadata ?? {};
  return {
    metadata: {
      generateName: `${prefix}-`,
      namespace: owner.metadata.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ownerRefTo(owner, ownerResource)],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

/** Runs `count` calls in batches of 1, 2, 4, … (slowStartBatch), stopping after a batch with a failure. */
export async function slowStartBatch(count: number, create: () => Promise<void>): Promise<number> {
  let done = 0;
  let errors: unknown[] = [];
  for (let batch = 1; done < count && errors.length === 0; batch *= 2) {
    const size = Math.min(batch, count - done);
    const results = await Promise.allSettled(Array.from({ length: size }, () => create()));
    errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    done += size - errors.length;
  }
  if (errors.length) throw errors[0];
  return done;
}

export class ReplicaSetReconciler implements Reconciler {
  readonly #client: Client;
  readonly #kind: ReplicaKind;
  readonly #informers: SharedInformerFactory;
  readonly #owners: Lister<ReplicaSet>;
  readonly #pods: Lister<Pod>;
  readonly #expectations: ObjectExpectations;
  readonly #events: EventRecorder;

  constructor(context: ControllerContext, kind: ReplicaKind) {
    this.#client = context.client;
    this.#kind = kind;
    this.#informers = context.informers;
    this.#owners = context.informers.lister(kind.resource);
    this.#pods = context.informers.lister(podResource);
    this.#expectations = new ObjectExpectations(this.#pods);
    this.#events = new EventRecorder(context.client, { component: kind.component }, context.logger, kind.resource);
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    await this.#informers.syncedAll([this.#kind.resource, podResource]);
    const id = `${key.namespace}/${key.name}`;
    const owner = this.#owners.get(key.namespace, key.name);
    if (!owner) {
      this.#expectations.forget(id);
      return {};
    }
    const selector = this.#kind.selectorOf(owner);
    const pods = await claimObjects({
      client: this.#client,
      ownerResource: this.#kind.resource,
      owner: { ...owner, spec: { ...owner.spec, selector } },
      resource: podResource,
      candidates: this.#pods.list(key.namespace).filter(isPodActive),
    });
    let failure: unknown;
    if (this.#expectations.satisfied(id) && !owner.metadata.deletionTimestamp) {
      failure = await this.#manageReplicas(id, owner, pods).then(
        () => undefined,
        (err: unknown) => err,
      );
    }
    const now = new Date();
    await this.#updateStatus(owner, pods, failure, now);
    if (failure) throw failure;
    const minReadySeconds = owner.spec?.minReadySeconds ?? 0;
    const wait = minReadySeconds > 0 ? nextAvailableInMs(pods, minReadySeconds, now) : undefined;
    return wait === undefined ? {} : { requeueAfterMs: wait };
  }

  async #manageReplicas(id: string, owner: ReplicaSet, pods: readonly Pod[]): Promise<void> {
    const namespace = owner.metadata.namespace ?? '';
    const diff = pods.length - (owner.spec?.replicas ?? 1);
    const podsClient = this.#client.resource(podResource);
    if (diff < 0) {
      const template = owner.spec?.template ?? {};
      await slowStartBatch(Math.min(-diff, BURST_REPLICAS), async () => {
        const pod = podFromTemplate(template, owner, this.#kind.resource, owner.metadata.name ?? '');
        try {
          const created = await podsClient.create(namespace, pod);
          this.#expectations.created(id, namespace, created.metadata.name ?? '');
          this.#events.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
        } catch (err) {
          this.#events.event(owner, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
          throw err;
        }
      });
    } else if (diff > 0) {
      const victims = podsToDeleteFirst(pods).slice(0, Math.min(diff, BURST_REPLICAS));
      await Promise.all(
        victims.map(async (pod) => {
          const name = pod.metadata.name ?? '';
          await podsClient
            .delete(namespace, name, { preconditions: { uid: pod.metadata.uid ?? '' } })
            .catch(ignoreNotFound);
          this.#expectations.deleted(id, namespace, name);
          this.#events.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
        }),
      );
    }
  }

  async #updateStatus(owner: ReplicaSet, pods: readonly Pod[], failure: unknown, now: Date): Promise<void> {
    const minReadySeconds = owner.spec?.minReadySeconds ?? 0;
    const templateLabels = owner.spec?.template?.metadata?.labels ?? {};
    // ReplicaFailure is set once on a failure and dropped on success (calculateStatus): not
    // rewritten on every failed attempt, whose own status write would wake the next one at once.
    const conditions = [...(owner.status?.conditions ?? [])];
    const failed = conditions.find((c) => c.type === 'ReplicaFailure');
    if (!failure && failed) conditions.splice(conditions.indexOf(failed), 1);
    if (failure && !failed) {
      const creating = pods.length < (owner.spec?.replicas ?? 1);
      conditions.push({
        type: 'ReplicaFailure',
        status: 'True',
        reason: creating ? 'FailedCreate' : 'FailedDelete',
        message: (failure as Error).message,
        lastTransitionTime: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      });
    }
    const status = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.filter((p) => selectorMatches({ matchLabels: templateLabels }, p.metadata.labels))
        .length,
      readyReplicas: pods.filter(isPodReady).length,
      availableReplicas: pods.filter((p) => isPodAvailable(p, minReadySeconds, now)).length,
      observedGeneration: owner.metadata.generation ?? 0,
    };
    const next: Record<string, unknown> = { ...owner.status, ...status, conditions };
    if (conditions.length === 0) delete next.conditions;
    await writeStatus(this.#client, this.#kind.resource, owner, next, [
      'fullyLabeledReplicas',
      'readyReplicas',
      'availableReplicas',
      'observedGeneration',
    ]);
  }
}

function replicaController(context: ControllerContext, kind: ReplicaKind): Controller {
  const owners = context.informers.lister(kind.resource);
  const ownersOfPod = ownerKeys(kind.resource.kind, owners, kind.selectorOf);
  return new Controller({
    name: kind.component,
    source: context.informers.source(kind.resource),
    watches: [watchOf(context.informers.source(podResource), ownersOfPod)],
    reconciler: new ReplicaSetReconciler(context, kind),
    logger: context.logger,
  });
}

/** The ReplicaSet controller. */
export function replicaSetController(context: ControllerContext): Controller {
  return replicaController(context, replicaSetKind);
}

/** The ReplicationController controller: the same, for the core/v1 kind. */
export function replicationControllerController(context: ControllerContext): Controller {
  return replicaController(context, replicationControllerKind);
}
