/**
 * The shoot's ShootState in the garden (Gardener's "Persisting ShootState in garden cluster"):
 * what a control plane needs to be rebuilt on another seed and cannot be rebuilt from the shoot's
 * spec — the persisted secrets and the extension resources' `status.state` (the machines of the
 * Worker among them). A Restore reads it back.
 */
import { secretResource } from '../../../api/core/secret.js';
import { shootStateResource } from '../../../api/core-gardener/shoot-state.js';
import { isRecord, type KubeObject } from '../../../api/meta.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import {
  isPersistedSecret,
  mergeShootStateGardenerData,
  toShootStateGardenerData,
} from '../../../shoot/shoot-secrets.js';
import type { ComponentContext } from './context.js';
import type { Extension } from './extension.js';

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
    const secrets = (await this.#c.seed.resource(secretResource).list(this.#c.namespace)).items.filter(
      isPersistedSecret,
    );
    const states = await Promise.all(this.#extensions.map(async (e) => ({ e, state: await e.state() })));
    const extensions = states.flatMap(({ e, state }) => (state ? [{ kind: e.kind, name: e.name, state }] : []));
    const current = await this.get();
    const spec = isRecord(current?.spec) ? current.spec : {};
    const gardener = mergeShootStateGardenerData(
      Array.isArray(spec.gardener) ? spec.gardener : [],
      toShootStateGardenerData(secrets),
    );
    const saved = Array.isArray(spec.extensions) ? spec.extensions : [];
    const next = { gardener, extensions: mergeExtensionStates(saved, extensions) };
    const { namespace, name } = this.#c.shoot.metadata;
    if (current) await this.#shootStates().patch(namespace!, name!, { spec: next });
    else await this.#shootStates().create(namespace!, { metadata: { name }, spec: next });
  }

  /** The ShootState, or null when the garden has none (yet). */
  get(): Promise<KubeObject | null> {
    return this.#shootStates().find(this.#c.shoot.metadata.namespace!, this.#c.shoot.metadata.name!);
  }

  /** `status.state` the ShootState keeps for the extension resource `kind`/`name`. */
  async extensionState(kind: string, name: string): Promise<unknown> {
    const spec = (await this.get())?.spec;
    const extensions = isRecord(spec) && Array.isArray(spec.extensions) ? spec.extensions : [];
    const entry = extensions.find((e) => isRecord(e) && e.kind === kind && e.name === name);
    return isRecord(entry) ? entry.state : undefined;
  }

  #shootStates() {
    return this.#c.garden.resource(shootStateResource);
  }
}

/** `existing` ShootState extension entries with `updates` upserted by kind and name. */
function mergeExtensionStates(existing: readonly unknown[], updates: readonly Record<string, unknown>[]): unknown[] {
  const key = (e: unknown) => (isRecord(e) ? `${e.kind}/${e.name}` : '');
  const replaced = new Set(updates.map(key));
  return [...existing.filter((e) => !replaced.has(key(e))), ...updates];
}
