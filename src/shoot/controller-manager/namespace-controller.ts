/**
 * The namespace controller of kube-controller-manager (k8s pkg/controller/namespace): a deleted
 * namespace is Terminating while the controller deletes everything namespaced in it — every
 * resource discovery lists, custom resources too — and reports on its way in the namespace's
 * conditions (NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure,
 * NamespaceDeletionContentFailure, NamespaceContentRemaining, NamespaceFinalizersRemaining, with
 * Kubernetes' reasons and messages). Once nothing is left it removes its `kubernetes` spec
 * finalizer through `finalize`, and the server removes the namespace.
 *
 * Each pass deletes what is still there (objects already going are left to their finalizers) and
 * counts what remains: repeating a pass, on this instance or after a move, deletes nothing twice
 * and finishes the same way.
 */
import { namespaceFinalizer, namespaceResource, namespaceSpecFinalizers } from '../../api/core/namespace.js';
import { type Condition, isRecord, type KubeObject, nowTimestamp } from '../../api/meta.js';
import { qualifiedResource, type ResourceRef, unchecked } from '../../api/resource-ref.js';
import type { Client } from '../../client/client.js';
import { Controller, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import type { ControllerContext } from './controller-manager.js';
import type { CollectableResource } from './garbage-collector.js';

/** The condition types the controller keeps, in Kubernetes' order, with their all-is-well reason and message. */
const conditionTypes = [
  ['NamespaceDeletionDiscoveryFailure', 'ResourcesDiscovered', 'All resources successfully discovered'],
  ['NamespaceDeletionGroupVersionParsingFailure', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
  [
    'NamespaceDeletionContentFailure',
    'ContentDeleted',
    'All content successfully deleted, may be waiting on finalization',
  ],
  ['NamespaceContentRemaining', 'ContentRemoved', 'All content successfully removed'],
  ['NamespaceFinalizersRemaining', 'ContentRemoved', 'All content successfully removed'],
] as const;

type Problem = Pick<Condition, 'type' | 'reason' | 'message'>;

/** How many deletes of one resource are in flight at once. */
const PARALLEL_DELETES = 16;

/** How soon a namespace whose content is still going (held by finalizers) is looked at again. */
const REMAINING_RECHECK_MS = 1_000;

/** What one pass over the namespace's content found. */
interface ContentTotals {
  /** Remaining objects by `plural.group`. */
  remaining: Map<string, number>;
  /** Remaining objects by each finalizer they still carry. */
  finalizers: Map<string, number>;
  errors: string[];
}

/**
 * The namespace's conditions after a pass: each kept type True with the problem found, else False
 * with its all-is-well reason; a condition's transition time changes only with its status.
 */
export function namespaceDeletionConditions(old: readonly Condition[], problems: readonly Problem[]): Condition[] {
  const now = nowTimestamp();
  const kept = old.filter((c) => !conditionTypes.some(([type]) => type === c.type));
  const maintained = conditionTypes.map(([type, okReason, okMessage]): Condition => {
    const problem = problems.find((p) => p.type === type);
    const next = problem
      ? { type, status: 'True' as const, reason: problem.reason, message: problem.message }
      : { type, status: 'False' as const, reason: okReason, message: okMessage };
    const before = old.find((c) => c.type === type);
    const lastTransitionTime = before && before.status === next.status ? before.lastTransitionTime : now;
    return { ...next, lastTransitionTime };
  });
  // Conditions the controller does not keep stay first, as written by others.
  return [...kept, ...maintained];
}

function problemsOf(totals: ContentTotals): Problem[] {
  const problems: Problem[] = [];
  const describe = (counts: Map<string, number>, what: string) =>
    [...counts]
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${name} ${what.replace('N', String(n))}`)
      .sort()
      .join(', ');
  if (totals.errors.length > 0) {
    problems.push({
      type: 'NamespaceDeletionContentFailure',
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${totals.errors.length} remaining: ${[...totals.errors].sort().join(', ')}`,
    });
  }
  if ([...totals.remaining.values()].some((n) => n > 0)) {
    problems.push({
      type: 'NamespaceContentRemaining',
      reason: 'SomeResourcesRemain',
      message: `Some resources are remaining: ${describe(totals.remaining, 'has N resource instances')}`,
    });
  }
  if ([...totals.finalizers.values()].some((n) => n > 0)) {
    problems.push({
      type: 'NamespaceFinalizersRemaining',
      reason: 'SomeFinalizerRemain',
      message: `Some finalizers are remaining: ${describe(totals.finalizers, 'in N resource instances')}`,
    });
  }
  return problems;
}

function conditionsOf(ns: KubeObject): Condition[] {
  const conditions = isRecord(ns.status) ? ns.status.conditions : undefined;
  return Array.isArray(conditions) ? (conditions as Condition[]) : [];
}

/** `plural.group`, as Kubernetes names a resource in these messages (`pods.` for the core group). */
function resourceName(ref: ResourceRef): string {
  return `${ref.plural}.${ref.group}`;
}

export class NamespaceDeletionReconciler implements Reconciler {
  readonly #client: Client;
  readonly #discover: () => Promise<readonly CollectableResource[]>;

  constructor(client: Client, discover: () => Promise<readonly CollectableResource[]>) {
    this.#client = client;
    this.#discover = discover;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const namespaces = this.#client.resource(namespaceResource);
    const namespace = await namespaces.find('', key.name);
    if (!namespace?.metadata.deletionTimestamp) return {};
    if (!namespaceSpecFinalizers(namespace).includes(namespaceFinalizer)) return {};

    let resources: readonly CollectableResource[];
    try {
      resources = await this.#discover();
    } catch (err) {
      await this.#writeConditions(namespace, [
        { type: 'NamespaceDeletionDiscoveryFailure', reason: 'DiscoveryFailed', message: (err as Error).message },
      ]);
      throw err;
    }
    const totals = await this.#deleteContent(
      key.name,
      resources.filter((r) => r.namespaced && r.verbs.includes('list') && r.verbs.includes('delete')),
    );
    const current = await this.#writeConditions(namespace, problemsOf(totals));
    if (totals.errors.length > 0) throw new Error(`deleting the content of namespace ${key.name}: ${totals.errors[0]}`);
    if ([...totals.remaining.values()].some((n) => n > 0)) return { requeueAfterMs: REMAINING_RECHECK_MS };

    const spec = isRecord(current.spec) ? current.spec : {};
    const finalizers = namespaceSpecFinalizers(current).filter((f) => f !== namespaceFinalizer);
    await namespaces.update('', { ...current, spec: { ...spec, finalizers } }, { subresource: 'finalize' });
    return {};
  }

  /** Deletes what is not yet going, then counts what is left and which finalizers hold it. */
  async #deleteContent(namespace: string, resources: readonly ResourceRef[]): Promise<ContentTotals> {
    const totals: ContentTotals = { remaining: new Map(), finalizers: new Map(), errors: [] };
    await Promise.all(
      resources.map(async (resource) => {
        // By name and unchecked: a malformed object of a typed kind must go too.
        const objects = this.#client.resource(unchecked(resource));
        try {
          const listed = await objects.list(namespace);
          if (listed.items.length === 0) return;
          // A few at a time (no deletecollection here): a namespace of thousands goes in seconds.
          const going = listed.items.filter((item) => !item.metadata.deletionTimestamp);
          for (let i = 0; i < going.length; i += PARALLEL_DELETES) {
            await Promise.all(
              going.slice(i, i + PARALLEL_DELETES).map((item) =>
                objects.deleteIfPresent(namespace, item.metadata.name ?? '', {
                  preconditions: { uid: item.metadata.uid ?? '' },
                  propagationPolicy: 'Background',
                }),
              ),
            );
          }
          const left = (await objects.list(namespace)).items;
          totals.remaining.set(resourceName(resource), left.length);
          for (const item of left) {
            for (const finalizer of item.metadata.finalizers ?? []) {
              totals.finalizers.set(finalizer, (totals.finalizers.get(finalizer) ?? 0) + 1);
            }
          }
        } catch (err) {
          totals.errors.push(`${qualifiedResource(resource)}: ${(err as Error).message}`);
        }
      }),
    );
    return totals;
  }

  /** Writes phase Terminating and the conditions when they changed; the namespace as it is now. */
  async #writeConditions(namespace: KubeObject, problems: readonly Problem[]): Promise<KubeObject> {
    const old = conditionsOf(namespace);
    const conditions = namespaceDeletionConditions(old, problems);
    const status = isRecord(namespace.status) ? namespace.status : {};
    const same =
      status.phase === 'Terminating' &&
      conditions.length === old.length &&
      conditions.every((c, i) => {
        const o = old[i];
        return o && o.type === c.type && o.status === c.status && o.reason === c.reason && o.message === c.message;
      });
    if (same) return namespace;
    return this.#client
      .resource(namespaceResource)
      .update('', { ...namespace, status: { ...status, phase: 'Terminating', conditions } }, { subresource: 'status' });
  }
}

/** The controller: namespaces; a deleted one is emptied, then finalized. */
export function namespaceController(
  { client, informers, logger }: ControllerContext,
  discover: () => Promise<readonly CollectableResource[]>,
): Controller {
  return new Controller({
    name: 'namespace',
    source: informers.source(namespaceResource),
    reconciler: new NamespaceDeletionReconciler(client, discover),
    logger,
  });
}
