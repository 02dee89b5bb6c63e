/**
 * NamespaceLifecycle (as in Kubernetes): objects may only be created in a namespace that exists
 * and is not terminating.
 */
import { forbidden, notFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { AdmissionAttributes, AdmissionPlugin, Operation } from '../types.js';

export interface NamespaceLookup {
  /** The Namespace object, or undefined when it does not exist. */
  getNamespace(name: string): Promise<KubeObject | undefined>;
}

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';
  readonly #lookup: NamespaceLookup;

  constructor(lookup: NamespaceLookup) {
    this.#lookup = lookup;
  }

  handles(operation: Operation): boolean {
    return operation === 'CREATE';
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (!attrs.namespace || attrs.resource === 'namespaces') return;
    const namespace = await this.#lookup.getNamespace(attrs.namespace);
    if (!namespace) throw notFound({ group: '', resource: 'namespaces' }, attrs.namespace);
    if (namespace.metadata.deletionTimestamp) {
      throw forbidden(
        { group: attrs.kind.group, resource: attrs.resource },
        attrs.name,
        `unable to create new content in namespace ${attrs.namespace} because it is being terminated`,
      );
    }
  }
}
