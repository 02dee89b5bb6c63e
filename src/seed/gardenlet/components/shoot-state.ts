/**
 * The shoot's ShootState in the garden (Gardener's "Persisting ShootState in garden cluster"):
 * what a control plane needs to be rebuilt on another seed and cannot be rebuilt from the shoot's
 * spec — the persisted secrets and the extension resources' `status.state` (the machines of the
 * Worker among them). A Restore reads it back.
 */
import { secretResource } from '../../../api/core/secret.js';
import {
  type ExtensionResourceState,
  type ShootState,
  type ShootStateSpec,
  shootStateResource,
} from '../../../api/core-gardener/shoot-state.js';
import { isConflict } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import {
  isPersistedSecret,
  mergeShootStateGardenerData,
  toShootStateGardenerData,
} from '../../../shoot/shoot-secrets.js';
import type { ComponentContext } from './context.js';
import type { Extension } from './extension.js';

/** When the source's kube-apiserver stopped serving in the shoot's latest classic Migrate (RFC 3339, ms). */
export const API_SERVER_STOPPED_ANNOTATION = 'transplant.gardener.cloud/kube-apiserver-stopped-at';

export class ShootStateComponent {
  readonly #c: ComponentContext;
  /** The extension resources whose state is kept; set once they exist (they read the ShootState to restore). */
  #extensions: readonly Extension[] = [];

  constructor(c: ComponentContext) {
    this.#c = c;
  }

  /** The extension resources whose `status.state` `deploy` saves. */
  keepStateOf(extensions: readonly Extension[]): void {
    this.#extensions = extensions;
  }

  /**
   * "Persisting ShootState in garden cluster": the persisted secrets and the extensions' states,
   * upserted into what the ShootState holds. A re-run after the migrated extension resources were
   * deleted finds no states and keeps the saved ones.
   */
  async deploy(_ctx: TaskContext): Promise<void> {
    const states = await Promise.all(this.#extensions.map(async (e) => ({ e, state: await e.state() })));
    const extensions = states.flatMap(({ e, state }) => (state ? [{ kind: e.kind, name: e.name, state }] : []));
    await this.#write([], extensions);
  }

  /**
   * The persisted secrets alone, upserted into the ShootState, with the entries named `forget`
   * removed in the same write (a credentials rotation: before anything is issued from a new CA,
   * and when an old one is dropped).
   */
  async persistSecrets(forget: readonly string[] = []): Promise<void> {
    await this.#write(forget, []);
  }

  /**
   * One write with the ShootState's resourceVersion: during a live migration the other seed
   * writes its record into the same list, and a conflict reads again rather than overwrite it.
   */
  async #write(forget: readonly string[], extensions: readonly ExtensionResourceState[]): Promise<void> {
    const secrets = (await this.#c.seed.resource(secretResource).list(this.#c.namespace)).items.filter(
      (secret) => isPersistedSecret(secret) && !forget.includes(secret.metadata.name ?? ''),
    );
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#writeOnce(secrets, forget, extensions);
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 10) throw err;
      }
    }
  }

  async #writeOnce(
    secrets: readonly KubeObject[],
    forget: readonly string[],
    extensions: readonly ExtensionResourceState[],
  ): Promise<void> {
    const current = await this.get();
    const kept = (current?.spec?.gardener ?? []).filter((entry) => !forget.includes(entry.name));
    const gardener = mergeShootStateGardenerData(kept, toShootStateGardenerData(secrets));
    const next: ShootStateSpec = {
      gardener,
      extensions: mergeExtensionStates(current?.spec?.extensions ?? [], extensions),
    };
    const { namespace, name } = this.#c.shoot.metadata;
    if (current) {
      await this.#shootStates().patch(namespace!, name!, {
        metadata: { resourceVersion: current.metadata.resourceVersion },
        spec: next,
      });
    } else await this.#shootStates().create(namespace!, { metadata: { name }, spec: next });
  }

  /** The ShootState, or null when the garden has none (yet). */
  get(): Promise<ShootState | null> {
    return this.#shootStates().find(this.#c.shoot.metadata.namespace!, this.#c.shoot.metadata.name!);
  }

  /**
   * Notes in the ShootState when the source's API server stopped serving (a classic Migrate), for
   * the destination's `transplant_migration_api_downtime_seconds`: the hand-over document is the
   * one object both seeds read. Not a step: nothing of the migration depends on it.
   */
  async recordApiServerStopped(at: Date): Promise<void> {
    const { namespace, name } = this.#c.shoot.metadata;
    await this.#shootStates().patch(namespace!, name!, {
      metadata: { annotations: { [API_SERVER_STOPPED_ANNOTATION]: at.toISOString() } },
    });
  }

  /** When the source's API server stopped, as its Migrate noted (`recordApiServerStopped`); undefined when not noted. */
  async apiServerStoppedAt(): Promise<Date | undefined> {
    const noted = (await this.get())?.metadata.annotations?.[API_SERVER_STOPPED_ANNOTATION];
    const at = noted ? new Date(noted) : undefined;
    return at && !Number.isNaN(at.getTime()) ? at : undefined;
  }

  /** `status.state` the ShootState keeps for the extension resource `kind`/`name`. */
  async extensionState(kind: string, name: string): Promise<unknown> {
    const extensions = (await this.get())?.spec?.extensions ?? [];
    return extensions.find((e) => e.kind === kind && e.name === name)?.state;
  }

  #shootStates() {
    return this.#c.garden.resource(shootStateResource);
  }
}

/** `existing` ShootState extension entries with `updates` upserted by kind and name. */
function mergeExtensionStates(
  existing: readonly ExtensionResourceState[],
  updates: readonly ExtensionResourceState[],
): ExtensionResourceState[] {
  const key = (e: ExtensionResourceState) => `${e.kind}/${e.name}`;
  const replaced = new Set(updates.map(key));
  return [...existing.filter((e) => !replaced.has(key(e))), ...updates];
}
