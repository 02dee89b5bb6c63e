/**
 * The StatefulSet controller of kube-controller-manager (pkg/controller/statefulset): pods
 * `<set>-<ordinal>` with their PersistentVolumeClaims, created in order — with OrderedReady the
 * next only once every lower one is Running and Ready, with Parallel all at once — and removed
 * from the highest ordinal down; ControllerRevisions of the template (./history.ts), pods labelled
 * with theirs; RollingUpdate replaces pods of an old revision one at a time from the highest
 * ordinal down to the partition; OnDelete leaves that to the user. Claims stay unless the
 * persistentVolumeClaimRetentionPolicy deletes them with the set or with a scaled-away pod. The
 * status names the current and update revisions and counts pods of each, which `kubectl rollout
 * status` reads.
 *
 * Names are deterministic, so a create that the cache has not shown yet fails with
 * AlreadyExists the second time and nothing is made twice.
 */
import {
  type ControllerRevision,
  controllerRevisionResource,
  type StatefulSet,
  statefulSetResource,
} from '../../../../api/apps/workloads.js';
import { persistentVolumeClaimResource } from '../../../../api/core/persistent-volume.js';
import { isPodReady, type Pod, podResource } from '../../../../api/core/pod.js';
import { isAlreadyExists } from '../../../../api/errors.js';
import { type Client, ignoreNotFound } from '../../../../client/client.js';
import {
  Controller,
  type ObjectKey,
  type Reconciler,
  type Result,
  watchOf,
} from '../../../../controller/controller.js';
import { EventRecorder } from '../../../../controller/event-recorder.js';
import type { Lister, SharedInformerFactory } from '../../../../controller/shared-informers.js';
import type { ControllerContext } from '../../controller-manager.js';
import { controllerRefOf, ownerKeys, writeStatus } from '../claim.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  claimPodsAndHistory,
  REVISION_HASH_LABEL,
  templateOf,
  truncateHistory,
} from '../history.js';
import { isPodAvailable, nextAvailableInMs } from '../pods.js';
import { claimName, claimOwnerRef, claimsFor, newStatefulPod, ordinalOf } from './stateful-pods.js';

const isRunningAndReady = (pod: Pod) => pod.status?.phase === 'Running' && isPodReady(pod);
const isTerminating = (pod: Pod) => pod.metadata.deletionTimestamp !== undefined;
const isFinished = (pod: Pod) => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
const revisionOf = (pod: Pod) => pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];

export class StatefulSetReconciler implements Reconciler {
  readonly #client: Client;
  readonly #informers: SharedInformerFactory;
  readonly #sets: Lister<StatefulSet>;
  readonly #pods: Lister<Pod>;
  readonly #revisions: Lister<ControllerRevision>;
  readonly #events: EventRecorder;

  constructor({ client, informers, logger }: ControllerContext) {
    this.#client = client;
    this.#informers = informers;
    this.#sets = informers.lister(statefulSetResource);
    this.#pods = informers.lister(podResource);
    this.#revisions = informers.lister(controllerRevisionResource);
    this.#events = new EventRecorder(client, { component: 'statefulset-controller' }, logger, statefulSetResource);
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    await this.#informers.syncedAll([statefulSetResource, podResource, controllerRevisionResource]);
    const set = this.#sets.get(key.namespace, key.name);
    if (!set || set.metadata.deletionTimestamp) return {};
    const history = await claimPodsAndHistory(
      this.#client,
      statefulSetResource,
      set,
      { pods: this.#pods, revisions: this.#revisions },
      REVISION_HASH_LABEL,
    );
    const { revisions, revision: update, collisionCount } = history;
    const pods = history.pods.filter((p) => ordinalOf(set, p) !== undefined);
    const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    await this.#updatePods(set, pods, current, update);
    const claimed = this.#pods.list(key.namespace).filter((p) => controllerRefOf(p)?.uid === set.metadata.uid);
    const now = new Date();
    await this.#writeStatus(set, claimed, current, update, collisionCount, now);
    const live = new Set([
      current.metadata.name ?? '',
      update.metadata.name ?? '',
      ...claimed.map((p) => revisionOf(p) ?? ''),
    ]);
    await truncateHistory(this.#client, [...revisions, update], live, set.spec?.revisionHistoryLimit ?? 10);
    const wait = nextAvailableInMs(claimed, set.spec?.minReadySeconds ?? 0, now);
    return wait === undefined ? {} : { requeueAfterMs: wait };
  }

  /** One step towards the spec (updateStatefulSet): returns after an action that must be seen first. */
  async #updatePods(
    set: StatefulSet,
    pods: Pod[],
    current: ControllerRevision,
    update: ControllerRevision,
  ): Promise<void> {
    const namespace = set.metadata.namespace ?? '';
    const start = (set.spec as { ordinals?: { start?: number } }).ordinals?.start ?? 0;
    const replicas = set.spec?.replicas ?? 1;
    const monotonic = (set.spec?.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
    const rolling = (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = set.spec?.updateStrategy?.rollingUpdate?.partition;
    const byOrdinal = new Map(pods.map((pod) => [ordinalOf(set, pod) ?? -1, pod]));
    const api = this.#client.resource(podResource);
    const remove = async (pod: Pod, reason: string, message: string) => {
      await api
        .delete(namespace, pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid ?? '' } })
        .catch(ignoreNotFound);
      this.#events.event(set, 'Normal', reason, message);
    };

    for (let ordinal = start; ordinal < start + replicas; ordinal++) {
      const pod = byOrdinal.get(ordinal);
      if (pod && isFinished(pod) && !isTerminating(pod)) {
        // A failed pod is replaced: deleted now, created again once it is gone.
        await remove(
          pod,
          'SuccessfulDelete',
          `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
        );
        if (monotonic) return;
        continue;
      }
      if (!pod) {
        const fromCurrent =
          rolling && (partition === undefined ? ordinal < (set.status?.currentReplicas ?? 0) : ordinal < partition);
        const revision = fromCurrent ? current : update;
        await this.#createPod(set, revision, ordinal);
        if (monotonic) return;
        continue;
      }
      if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod))) return;
    }

    const condemned = pods.filter((p) => {
      const ordinal = ordinalOf(set, p) ?? -1;
      return ordinal < start || ordinal >= start + replicas;
    });
    condemned.sort((a, b) => (ordinalOf(set, b) ?? 0) - (ordinalOf(set, a) ?? 0));
    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (monotonic) return;
        continue;
      }
      if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') {
        await this.#giveClaimsTo(set, pod);
      }
      await remove(
        pod,
        'SuccessfulDelete',
        `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
      );
      if (monotonic) return;
    }

    if (!rolling) return;
    for (let ordinal = start + replicas - 1; ordinal >= start + (partition ?? 0); ordinal--) {
      const pod = byOrdinal.get(ordinal);
      if (!pod) return;
      if (revisionOf(pod) !== update.metadata.name && !isTerminating(pod)) {
        await remove(
          pod,
          'SuccessfulDelete',
          `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
        );
        return;
      }
      if (!isRunningAndReady(pod)) return;
    }
  }

  /** Makes the condemned `pod` the owner of its claims (whenScaled: Delete): they go after it. */
  async #giveClaimsTo(set: StatefulSet, pod: Pod): Promise<void> {
    const namespace = set.metadata.namespace ?? '';
    const claims = this.#client.resource(persistentVolumeClaimResource);
    for (const template of set.spec?.volumeClaimTemplates ?? []) {
      const claim = await claims.find(namespace, claimName(template, set, ordinalOf(set, pod) ?? -1));
      const refs = claim?.metadata.ownerReferences ?? [];
      if (!claim || refs.some((ref) => ref.uid === pod.metadata.uid)) continue;
      // The pod alone: with the set still named, the collector would only drop the pod's reference.
      const others = refs.filter((ref) => ref.uid !== set.metadata.uid);
      await claims.patch(namespace, claim.metadata.name ?? '', {
        metadata: {
          ownerReferences: [...others, claimOwnerRef(pod, 'v1', 'Pod')],
          resourceVersion: claim.metadata.resourceVersion,
        },
      });
    }
  }

  async #createPod(set: StatefulSet, revision: ControllerRevision, ordinal: number): Promise<void> {
    const namespace = set.metadata.namespace ?? '';
    for (const claim of claimsFor(set, ordinal)) {
      await this.#client
        .resource(persistentVolumeClaimResource)
        .createIfAbsent(namespace, claim)
        .catch((err: unknown) => {
          this.#events.event(
            set,
            'Warning',
            'FailedCreate',
            `create Claim ${claim.metadata.name} for Pod ${set.metadata.name}-${ordinal} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
          );
          throw err;
        });
    }
    const pod = newStatefulPod(set, templateOf(revision), revision.metadata.name ?? '', ordinal);
    try {
      await this.#client.resource(podResource).create(namespace, pod);
      this.#events.event(
        set,
        'Normal',
        'SuccessfulCreate',
        `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
      );
    } catch (err) {
      if (isAlreadyExists(err)) return;
      this.#events.event(
        set,
        'Warning',
        'FailedCreate',
        `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
      );
      throw err;
    }
  }

  async #writeStatus(
    set: StatefulSet,
    pods: readonly Pod[],
    current: ControllerRevision,
    update: ControllerRevision,
    collisionCount: number | undefined,
    now: Date,
  ): Promise<void> {
    const minReadySeconds = set.spec?.minReadySeconds ?? 0;
    const alive = pods.filter((p) => !isTerminating(p));
    const status: Record<string, unknown> = {
      observedGeneration: set.metadata.generation ?? 0,
      replicas: pods.filter((p) => p.status?.phase).length,
      readyReplicas: pods.filter(isRunningAndReady).length,
      availableReplicas: pods.filter((p) => isRunningAndReady(p) && isPodAvailable(p, minReadySeconds, now)).length,
      currentReplicas: alive.filter((p) => revisionOf(p) === current.metadata.name).length,
      updatedReplicas: alive.filter((p) => revisionOf(p) === update.metadata.name).length,
      currentRevision: current.metadata.name,
      updateRevision: update.metadata.name,
      ...(collisionCount !== undefined ? { collisionCount } : {}),
    };
    // A rolling update that reached every pod makes the update revision the current one.
    const rolling = (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentRevision = status.updateRevision;
      status.currentReplicas = status.updatedReplicas;
    }
    await writeStatus(this.#client, statefulSetResource, set, { ...set.status, ...status }, [
      'readyReplicas',
      'currentReplicas',
      'updatedReplicas',
      'observedGeneration',
    ]);
  }
}

/** The controller: StatefulSets, their pods and their ControllerRevisions. */
export function statefulSetController(context: ControllerContext): Controller {
  const { informers } = context;
  const sets = informers.lister(statefulSetResource);
  const ownerOf = ownerKeys('StatefulSet', sets, (set) => set.spec?.selector ?? {});
  return new Controller({
    name: 'statefulset',
    source: informers.source(statefulSetResource),
    watches: [
      watchOf(informers.source(podResource), ownerOf),
      watchOf(informers.source(controllerRevisionResource), ownerOf),
    ],
    reconciler: new StatefulSetReconciler(context),
    logger: context.logger,
  });
}
