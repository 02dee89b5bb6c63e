/**
 * The shoot's control-plane namespace in the seed (`shoot--<project>--<name>`): everything of the
 * control plane on this seed lives in it, and the seed's namespace controller empties it when it
 * goes. Its etcd data directories live outside the API, under the seed's runtime directory, and
 * go with it.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { namespaceResource } from '../../../api/core/namespace.js';
import type { Shoot } from '../../../api/core-gardener/shoot.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import type { ComponentContext } from './context.js';
import type { DeployWaiter } from './interfaces.js';
import { NotYetError, waitUntil } from './wait.js';

/** The labels of a shoot's control-plane namespace. */
export function shootNamespaceLabels(shoot: Shoot): Record<string, string> {
  return { 'gardener.cloud/role': 'shoot', 'shoot.gardener.cloud/name': shoot.metadata.name! };
}

export class ShootNamespace implements DeployWaiter {
  readonly #c: ComponentContext;
  /** Where the seed keeps the control planes' data (etcd data directories), one directory per namespace. */
  readonly #runtimeDir: string;

  constructor(c: ComponentContext, runtimeDir: string) {
    this.#c = c;
    this.#runtimeDir = runtimeDir;
  }

  /** "Deploying control plane namespace". */
  async deploy(_ctx: TaskContext): Promise<void> {
    await this.#namespaces().createIfAbsent('', {
      metadata: { name: this.#c.namespace, labels: shootNamespaceLabels(this.#c.shoot) },
    });
  }

  /** The namespace exists (it is created in the first step: nothing to wait for). */
  async wait(_ctx: TaskContext): Promise<void> {}

  /** "Deleting shoot namespace in Seed". */
  async destroy(_ctx: TaskContext): Promise<void> {
    await this.#namespaces().deleteIfPresent('', this.#c.namespace);
  }

  /** "Waiting until shoot namespace in Seed has been deleted", then its data directories go too. */
  async waitCleanup(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (await this.#namespaces().find('', this.#c.namespace)) {
        throw new NotYetError(`namespace ${this.#c.namespace} still exists`);
      }
    });
    await rm(join(this.#runtimeDir, this.#c.namespace), { recursive: true, force: true });
  }

  #namespaces() {
    return this.#c.seed.resource(namespaceResource);
  }
}
