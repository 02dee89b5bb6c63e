/**
 * Keeps a ShootState beside every Shoot, as the seed document says: "The ShootState resource is
 * created on Shoot creation in its Project namespace". It starts empty (the gardenlet fills it)
 * and goes when its Shoot is gone.
 */
import type { KubeObject } from '../../api/meta.js';
import type { GenericStore, RequestContext } from '../../apiserver/registry/generic-store.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';

export interface ShootStateStores {
  shoots: GenericStore;
  shootStates: GenericStore;
}

export class ShootStateReconciler implements Reconciler {
  readonly #stores: ShootStateStores;
  readonly #ctx: RequestContext;

  constructor(stores: ShootStateStores, ctx: RequestContext) {
    this.#stores = stores;
    this.#ctx = ctx;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const shoot = await this.#stores.shoots.find(key.namespace, key.name);
    if (shoot) await this.#stores.shootStates.createIfAbsent(key.namespace, shootStateFor(shoot), this.#ctx);
    else await this.#stores.shootStates.deleteIfPresent(key.namespace, key.name, this.#ctx);
    return {};
  }
}

function shootStateFor(shoot: KubeObject): KubeObject {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'ShootState',
    metadata: {
      name: shoot.metadata.name,
      namespace: shoot.metadata.namespace,
      ownerReferences: [
        {
          apiVersion: 'core.gardener.cloud/v1beta1',
          kind: 'Shoot',
          name: shoot.metadata.name!,
          uid: shoot.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {},
  };
}
