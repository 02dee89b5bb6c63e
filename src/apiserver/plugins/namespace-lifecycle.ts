/**
 * NamespaceLifecycle (as in Kubernetes): objects may only be created in a namespace that exists
 * and is not terminating. The server's own client reads the namespace.
 */
import { namespaceResource } from '../../api/core/namespace.js';
import { forbidden, notFound } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import type { AdmissionAttributes, AdmissionPlugin, Operation } from '../types.js';

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';
  readonly #client: Client;

  /** The plugin is built before the server that `client` reaches: it addresses it only when admitting. */
  constructor(client: Client) {
    this.#client = client;
  }

  handles(operation: Operation): boolean {
    return operation === 'CREATE';
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (!attrs.namespace || attrs.resource === 'namespaces') return;
    const namespace = await this.#client.resource(namespaceResource).find('', attrs.namespace);
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
