/**
 * The namespace controller (as in Kubernetes): a deleted Namespace is Terminating until every
 * object in it is gone (each deleted through the client, so its finalizers are honoured); then
 * the controller removes its `kubernetes` spec finalizer and the server removes it.
 */

import { namespaceFinalizer, namespaceResource, namespaceSpecFinalizers } from '../api/core/namespace.js';
import { isRecord } from '../api/meta.js';
import { type ResourceRef, unchecked } from '../api/resource-ref.js';
import type { Client } from '../client/client.js';
import type { ObjectKey, Reconciler, Result } from './controller.js';

export class NamespaceReconciler implements Reconciler {
  readonly #client: Client;
  readonly #resources: () => readonly ResourceRef[];

  /**
   * `resources` lists what the server serves (Kubernetes' namespace controller asks discovery);
   * the namespaced ones hold the objects a namespace holds.
   */
  constructor(client: Client, resources: () => readonly ResourceRef[]) {
    this.#client = client;
    this.#resources = resources;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const namespaces = this.#client.resource(namespaceResource);
    const namespace = await namespaces.find('', key.name);
    if (!namespace?.metadata.deletionTimestamp) return {};
    if (!namespaceSpecFinalizers(namespace).includes(namespaceFinalizer)) return {};
    let remaining = 0;
    for (const resource of this.#resources()) {
      if (!resource.namespaced) continue;
      // Deleted by name: a malformed object of a typed kind must go too.
      const objects = this.#client.resource(unchecked(resource));
      const list = await objects.list(key.name);
      if (list.items.length === 0) continue;
      for (const item of list.items) {
        if (!item.metadata.deletionTimestamp) await objects.deleteIfPresent(key.name, item.metadata.name!);
      }
      // Most objects go at once; only those held by finalizers are left to wait for.
      remaining += (await objects.list(key.name)).items.length;
    }
    // Objects held by finalizers keep the namespace Terminating; look again shortly (a shoot's
    // control-plane namespace going is on a migration's critical path).
    if (remaining > 0) return { requeueAfterMs: 100 };
    const spec = isRecord(namespace.spec) ? namespace.spec : {};
    const finalizers = namespaceSpecFinalizers(namespace).filter((f) => f !== namespaceFinalizer);
    await namespaces.update('', { ...namespace, spec: { ...spec, finalizers } }, { subresource: 'finalize' });
    return {};
  }
}
