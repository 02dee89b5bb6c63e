/**
 * Keeps a ShootState beside every Shoot, as the seed document says: "The ShootState resource is
 * created on Shoot creation in its Project namespace". It starts empty (the gardenlet fills it)
 * and goes when its Shoot is gone.
 */
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
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
    const shoot = await this.#get(this.#stores.shoots, key);
    if (!shoot) {
      await this.#deleteShootState(key);
      return {};
    }
    try {
      await this.#stores.shootStates.create(key.namespace, shootStateFor(shoot), this.#ctx);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    return {};
  }

  async #deleteShootState(key: ObjectKey): Promise<void> {
    try {
      await this.#stores.shootStates.delete(key.namespace, key.name, this.#ctx, {});
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #get(store: GenericStore, key: ObjectKey): Promise<KubeObject | undefined> {
    try {
      return await store.get(key.namespace, key.name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
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
