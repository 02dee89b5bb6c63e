/**
 * Keeps a ShootState beside every Shoot, as the seed document says: "The ShootState resource is
 * created on Shoot creation in its Project namespace". It starts empty (the gardenlet fills it)
 * and goes when its Shoot is gone.
 */
import { type Shoot, shootResource } from '../../api/core-gardener/shoot.js';
import { type ShootState, shootStateResource } from '../../api/core-gardener/shoot-state.js';
import type { Client } from '../../client/client.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';

export class ShootStateReconciler implements Reconciler {
  readonly #client: Client;

  constructor(client: Client) {
    this.#client = client;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const shoot = await this.#client.resource(shootResource).find(key.namespace, key.name);
    const shootStates = this.#client.resource(shootStateResource);
    if (shoot) await shootStates.createIfAbsent(key.namespace, shootStateFor(shoot));
    else await shootStates.deleteIfPresent(key.namespace, key.name);
    return {};
  }
}

function shootStateFor(shoot: Shoot): ShootState {
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
