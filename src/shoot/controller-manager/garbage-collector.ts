/**
 * The garbage collector of kube-controller-manager: objects whose owners (`ownerReferences`) are
 * all gone go too, and a deletion's propagation policy is carried out —
 * - Background (the default): the owner goes at once, its dependents after it;
 * - Foreground: the owner waits (finalizer `foregroundDeletion`) until its dependents that block
 *   its deletion (`blockOwnerDeletion`) are gone; they are deleted in the foreground too;
 * - Orphan: the owner waits (finalizer `orphan`) until its dependents no longer name it, then goes.
 *
 * It watches every resource the server serves that can be listed, watched and deleted (from
 * discovery) and keeps a graph of who owns what, rebuilt from the lists after every start. An
 * owner missing from the graph is looked up before anything is deleted: a lagging watch never
 * costs an object its life. Owners are matched by uid, as Kubernetes does.
 */
import type { Logger } from 'pino';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, removeFinalizerPatch } from '../../api/finalizers.js';
import type { KubeObject, OwnerReference, WatchEvent } from '../../api/meta.js';
import { apiVersionOf, type ResourceRef, unchecked } from '../../api/resource-ref.js';
import { type Client, ignoreNotFound } from '../../client/client.js';
import { Controller, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import { Informer } from '../../controller/informer.js';
import { clientListWatch, type ListWatch } from '../../controller/list-watch.js';
import type { SharedInformerFactory } from '../../controller/shared-informers.js';

/** Objects per page of the collector's own lists: client-go's pager default. */
const METADATA_PAGE_SIZE = 500;

/** A resource as discovery lists it: the collector watches those it may list, watch and delete. */
export interface CollectableResource extends ResourceRef {
  readonly verbs: readonly string[];
}

/** What the graph keeps of an object. */
interface GraphNode {
  readonly resource: ResourceRef;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly owners: readonly OwnerReference[];
  readonly deleting: boolean;
  readonly finalizers: readonly string[];
}

/** A source that lists nothing and whose watch only ends when stopped: the collector feeds its queue itself. */
const nothing: ListWatch = {
  list: async () => ({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '0' }, items: [] }),
  watch: async () => {
    let stop!: () => void;
    const stopped = new Promise<IteratorResult<WatchEvent>>((resolve) => {
      stop = () => resolve({ done: true, value: undefined });
    });
    return { stop, [Symbol.asyncIterator]: () => ({ next: () => stopped }) };
  },
};

export class GarbageCollector implements Reconciler {
  readonly #client: Client;
  readonly #log: Logger;
  readonly #discover: () => Promise<readonly CollectableResource[]>;
  /** Every object by uid, and the uids of each owner's dependents. */
  readonly #nodes = new Map<string, GraphNode>();
  readonly #dependents = new Map<string, Set<string>>();
  /** Resources by `apiVersion/kind`, to look owners up. */
  readonly #kinds = new Map<string, ResourceRef>();
  readonly #controller: Controller;
  #informers: Informer[] = [];
  #stopped = false;

  readonly #informerFactory: SharedInformerFactory;

  constructor(
    client: Client,
    informers: SharedInformerFactory,
    discover: () => Promise<readonly CollectableResource[]>,
    logger: Logger,
  ) {
    this.#client = client;
    this.#informerFactory = informers;
    this.#discover = discover;
    this.#log = logger.child({ controller: 'garbagecollector' });
    this.#controller = new Controller({ name: 'garbagecollector', source: nothing, reconciler: this, logger });
  }

  start(): void {
    void this.#watchEverything();
  }

  stop(): void {
    this.#stopped = true;
    this.#controller.stop();
    for (const informer of this.#informers) informer.stop();
  }

  /** Starts an informer per collectable resource, then processes what they found. */
  async #watchEverything(): Promise<void> {
    let resources: readonly CollectableResource[];
    try {
      resources = await this.#discover();
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'discovery failed; trying again');
      if (!this.#stopped) setTimeout(() => void this.#watchEverything(), 2_000).unref();
      return;
    }
    if (this.#stopped) return;
    // Events are left alone, as Kubernetes' collector does: many, short-lived, and served twice
    // (core and events.k8s.io are the same objects).
    const collectable = resources.filter(
      (r) => r.plural !== 'events' && ['list', 'watch', 'delete'].every((v) => r.verbs.includes(v)),
    );
    for (const r of collectable) this.#kinds.set(`${apiVersionOf(r)}/${r.kind}`, unchecked(r));
    this.#informers = collectable.map(
      (resource) =>
        new Informer(this.#sourceOf(resource), {
          upsert: (obj) => this.#observed(unchecked(resource), obj),
          remove: (obj) => this.#gone(obj),
        }),
    );
    for (const informer of this.#informers) informer.start();
    // Judge dependents only once every owner had the chance to be listed.
    await Promise.all(this.#informers.map((informer) => informer.synced()));
    if (!this.#stopped) this.#controller.start();
  }

  /**
   * The shared cache's view of a resource the other controllers read too; for the rest a list and
   * watch of their metadata only, in pages of 500, as Kubernetes' collector reads them: the graph
   * needs nothing else, and a full list of 500 MB of ConfigMaps, read and parsed at once, stalled
   * the seed process that serves the shoot for seconds (docs/live-migration.md).
   */
  #sourceOf(resource: ResourceRef): ListWatch {
    return this.#informerFactory.has(resource)
      ? this.#informerFactory.source(unchecked(resource))
      : clientListWatch(this.#client, resource, '', { metadataOnly: true }, { pageSize: METADATA_PAGE_SIZE });
  }

  #observed(resource: ResourceRef, obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const previous = this.#nodes.get(uid);
    for (const owner of previous?.owners ?? []) this.#dependents.get(owner.uid)?.delete(uid);
    const node: GraphNode = {
      resource,
      namespace: obj.metadata.namespace ?? '',
      name: obj.metadata.name ?? '',
      uid,
      owners: obj.metadata.ownerReferences ?? [],
      deleting: Boolean(obj.metadata.deletionTimestamp),
      finalizers: obj.metadata.finalizers ?? [],
    };
    this.#nodes.set(uid, node);
    for (const owner of node.owners) {
      const dependents = this.#dependents.get(owner.uid) ?? new Set<string>();
      dependents.add(uid);
      this.#dependents.set(owner.uid, dependents);
    }
    if (node.owners.length > 0 || this.#waitsForCollector(node)) this.#enqueue(uid);
    // A dependent changed: an owner waiting for its dependents may be done.
    for (const owner of node.owners) if (this.#nodes.get(owner.uid)?.deleting) this.#enqueue(owner.uid);
  }

  #gone(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const node = this.#nodes.get(uid);
    this.#nodes.delete(uid);
    for (const owner of node?.owners ?? []) {
      this.#dependents.get(owner.uid)?.delete(uid);
      if (this.#nodes.get(owner.uid)?.deleting) this.#enqueue(owner.uid);
    }
    for (const dependent of this.#dependents.get(uid) ?? []) this.#enqueue(dependent);
  }

  #enqueue(uid: string): void {
    this.#controller.enqueue({ namespace: '', name: uid });
  }

  #waitsForCollector(node: GraphNode): boolean {
    return (
      node.deleting && (node.finalizers.includes(ORPHAN_FINALIZER) || node.finalizers.includes(FOREGROUND_FINALIZER))
    );
  }

  /** One object (the key's name is its uid): finish its propagation, or collect it when its owners are gone. */
  async reconcile(key: ObjectKey): Promise<Result> {
    const node = this.#nodes.get(key.name);
    if (!node) return {};
    if (node.deleting && node.finalizers.includes(ORPHAN_FINALIZER)) return this.#orphanDependents(node);
    if (node.deleting && node.finalizers.includes(FOREGROUND_FINALIZER)) return this.#deleteDependentsFirst(node);
    if (node.owners.length > 0 && !node.deleting) await this.#collectIfOrphaned(node);
    return {};
  }

  /** Orphan: the dependents forget the owner, then the owner's finalizer goes. */
  async #orphanDependents(owner: GraphNode): Promise<Result> {
    for (const uid of [...(this.#dependents.get(owner.uid) ?? [])]) {
      const dependent = this.#nodes.get(uid);
      if (!dependent) continue;
      const current = await this.#objects(dependent).find(dependent.namespace, dependent.name);
      const owners = current?.metadata.ownerReferences ?? [];
      if (!current || !owners.some((o) => o.uid === owner.uid)) continue;
      const kept = owners.filter((o) => o.uid !== owner.uid);
      await this.#objects(dependent)
        .patch(dependent.namespace, dependent.name, {
          metadata: {
            ownerReferences: kept.length > 0 ? kept : null,
            resourceVersion: current.metadata.resourceVersion,
          },
        })
        .catch(ignoreNotFound);
    }
    await this.#removeFinalizer(owner, ORPHAN_FINALIZER);
    return {};
  }

  /** Foreground: the dependents go first (in the foreground themselves); the owner once none blocks it. */
  async #deleteDependentsFirst(owner: GraphNode): Promise<Result> {
    let blocking = 0;
    for (const uid of this.#dependents.get(owner.uid) ?? []) {
      const dependent = this.#nodes.get(uid);
      if (!dependent) continue;
      const reference = dependent.owners.find((o) => o.uid === owner.uid);
      if (reference?.blockOwnerDeletion) blocking++;
      if (!dependent.deleting) {
        await this.#objects(dependent)
          .deleteIfPresent(dependent.namespace, dependent.name, {
            preconditions: { uid: dependent.uid },
            propagationPolicy: 'Foreground',
          })
          .catch(ignoreNotFound);
      }
    }
    // The informers report each dependent's going; this key is enqueued again then.
    if (blocking === 0) await this.#removeFinalizer(owner, FOREGROUND_FINALIZER);
    return {};
  }

  /** Deletes `node` when every owner is gone; drops the references to gone owners when some remain. */
  async #collectIfOrphaned(node: GraphNode): Promise<void> {
    const verdicts = await Promise.all(node.owners.map((owner) => this.#ownerState(node, owner)));
    if (verdicts.includes('unknown')) return;
    if (verdicts.every((v) => v === 'absent')) {
      this.#log.info(
        { object: `${node.resource.plural}/${node.namespace}/${node.name}` },
        'collecting: its owners are gone',
      );
      await this.#objects(node)
        .deleteIfPresent(node.namespace, node.name, {
          preconditions: { uid: node.uid },
          propagationPolicy: 'Background',
        })
        .catch(ignoreNotFound);
      return;
    }
    // An owner being deleted in the foreground takes its dependents with it.
    if (verdicts.includes('deleting-foreground')) {
      await this.#objects(node)
        .deleteIfPresent(node.namespace, node.name, {
          preconditions: { uid: node.uid },
          propagationPolicy: 'Foreground',
        })
        .catch(ignoreNotFound);
      return;
    }
    const dangling = new Set(node.owners.filter((_, i) => verdicts[i] === 'absent').map((o) => o.uid));
    if (dangling.size === 0) return;
    const current = await this.#objects(node).find(node.namespace, node.name);
    if (!current || current.metadata.uid !== node.uid) return;
    const kept = (current.metadata.ownerReferences ?? []).filter((o) => !dangling.has(o.uid));
    await this.#objects(node)
      .patch(node.namespace, node.name, {
        metadata: { ownerReferences: kept, resourceVersion: current.metadata.resourceVersion },
      })
      .catch(ignoreNotFound);
  }

  /**
   * Whether an owner exists: from the graph, else asked of the server by name (the graph may lag);
   * `unknown` when its kind is not served (nothing is decided then).
   */
  async #ownerState(
    dependent: GraphNode,
    owner: OwnerReference,
  ): Promise<'present' | 'absent' | 'deleting-foreground' | 'unknown'> {
    const known = this.#nodes.get(owner.uid);
    const stateOf = (deleting: boolean, finalizers: readonly string[]) =>
      deleting && finalizers.includes(FOREGROUND_FINALIZER) ? 'deleting-foreground' : 'present';
    if (known) return stateOf(known.deleting, known.finalizers);
    const resource = this.#kinds.get(`${owner.apiVersion}/${owner.kind}`);
    if (!resource) return 'unknown';
    const live = await this.#client.resource(resource).find(resource.namespaced ? dependent.namespace : '', owner.name);
    if (!live || live.metadata.uid !== owner.uid) return 'absent';
    return stateOf(Boolean(live.metadata.deletionTimestamp), live.metadata.finalizers ?? []);
  }

  async #removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    const current = await this.#objects(node).find(node.namespace, node.name);
    const patch = current && current.metadata.uid === node.uid ? removeFinalizerPatch(current, finalizer) : undefined;
    if (patch) await this.#objects(node).patch(node.namespace, node.name, patch).catch(ignoreNotFound);
  }

  #objects(node: GraphNode) {
    return this.#client.resource(node.resource);
  }
}
