/**
 * The service account controller of kube-controller-manager: every active namespace has a
 * ServiceAccount `default` (the one pods run as when they name none); one deleted comes back.
 */

import { namespaceResource } from '../../api/core/namespace.js';
import { serviceAccountResource } from '../../api/core/service-account.js';
import type { Client } from '../../client/client.js';
import { Controller, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import type { Lister } from '../../controller/shared-informers.js';
import type { ControllerContext } from './controller-manager.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

/** Reconciles namespaces (the key's `name`) into having their default ServiceAccount. */
export class ServiceAccountReconciler implements Reconciler {
  readonly #client: Client;
  readonly #serviceAccounts: Lister | undefined;

  /** With `serviceAccounts`, a namespace whose default ServiceAccount is cached costs no request. */
  constructor(client: Client, serviceAccounts?: Lister) {
    this.#client = client;
    this.#serviceAccounts = serviceAccounts;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const namespace = await this.#client.resource(namespaceResource).find('', key.name);
    if (!namespace || namespace.metadata.deletionTimestamp) return {};
    if (this.#serviceAccounts?.get(key.name, DEFAULT_SERVICE_ACCOUNT)) return {};
    await this.#client
      .resource(serviceAccountResource)
      .createIfAbsent(key.name, { metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: key.name } });
    return {};
  }
}

/** The controller: namespaces, and the default ServiceAccounts (a deleted one wakes its namespace). */
export function serviceAccountController({ client, informers, logger }: ControllerContext): Controller {
  return new Controller({
    name: 'serviceaccount',
    source: informers.source(namespaceResource),
    watches: [
      {
        source: informers.source(serviceAccountResource),
        map: (sa) =>
          sa.metadata.name === DEFAULT_SERVICE_ACCOUNT ? [{ namespace: '', name: sa.metadata.namespace ?? '' }] : [],
      },
    ],
    reconciler: new ServiceAccountReconciler(client, informers.lister(serviceAccountResource)),
    logger,
  });
}
