/**
 * The root CA publisher of kube-controller-manager: every active namespace has a ConfigMap
 * `kube-root-ca.crt` whose `ca.crt` is the CA the shoot's API server certificate chains to, so
 * that a workload can verify the API server (projected service account volumes mount it). A
 * deleted or edited one is put back.
 */
import { configMapResource } from '../../api/core/config-map.js';
import { namespaceResource } from '../../api/core/namespace.js';
import type { KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { Controller, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import { clientListWatch } from '../../controller/list-watch.js';
import type { ControllerContext } from './controller-manager.js';

export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
const CA_KEY = 'ca.crt';

/** Reconciles namespaces (the key's `name`) into holding the current root CA. */
export class RootCaPublisher implements Reconciler {
  readonly #client: Client;
  readonly #caPem: string;

  constructor(client: Client, caPem: string) {
    this.#client = client;
    this.#caPem = caPem;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const namespace = await this.#client.resource(namespaceResource).find('', key.name);
    if (!namespace || namespace.metadata.deletionTimestamp) return {};
    const configMaps = this.#client.resource(configMapResource);
    const existing = (await configMaps.find(key.name, ROOT_CA_CONFIG_MAP)) as
      | (KubeObject & { data?: Record<string, string> })
      | null;
    if (!existing) {
      await configMaps.createIfAbsent(key.name, {
        metadata: { name: ROOT_CA_CONFIG_MAP, namespace: key.name },
        data: { [CA_KEY]: this.#caPem },
      });
    } else if (existing.data?.[CA_KEY] !== this.#caPem || Object.keys(existing.data ?? {}).length !== 1) {
      await configMaps.update(key.name, { ...existing, data: { [CA_KEY]: this.#caPem } });
    }
    return {};
  }
}

/**
 * The controller: namespaces, and their `kube-root-ca.crt` ConfigMaps (a change wakes its
 * namespace). Those are watched by name on their own: a shared cache of every ConfigMap would
 * hold all of a shoot's configuration in the seed's memory for the sake of one per namespace.
 */
export function rootCaPublisher({ client, informers, logger }: ControllerContext, caPem: string): Controller {
  return new Controller({
    name: 'root-ca-cert-publisher',
    source: informers.source(namespaceResource),
    watches: [
      {
        source: clientListWatch(client, configMapResource, '', {
          fieldSelector: `metadata.name=${ROOT_CA_CONFIG_MAP}`,
        }),
        map: (cm) =>
          cm.metadata.name === ROOT_CA_CONFIG_MAP ? [{ namespace: '', name: cm.metadata.namespace ?? '' }] : [],
      },
    ],
    reconciler: new RootCaPublisher(client, caPem),
    logger,
  });
}
