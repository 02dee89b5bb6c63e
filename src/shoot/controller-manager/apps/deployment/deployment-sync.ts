/**
 * One reconcile of one Deployment over the ReplicaSets it owns (pkg/controller/deployment
 * sync.go): finds the new ReplicaSet by comparing pod templates (never by recomputing a hash),
 * creates it when missing, keeps revisions and the replica annotations, scales ReplicaSets with
 * events, cleans up old revisions, and writes the status. Writes carry the resourceVersion the
 * cache showed, so a decision taken on a stale cache fails with a conflict and is taken again.
 */
import {
  type Deployment,
  deploymentResource,
  type ReplicaSet,
  replicaSetResource,
} from '../../../../api/apps/workloads.js';
import { isAlreadyExists } from '../../../../api/errors.js';
import type { KubeObject } from '../../../../api/meta.js';
import { type Client, ignoreNotFound } from '../../../../client/client.js';
import type { EventRecorder } from '../../../../controller/event-recorder.js';
import { controllerRefOf, ownerRefTo, writeStatus } from '../claim.js';
import { computeHash, equalIgnoringHash, POD_TEMPLATE_HASH_LABEL } from './pod-template-hash.js';
import {
  byCreation,
  maxRevision,
  maxSurge,
  newReplicaSetReplicas,
  REVISION_ANNOTATION,
  replicasOf,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './replicas.js';
import {
  calculateStatus,
  condition,
  type DeploymentStatus,
  getCondition,
  rolloutStatus,
  setCondition,
} from './status.js';

export interface NewAndOld {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

/** The oldest ReplicaSet whose template is the Deployment's (FindNewReplicaSet), and the others. */
export function findNewAndOld(d: Deployment, replicaSets: readonly ReplicaSet[]): NewAndOld {
  const sorted = [...replicaSets].sort(byCreation);
  const newRS = sorted.find((rs) => equalIgnoringHash(rs.spec?.template, d.spec?.template));
  return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
}

export class DeploymentSync {
  readonly client: Client;
  readonly events: EventRecorder;
  /** The Deployment as last read or written. */
  d: Deployment;
  /** Its ReplicaSets, as last read or written. */
  replicaSets: ReplicaSet[];
  requeueAfterMs: number | undefined;

  constructor(client: Client, events: EventRecorder, d: Deployment, replicaSets: ReplicaSet[]) {
    this.client = client;
    this.events = events;
    this.d = d;
    this.replicaSets = replicaSets;
  }

  get namespace(): string {
    return this.d.metadata.namespace ?? '';
  }

  #replace(rs: ReplicaSet): ReplicaSet {
    this.replicaSets = [...this.replicaSets.filter((r) => r.metadata.uid !== rs.metadata.uid), rs];
    return rs;
  }

  #event(reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void {
    this.events.event(this.d, type, reason, message);
  }

  /**
   * The new ReplicaSet (created when `create` and missing) and the old ones, with the new one's
   * revision above every old one's and the Deployment's revision annotation following it
   * (getAllReplicaSetsAndSyncRevision).
   */
  async newAndOld(create: boolean): Promise<NewAndOld> {
    const { newRS, oldRSs } = findNewAndOld(this.d, this.replicaSets);
    const revision = maxRevision(oldRSs) + 1;
    if (newRS) return { newRS: await this.#syncExisting(newRS, revision), oldRSs };
    if (!create) return { newRS: undefined, oldRSs };
    return { newRS: await this.#createNew(oldRSs, revision), oldRSs };
  }

  async #syncExisting(rs: ReplicaSet, revision: number): Promise<ReplicaSet> {
    const copy: ReplicaSet = structuredClone(rs);
    let changed = setNewReplicaSetAnnotations(this.d, copy, revision, true);
    const minReadySeconds = this.d.spec?.minReadySeconds ?? 0;
    if ((copy.spec?.minReadySeconds ?? 0) !== minReadySeconds) {
      copy.spec = { ...copy.spec, minReadySeconds };
      changed = true;
    }
    let current = rs;
    if (changed) current = this.#replace(await this.client.resource(replicaSetResource).update(this.namespace, copy));
    await this.#setDeploymentRevision(current);
    if (!getCondition(this.d.status, 'Progressing')) {
      const message = `Found new replica set "${current.metadata.name}"`;
      await this.writeStatus(
        setCondition(this.d.status ?? {}, condition('Progressing', 'True', 'FoundNewReplicaSet', message)),
      );
    }
    return current;
  }

  async #createNew(oldRSs: readonly ReplicaSet[], revision: number): Promise<ReplicaSet | undefined> {
    const d = this.d;
    const collisionCount = d.status?.collisionCount;
    const hash = computeHash(d.spec?.template ?? {}, collisionCount);
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash },
    };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: this.namespace,
        ownerReferences: [ownerRefTo(d, deploymentResource)],
        labels: { ...template.metadata.labels },
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const replicas = newReplicaSetReplicas(d, [...oldRSs, rs], rs);
    rs.spec = { ...rs.spec, replicas };
    setNewReplicaSetAnnotations(d, rs, revision, false);
    let created: ReplicaSet;
    try {
      created = await this.client.resource(replicaSetResource).create(this.namespace, rs);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Ours already (the cache had not shown it yet) when it has our template: use it.
      const existing = await this.client.resource(replicaSetResource).get(this.namespace, rs.metadata.name ?? '');
      if (
        controllerRefOf(existing)?.uid === d.metadata.uid &&
        equalIgnoringHash(existing.spec?.template, d.spec?.template)
      ) {
        this.#replace(existing);
        await this.#setDeploymentRevision(existing);
        return existing;
      }
      // Someone else's: the next hash takes the collision count into account.
      await this.writeStatus({ ...this.d.status, collisionCount: (collisionCount ?? 0) + 1 });
      throw new Error(`replica set ${rs.metadata.name} exists with another template: hash collision`);
    }
    this.#replace(created);
    if (replicas > 0)
      this.#event('ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
    await this.#setDeploymentRevision(created);
    const message = `Created new replica set "${created.metadata.name}"`;
    await this.writeStatus(
      setCondition(this.d.status ?? {}, condition('Progressing', 'True', 'NewReplicaSetCreated', message)),
    );
    return created;
  }

  /** The Deployment's revision annotation follows its new ReplicaSet's. */
  async #setDeploymentRevision(newRS: ReplicaSet): Promise<void> {
    const revision = newRS.metadata.annotations?.[REVISION_ANNOTATION];
    if (!revision || this.d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    this.d = await this.client.resource(deploymentResource).patch(this.namespace, this.d.metadata.name ?? '', {
      metadata: { annotations: { [REVISION_ANNOTATION]: revision }, resourceVersion: this.d.metadata.resourceVersion },
    });
  }

  /** Scales `rs` to `replicas` with the replica annotations, and says so in an event (scaleReplicaSet). */
  async scale(
    rs: ReplicaSet,
    replicas: number,
    operation?: 'up' | 'down',
  ): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const d = this.d;
    const copy: ReplicaSet = structuredClone(rs);
    const sizeChanged = replicasOf(rs) !== replicas;
    const annotationsChanged = setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
    if (!sizeChanged && !annotationsChanged) return { scaled: false, rs };
    copy.spec = { ...copy.spec, replicas };
    const updated = this.#replace(await this.client.resource(replicaSetResource).update(this.namespace, copy));
    if (sizeChanged) {
      const direction = operation ?? (replicas > replicasOf(rs) ? 'up' : 'down');
      this.#event(
        'ScalingReplicaSet',
        `Scaled ${direction} replica set ${rs.metadata.name} from ${replicasOf(rs)} to ${replicas}`,
      );
    }
    return { scaled: sizeChanged, rs: updated };
  }

  async writeStatus(status: DeploymentStatus): Promise<void> {
    const updated = await writeStatus(this.client, deploymentResource, this.d, status, [
      'observedGeneration',
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
    ]);
    if (updated) this.d = updated;
  }

  /** Status from the ReplicaSets alone (syncDeploymentStatus). */
  async syncStatus(newRS: ReplicaSet | undefined): Promise<void> {
    await this.writeStatus(calculateStatus(this.#current(), this.#currentOf(newRS), this.d));
  }

  /** Status with the Progressing condition (syncRolloutStatus). */
  async syncRolloutStatus(newRS: ReplicaSet | undefined): Promise<void> {
    const { status, requeueAfterMs } = rolloutStatus(this.#current(), this.#currentOf(newRS), this.d);
    this.requeueAfterMs = requeueAfterMs;
    await this.writeStatus(status);
  }

  #current(): ReplicaSet[] {
    return this.replicaSets;
  }

  #currentOf(rs: ReplicaSet | undefined): ReplicaSet | undefined {
    return rs && this.replicaSets.find((r) => r.metadata.uid === rs.metadata.uid);
  }

  /** Deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit (cleanupDeployment). */
  async cleanup(oldRSs: readonly ReplicaSet[]): Promise<void> {
    const limit = this.d.spec?.revisionHistoryLimit;
    if (limit === undefined) return;
    const alive = oldRSs
      .map((rs) => this.#currentOf(rs) ?? rs)
      .filter((rs) => !rs.metadata.deletionTimestamp)
      .sort((a, b) => revisionOrder(a) - revisionOrder(b) || byCreation(a, b));
    const excess = alive.length - limit;
    for (const rs of alive.slice(0, Math.max(excess, 0))) {
      const idle =
        (rs.status?.replicas ?? 0) === 0 &&
        replicasOf(rs) === 0 &&
        (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0);
      if (!idle) continue;
      await this.client
        .resource(replicaSetResource)
        .delete(this.namespace, rs.metadata.name ?? '', { preconditions: { uid: rs.metadata.uid ?? '' } })
        .catch(ignoreNotFound);
    }
  }
}

function revisionOrder(rs: KubeObject): number {
  return Number.parseInt(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '0', 10) || 0;
}
