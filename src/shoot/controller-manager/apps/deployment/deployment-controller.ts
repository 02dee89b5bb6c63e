import {
  type Deployment,
  deploymentResource,
  type ReplicaSet,
  replicaSetResource,
} from '../../../../api/apps/workloads.js';
import { type Pod, podResource } from '../../../../api/core/pod.js';
import type { Client } from '../../../../client/client.js';
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
import { claimObjects, controllerRefOf, ownerKeys } from '../claim.js';
import { DeploymentSync } from './deployment-sync.js';
import { isScalingEvent, rolloutRecreate, rolloutRolling, syncScaling } from './rollout.js';
import { condition, getCondition, PAUSED, RESUMED, setCondition } from './status.js';

export class DeploymentReconciler implements Reconciler {
  readonly #client: Client;
  readonly #informers: SharedInformerFactory;
  readonly #deployments: Lister<Deployment>;
  readonly #replicaSets: Lister<ReplicaSet>;
  readonly #pods: Lister<Pod>;
  readonly #events: EventRecorder;

  constructor({ client, informers, logger }: ControllerContext) {
    this.#client = client;
    this.#informers = informers;
    this.#deployments = informers.lister(deploymentResource);
    this.#replicaSets = informers.lister(replicaSetResource);
    this.#pods = informers.lister(podResource);
    this.#events = new EventRecorder(client, { component: 'deployment-controller' }, logger, deploymentResource);
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    await this.#informers.syncedAll([deploymentResource, replicaSetResource, podResource]);
    const d = this.#deployments.get(key.namespace, key.name);
    if (!d) return {};
    const replicaSets = await claimObjects({
      client: this.#client,
      ownerResource: deploymentResource,
      owner: d,
      resource: replicaSetResource,
      candidates: this.#replicaSets.list(key.namespace),
    });
    const sync = new DeploymentSync(this.#client, this.#events, d, replicaSets);
    if (d.metadata.deletionTimestamp) {
      await sync.syncStatus((await sync.newAndOld(false)).newRS);
      return {};
    }
    await this.#checkPausedConditions(sync);
    if (sync.d.spec?.paused || isScalingEvent(sync)) await syncScaling(sync);
    else if (sync.d.spec?.strategy?.type === 'Recreate') {
      const uids = new Set(sync.replicaSets.map((rs) => rs.metadata.uid));
      const pods = this.#pods.list(key.namespace).filter((pod) => uids.has(controllerRefOf(pod)?.uid));
      await rolloutRecreate(sync, pods);
    } else await rolloutRolling(sync);
    return sync.requeueAfterMs === undefined ? {} : { requeueAfterMs: sync.requeueAfterMs };
  }

  /** Progressing says Unknown/DeploymentPaused while paused, DeploymentResumed once resumed. */
  async #checkPausedConditions(sync: DeploymentSync): Promise<void> {
    const d = sync.d;
    const progressing = getCondition(d.status, 'Progressing');
    if (d.spec?.progressDeadlineSeconds === undefined || d.spec.progressDeadlineSeconds === 2147483647) return;
    const paused = d.spec?.paused === true;
    if (paused && progressing?.reason !== PAUSED) {
      const next = condition('Progressing', 'Unknown', PAUSED, 'Deployment is paused');
      await sync.writeStatus(setCondition(d.status ?? {}, next));
    } else if (!paused && progressing?.reason === PAUSED) {
      const next = condition('Progressing', 'Unknown', RESUMED, 'Deployment is resumed');
      await sync.writeStatus(setCondition(d.status ?? {}, next));
    }
  }
}

/** The controller: Deployments, their ReplicaSets, and (for Recreate) the pods of those. */
export function deploymentController(context: ControllerContext): Controller {
  const { informers } = context;
  const deployments = informers.lister(deploymentResource);
  const replicaSets = informers.lister(replicaSetResource);
  const ownerOf = ownerKeys('Deployment', deployments, (d) => d.spec?.selector ?? {});
  const deploymentOfPod = (pod: Pod): ObjectKey[] => {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== 'ReplicaSet') return [];
    const rs = replicaSets.get(pod.metadata.namespace ?? '', ref.name);
    if (!rs) return [];
    // Only Recreate waits on pods; the ReplicaSet's status tells a rolling update enough.
    return ownerOf(rs).filter((key) => deployments.get(key.namespace, key.name)?.spec?.strategy?.type === 'Recreate');
  };
  return new Controller({
    name: 'deployment',
    source: informers.source(deploymentResource),
    watches: [
      watchOf(informers.source(replicaSetResource), ownerOf),
      watchOf(informers.source(podResource), deploymentOfPod),
    ],
    reconciler: new DeploymentReconciler(context),
    logger: context.logger,
  });
}
