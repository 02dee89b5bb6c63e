/**
 * The namespace controller (as in Kubernetes): a deleted Namespace is Terminating until every
 * object in it is gone (each deleted through its own store, so its finalizers are honoured);
 * then the controller removes its `kubernetes` spec finalizer and the store removes it.
 */

import { namespaceFinalizer, namespaceSpecFinalizers } from '../api/core/namespace.js';
import { isRecord } from '../api/meta.js';
import type { GenericStore, RequestContext } from '../apiserver/registry/generic-store.js';
import type { ObjectKey, Reconciler, Result } from './controller.js';

export class NamespaceReconciler implements Reconciler {
  readonly #namespaces: GenericStore;
  readonly #contents: () => GenericStore[];
  readonly #ctx: RequestContext;

  /** `contents` lists the stores of namespaced kinds whose objects a namespace holds. */
  constructor(namespaces: GenericStore, contents: () => GenericStore[], ctx: RequestContext) {
    this.#namespaces = namespaces;
    this.#contents = contents;
    this.#ctx = ctx;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const namespace = await this.#namespaces.find('', key.name);
    if (!namespace?.metadata.deletionTimestamp) return {};
    if (!namespaceSpecFinalizers(namespace).includes(namespaceFinalizer)) return {};
    let remaining = 0;
    for (const store of this.#contents()) {
      if (!store.def.namespaced) continue;
      const list = await store.list(key.name, {});
      if (list.items.length === 0) continue;
      for (const item of list.items) {
        if (!item.metadata.deletionTimestamp) await store.deleteIfPresent(key.name, item.metadata.name!, this.#ctx);
      }
      // Most objects go at once; only those held by finalizers are left to wait for.
      remaining += (await store.list(key.name, {})).items.length;
    }
    // Objects held by finalizers keep the namespace Terminating; look again shortly (a shoot's
    // control-plane namespace going is on a migration's critical path).
    if (remaining > 0) return { requeueAfterMs: 100 };
    const spec = isRecord(namespace.spec) ? namespace.spec : {};
    const finalizers = namespaceSpecFinalizers(namespace).filter((f) => f !== namespaceFinalizer);
    await this.#namespaces.update('', key.name, 'finalize', { ...namespace, spec: { ...spec, finalizers } }, this.#ctx);
    return {};
  }
}
