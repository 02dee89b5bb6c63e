/**
 * The service account controller of kube-controller-manager: every active namespace has a
 * ServiceAccount `default` (the one pods run as when they name none); one deleted comes back.
 */

import type { Logger } from 'pino';
import { namespaceResource } from '../../api/core/namespace.js';
import { serviceAccountResource } from '../../api/core/service-account.js';
import type { Client } from '../../client/client.js';
import { Controller, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import { clientListWatch } from '../../controller/list-watch.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

/** Reconciles namespaces (the key's `name`) into having their default ServiceAccount. */
export class ServiceAccountReconciler implements Reconciler {
  readonly #client: Client;

  constructor(client: Client) {
    this.#client = client;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const namespace = await this.#client.resource(namespaceResource).find('', key.name);
    if (!namespace || namespace.metadata.deletionTimestamp) return {};
    await this.#client
      .resource(serviceAccountResource)
      .createIfAbsent(key.name, { metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: key.name } });
    return {};
  }
}

/** The controller: namespaces, and the default ServiceAccounts (a deleted one wakes its namespace). */
export function serviceAccountController(client: Client, logger: Logger): Controller {
  return new Controller({
    name: 'serviceaccount',
    source: clientListWatch(client, namespaceResource),
    watches: [
      {
        source: clientListWatch(client, serviceAccountResource),
        map: (sa) =>
          sa.metadata.name === DEFAULT_SERVICE_ACCOUNT ? [{ namespace: '', name: sa.metadata.namespace ?? '' }] : [],
      },
    ],
    reconciler: new ServiceAccountReconciler(client),
    logger,
  });
}
